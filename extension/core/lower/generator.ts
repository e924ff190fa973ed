// Counter-based weights: the value at a global flat index of a parameter depends only on (key, index),
// so every rank generates exactly its shard and the unsharded reference the very same numbers.
// The mix is 32-bit integer arithmetic only (Math.imul, shifts), so a C++ port gives identical bits.
import type { Range } from '../sharding/types';

/** FNV-1a of the key: the stream the parameter's values are drawn from. */
export function keySeed(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform in [-1, 1) from (seed, index): a murmur3-style finaliser of seed ^ index. */
export function unitValue(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index >>> 0, 0x9e3779b1) ^ Math.imul(Math.floor(index / 4294967296), 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2147483648 - 1;
}

/**
 * Fill `out` with the values of the boxes `ranges` (global index boxes, row-major within each box,
 * boxes in order) of a tensor of `globalShape`.
 */
export function generateBoxes(key: string, globalShape: number[], ranges: Range[][], scale: number, out: Float32Array): void {
  const seed = keySeed(key);
  const nd = globalShape.length;
  const strides = new Array<number>(nd).fill(1);
  for (let d = nd - 2; d >= 0; d--) strides[d] = strides[d + 1] * globalShape[d + 1];
  let o = 0;
  for (const box of ranges) {
    if (box.some(([a, b]) => b <= a)) continue;
    const idx = box.map(([a]) => a);
    const lastA = box[nd - 1][0];
    const lastB = box[nd - 1][1];
    for (;;) {
      let base = 0;
      for (let d = 0; d < nd - 1; d++) base += idx[d] * strides[d];
      for (let j = lastA; j < lastB; j++) out[o++] = scale * unitValue(seed, base + j);
      let d = nd - 2;
      while (d >= 0) {
        idx[d]++;
        if (idx[d] < box[d][1]) break;
        idx[d] = box[d][0];
        d--;
      }
      if (d < 0) break;
    }
  }
  if (o !== out.length) throw new Error(`generator: boxes hold ${o} values, buffer has ${out.length}`);
}

/** The whole-tensor box. */
export function fullBox(shape: number[]): Range[][] {
  return [shape.map((n) => [0, n] as Range)];
}
