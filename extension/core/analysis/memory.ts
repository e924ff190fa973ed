// Memory per rank: parameters (+ gradients and Adam states when training), KV cache when serving,
// and peak activations at the run's batch and sequence.
import type { ModelGraph } from '../models/types';
import type { BoundActivation, BoundParam, MemoryPerRank } from './types';
import { bytesOf } from './dtype';

export interface MemoryOptions {
  mode: 'training' | 'inference';
  batch: number;
  seqLen: number;
  actBytes: number;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Estimates: Adam keeps fp32 m and v (8 B/element) and an fp32 master copy when weights are 16-bit;
 * training keeps every layer's activations for backward (sum of the layer's local activation bytes ×
 * layers); inference keeps one layer's activations and the KV cache (local KV heads × head_dim × 2, or
 * MLA's compressed kv_lora_rank + rope dims, per token and layer).
 */
export function memoryPerRank(graph: ModelGraph, params: BoundParam[], layerActs: BoundActivation[][], world: number, opt: MemoryOptions, kvLocalHeads: number[]): MemoryPerRank[] {
  const out: MemoryPerRank[] = [];
  const cfg = graph.config;
  // Parameters with equal shape and placements share one localShapes array: count each array once.
  const groups = new Map<number[][], { count: number; bytes: number }>();
  for (const p of params) {
    const g = groups.get(p.localShapes) ?? { count: 0, bytes: bytesOf(p.dtype) };
    g.count++;
    groups.set(p.localShapes, g);
  }
  const pBytesPerElem = params.length ? bytesOf(params[0].dtype) : 2;
  const actGroups = new Map<BoundActivation[], number>();
  for (const acts of layerActs) actGroups.set(acts, (actGroups.get(acts) ?? 0) + 1);
  for (let r = 0; r < world; r++) {
    let pBytes = 0;
    let pElems = 0;
    for (const [shapes, g] of groups) {
      const e = numel(shapes[r]) * g.count;
      pElems += e;
      pBytes += e * g.bytes;
    }
    const training = opt.mode === 'training';
    const grads = training ? pBytes : 0;
    const optimizer = training ? pElems * (8 + (pBytesPerElem < 4 ? 4 : 0)) : 0;
    let act = 0;
    let sum = 0;
    let max = 0;
    for (const [acts, count] of actGroups) {
      const b = acts.reduce((a, x) => a + numel(x.localShapes[r] ?? x.globalShape) * opt.actBytes, 0);
      sum += b * count;
      max = Math.max(max, b);
    }
    act = training ? sum : max;
    let kv = 0;
    if (!training) {
      const perToken = cfg.kvLoraRank ? cfg.kvLoraRank + (cfg.qkRopeHeadDim ?? 0) : 2 * kvLocalHeads[r] * cfg.headDim;
      kv = perToken * opt.batch * opt.seqLen * cfg.numLayers * opt.actBytes;
    }
    out.push({ params: pBytes, grads, optimizer, kvCache: kv, activations: act, total: pBytes + grads + optimizer + kv + act });
  }
  return out;
}
