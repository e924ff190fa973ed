// Pieces the lowering of the model's ends and of the all-to-all expert dispatch shares: generated token
// ids and labels, expert ownership per rank, the dispatch's per-rank row counts from a routing.
import { keySeed, unitValue } from './generator';
import type { ScheduledCollective } from '../analysis/types';

/** `count` ids in [0, vocab) from the counter generator: the same on every rank and in the reference. */
export function tokenIds(key: string, count: number, vocab: number): number[] {
  const seed = keySeed(key);
  return Array.from({ length: count }, (_, i) => Math.min(vocab - 1, Math.floor(((unitValue(seed, i) + 1) / 2) * vocab)));
}

/**
 * Expert boundaries per member from each rank's [start, end) range: member i owns [b[i], b[i+1]).
 * Undefined when the ranges do not tile 0..E in rank order (experts not spread one range per rank).
 */
export function expertBounds(ranges: [number, number][], experts: number): number[] | undefined {
  const b = [0];
  for (const [s, e] of ranges) {
    if (s !== b[b.length - 1] || e < s) return undefined;
    b.push(e);
  }
  return b[b.length - 1] === experts ? b : undefined;
}

export interface DispatchCounts {
  /** send[r][i]: rows rank r sends to member i. */
  send: number[][];
  /** recv[r][i] = send[i][r]. */
  recv: number[][];
}

/**
 * Rows each rank sends to each member: rank r dispatches the (token, slot) pairs of its routing rows
 * [rowStart(r), rowStart(r) + rows), each to the member owning the pair's expert.
 */
export function dispatchCounts(idx: Float32Array, k: number, bounds: number[], rows: number, rowStart: (r: number) => number): DispatchCounts {
  const n = bounds.length - 1;
  const send = Array.from({ length: n }, (_, r) => {
    const c = new Array<number>(n).fill(0);
    for (let t = rowStart(r); t < rowStart(r) + rows; t++)
      for (let j = 0; j < k; j++) {
        const e = idx[t * k + j];
        const to = bounds.findIndex((b, i) => i < n && e >= b && e < bounds[i + 1]);
        if (to < 0) throw new Error(`expert ${e} belongs to no rank`);
        c[to]++;
      }
    return c;
  });
  return { send, recv: send.map((_, r) => send.map((row) => row[r])) };
}

/** Whether the binding computes the loss from vocab-sharded logits (loss_parallel's all-reduces on this module). */
export function isLossParallel(collectives: ScheduledCollective[], module: string): boolean {
  return collectives.some((c) => c.module === module && c.pass === 'forward' && /loss_parallel/.test(c.why));
}
