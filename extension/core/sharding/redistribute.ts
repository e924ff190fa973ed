// Redistribution between placements as the collectives PyTorch issues (the classic greedy planner of
// DTensor's redistribute: inner-to-outer pass that clears misaligned/nested sharding, then outer-to-inner).
// Bytes are nccl-tests' S, from the local tensor at that step, padded for uneven shards as DTensor pads.
import type { CollectiveStep, DeviceMesh, Placement } from './types';
import { localShape, validatePlacements, ShardingError } from './layout';
import { isShardLike, placementRepr, samePlacement } from './placement';

const R: Placement = { kind: 'replicate' };

export interface RedistributeOptions {
  /** Plan the backward: the gradient goes from `to` back to `from`, a Partial source normalised to Replicate. */
  backward?: boolean;
  /** Layout the gradient actually arrives in (backward only); defaults to `to`. Partial when the consumer made it partial. */
  gradPlacements?: Placement[];
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The collectives that redistributing a tensor of `globalShape` from `from` to `to` issues, in order. */
export function redistribute(
  globalShape: number[],
  bytesPerElement: number,
  mesh: DeviceMesh | number[],
  from: Placement[],
  to: Placement[],
  opts: RedistributeOptions = {},
): CollectiveStep[] {
  const sizes = Array.isArray(mesh) ? mesh : mesh.dims.map((d) => d.size);
  let src = validatePlacements(globalShape, sizes, from);
  let dst = validatePlacements(globalShape, sizes, to);
  if (opts.backward) {
    const grad = opts.gradPlacements ? validatePlacements(globalShape, sizes, opts.gradPlacements) : dst;
    dst = src.map((p) => (p.kind === 'partial' ? R : p));
    src = grad;
  }
  const cur = src.slice();
  const steps: CollectiveStep[] = [];
  const emit = (i: number, target: Placement) => {
    const step = transition(globalShape, bytesPerElement, sizes, cur, i, target, !!opts.backward);
    if (step) steps.push(step);
    cur[i] = target;
  };
  const hasSharding = src.some((p, i) => isShardLike(p) && sizes[i] > 1);
  if (hasSharding) {
    for (let i = sizes.length - 1; i >= 0; i--) {
      let target = dst[i];
      if (isShardLike(target)) {
        const d = target.dim;
        const curDims: number[] = [];
        const dstDims: number[] = [];
        for (let k = 0; k < i; k++) {
          if (isShardLike(cur[k]) && (cur[k] as { dim: number }).dim === d) curDims.push(k);
          if (isShardLike(dst[k]) && (dst[k] as { dim: number }).dim === d) dstDims.push(k);
        }
        if (curDims.join() !== dstDims.join()) target = R;
      }
      if (!samePlacement(cur[i], target)) emit(i, target);
    }
  }
  for (let i = 0; i < sizes.length; i++) if (!samePlacement(cur[i], dst[i])) emit(i, dst[i]);
  return steps;
}

/** One mesh dim's transition; null for local ones (R→S is a local chunk, R→P a local scale, P→P nothing). */
function transition(
  globalShape: number[],
  bpe: number,
  sizes: number[],
  cur: Placement[],
  i: number,
  target: Placement,
  backward: boolean,
): CollectiveStep | null {
  const from = cur[i];
  const n = sizes[i];
  // A mesh dim of size 1 holds the whole tensor on its one rank: DTensor keeps the local tensor, no collective.
  if (n === 1) return null;
  const coord0 = new Array<number>(sizes.length).fill(0);
  // The logical local tensor on this mesh dim: current placements with this mesh dim replicated.
  const logical = localShape(globalShape, sizes, cur.map((p, k) => (k === i ? R : p)), coord0);
  const padded = (shape: number[], dim: number, factor: 'full' | 'chunk') => {
    const s = shape.slice();
    const c = Math.ceil(s[dim] / n);
    s[dim] = factor === 'full' ? c * n : c;
    return s;
  };
  const base = { meshDim: i, groupSize: n, from, to: target };
  if (from.kind === 'partial') {
    if (target.kind === 'replicate') return { ...base, op: 'all_reduce', bytes: numel(logical) * bpe, reduceOp: from.op };
    if (isShardLike(target)) return { ...base, op: 'reduce_scatter', bytes: numel(padded(logical, target.dim, 'full')) * bpe, tensorDim: target.dim, reduceOp: from.op };
    return null; // P → P
  }
  if (isShardLike(from)) {
    if (target.kind === 'replicate') return { ...base, op: 'all_gather', bytes: numel(padded(logical, from.dim, 'full')) * bpe, tensorDim: from.dim };
    if (isShardLike(target)) {
      if (target.dim === from.dim) {
        // Shard ↔ _StridedShard on the same dim: a reorder that DTensor does with an all-gather.
        if (from.kind === target.kind) return null;
        return { ...base, op: 'all_gather', bytes: numel(padded(logical, from.dim, 'full')) * bpe, tensorDim: from.dim };
      }
      const send = padded(padded(logical, from.dim, 'chunk'), target.dim, 'full');
      return { ...base, op: 'all_to_all', bytes: numel(send) * bpe, tensorDim: from.dim, toTensorDim: target.dim };
    }
    if (target.kind === 'partial') {
      if (!backward) throw new ShardingError(`redistributing ${placementRepr(from)} to ${placementRepr(target)} is not supported in the forward pass`);
      return { ...base, to: R, op: 'all_gather', bytes: numel(padded(logical, from.dim, 'full')) * bpe, tensorDim: from.dim };
    }
  }
  return null; // Replicate → anything: local
}

/**
 * The backward collective of a `from_local(x, Replicate)` whose gradient comes back Partial
 * (a colwise module fed a plain replicated tensor): an all-reduce of the input gradient.
 */
export function partialGradAllReduce(globalShape: number[], bytesPerElement: number, mesh: DeviceMesh | number[], meshDim: number): CollectiveStep {
  const sizes = Array.isArray(mesh) ? mesh : mesh.dims.map((d) => d.size);
  return {
    op: 'all_reduce',
    meshDim,
    groupSize: sizes[meshDim],
    bytes: numel(globalShape) * bytesPerElement,
    reduceOp: 'sum',
    from: { kind: 'partial', op: 'sum' },
    to: R,
  };
}
