// A width scale for models whose layers do not fit the memory (or time) budget: hidden, intermediate,
// head and vocabulary widths divided by a power of two, head and expert counts kept, so that every
// divisibility the plan relies on (heads by tp, experts by ep, intermediate by tp) still holds.
import type { NormalizedConfig } from '../models/types';

export interface WidthScale {
  factor: number;
  raw: Record<string, unknown>;
}

const WIDTH_KEYS = ['hidden_size', 'intermediate_size', 'moe_intermediate_size', 'head_dim', 'q_lora_rank', 'kv_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim'];

/** Elements of weights one layer materialises at most (MoE: the experts `routed` tokens can reach). */
export function layerElements(cfg: NormalizedConfig, moe: boolean, tokens: number): number {
  const H = cfg.hiddenSize;
  const attn = H * cfg.numHeads * cfg.headDim * 2 + H * cfg.numKvHeads * cfg.headDim * 2;
  if (!moe) return attn + 3 * H * cfg.intermediateSize;
  const E = cfg.numExperts ?? 1;
  const routed = Math.min(E, tokens * (cfg.numExpertsPerTok ?? 2));
  const I = cfg.moeIntermediateSize ?? cfg.intermediateSize;
  return attn + routed * 3 * H * I + E * H + 3 * H * I * (cfg.numSharedExperts ?? 0);
}

/**
 * The largest power-of-two divisor f ≤ 64 that brings `elements / f²` under `budget` while every
 * scaled width stays a multiple of `multiple` (the rank count, twice for fused gate/up halves).
 */
export function scaledConfig(cfg: NormalizedConfig, elements: number, budget: number, multiple: number): WidthScale {
  let want = 1;
  while (elements / (want * want) > budget && want < 64) want *= 2;
  for (let f = want; f >= 1; f /= 2) {
    const raw: Record<string, unknown> = { ...cfg.raw };
    let ok = true;
    for (const k of WIDTH_KEYS) {
      const v = k === 'head_dim' ? cfg.headDim : raw[k];
      if (typeof v !== 'number') continue;
      const s = v / f;
      // Head dims stay even: rotary embedding rotates pairs.
      if (!Number.isInteger(s) || s < 1 || (k.includes('head_dim') && s % 2 !== 0) || (k !== 'head_dim' && !k.includes('rank') && !k.includes('head_dim') && s % multiple !== 0)) ok = false;
      raw[k] = s;
    }
    if (typeof raw.vocab_size === 'number') raw.vocab_size = Math.max(multiple, Math.ceil(raw.vocab_size / f / multiple) * multiple);
    if (ok) return { factor: f, raw };
  }
  return { factor: 1, raw: cfg.raw };
}
