// The MoE router's choice of experts, as the lowering's topk op makes it (the native addon's
// runRoutedTopK computes the same, float for float).
//   softmax routers (Mixtral, Qwen3-MoE): the k highest probabilities; weights normalised over the k
//   when `normalize`.
//   sigmoid routers with a correction bias (DeepSeek-V3): experts chosen on score + bias, only within
//   the `topkGroup` best of `nGroup` groups (a group's worth is its two best biased scores summed;
//   experts of the other groups are never chosen); the weights are the unbiased scores, normalised over
//   the k (+1e-20) when `normalize` (transformers' DeepseekV3TopkRouter).
// Both: weights times `scalingFactor`; ties go to the lower index.
import { architectureOf, configValue } from '../models/config';

/** How a model's router turns logits into choices, from its configuration (and the class's defaults). */
export interface RouterSpec {
  scoring: 'softmax' | 'sigmoid';
  normalize: boolean;
  scalingFactor: number;
  /** Sigmoid routers: the expert groups and how many of them a token may use. */
  nGroup?: number;
  topkGroup?: number;
}

export function routerSpec(raw: Record<string, unknown>): RouterSpec {
  const num = (name: string, dflt: number) => {
    const v = configValue(raw, name);
    return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
  };
  const norm = configValue(raw, 'norm_topk_prob');
  // Mixtral's router always normalises (it has no flag); the others follow norm_topk_prob.
  const normalize = raw.model_type === 'mixtral' || norm === undefined || norm === null ? true : norm === true;
  if (architectureOf(raw)?.moe?.correctionBias || raw.scoring_func === 'sigmoid') {
    const nGroup = num('n_group', 1);
    return { scoring: 'sigmoid', normalize, scalingFactor: num('routed_scaling_factor', 1), nGroup, topkGroup: num('topk_group', nGroup) };
  }
  return { scoring: 'softmax', normalize, scalingFactor: 1 };
}

export interface RouteOptions {
  k: number;
  normalize: boolean;
  scalingFactor?: number;
  /** Per-expert correction bias [E] (selection only), with the group limits. */
  bias?: Float32Array;
  nGroup?: number;
  topkGroup?: number;
}

/** Choices for T rows of E scores: indices (as floats, as the lowering declares them) and weights, T×k each. */
export function routeTopK(scores: Float32Array, E: number, o: RouteOptions): { idx: Float32Array; weights: Float32Array } {
  const { k, bias } = o;
  const T = scores.length / E;
  const scaling = o.scalingFactor ?? 1;
  const nGroup = bias ? (o.nGroup ?? 1) : 1, per = E / nGroup, topkGroup = bias ? (o.topkGroup ?? nGroup) : nGroup;
  const idx = new Float32Array(T * k), weights = new Float32Array(T * k);
  const choice = new Float32Array(E), gscore = new Float32Array(nGroup);
  const byValue = (v: ArrayLike<number>) => (a: number, b: number) => v[b] - v[a] || a - b;
  for (let t = 0; t < T; t++) {
    const row = scores.subarray(t * E, (t + 1) * E);
    let sel: Float32Array = row;
    if (bias) {
      for (let j = 0; j < E; j++) choice[j] = row[j] + bias[j]; // stored as fp32, as the router computes it
      for (let g = 0; g < nGroup; g++) {
        let a = -Infinity, b = -Infinity;
        for (let j = g * per; j < (g + 1) * per; j++) {
          const v = choice[j];
          if (v > a) { b = a; a = v; } else if (v > b) b = v;
        }
        gscore[g] = a + b;
      }
      const groups = Array.from({ length: nGroup }, (_, g) => g).sort(byValue(gscore));
      const keep = new Set(groups.slice(0, topkGroup));
      for (let j = 0; j < E; j++) if (!keep.has(Math.floor(j / per))) choice[j] = -Infinity;
      sel = choice;
    }
    const order = Array.from({ length: E }, (_, j) => j).sort(byValue(sel));
    let s = 0;
    for (let j = 0; j < k; j++) s += row[order[j]];
    if (bias) s += 1e-20;
    for (let j = 0; j < k; j++) {
      idx[t * k + j] = order[j];
      weights[t * k + j] = (o.normalize ? row[order[j]] / s : row[order[j]]) * scaling;
    }
  }
  return { idx, weights };
}
