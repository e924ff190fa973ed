// What each rank holds of a global tensor, with PyTorch DTensor's exact rules: torch.chunk ceil splits
// (trailing ranks may be empty), mesh dims applied left to right, each _StridedShard split as
// _StridedShard._split_tensor does, composed as index maps (so [_StridedShard(d, sf), Shard(d)] comes
// out right to left, as FSDP2 + TP expects).
import type { DeviceMesh, LocalLayout, Placement, Range } from './types';
import { coordOf } from './mesh';
import { normalizePlacement, placementRepr, isShardLike } from './placement';

export class ShardingError extends Error {}

/** Sizes torch.chunk gives (padded with empty chunks to n): every chunk ceil(N/n) except the last non-empty one. */
export function chunkSizes(N: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let r = 0; r < n; r++) out[r] = chunkSize(N, n, r);
  return out;
}

/** Size of chunk r of N over n. */
export function chunkSize(N: number, n: number, r: number): number {
  if (N % n === 0) return N / n;
  const c = Math.ceil(N / n);
  const start = c * r;
  return start >= N ? 0 : Math.min(N, start + c) - start;
}

/** Start of chunk r of N over n (N itself for an empty chunk). */
export function chunkStart(N: number, n: number, r: number): number {
  if (N % n === 0) return (N / n) * r;
  return Math.min(N, Math.ceil(N / n) * r);
}

/** One step of the ordered application: a mesh dim shards a tensor dim, plainly or strided. */
interface Step {
  meshDim: number;
  dim: number;
  splitFactor: number; // 1 = plain Shard
}

function meshSizesOf(mesh: DeviceMesh | number[]): number[] {
  return Array.isArray(mesh) ? mesh : mesh.dims.map((d) => d.size);
}

/** Check placements against a shape and mesh; returns them with negative dims resolved. */
export function validatePlacements(globalShape: number[], sizes: number[], placements: Placement[]): Placement[] {
  if (placements.length !== sizes.length) {
    throw new ShardingError(`${placements.length} placement(s) for a ${sizes.length}-d mesh: a DTensor has exactly one placement per mesh dim`);
  }
  return placements.map((p) => {
    try {
      return normalizePlacement(p, globalShape.length);
    } catch (e) {
      throw new ShardingError(`${placementRepr(p)} does not fit a tensor of shape [${globalShape.join(', ')}]`);
    }
  });
}

const stepsCache = new Map<string, Step[]>();

/**
 * The order in which mesh dims shard the tensor: mesh dim 0 first. A _StridedShard splits the local
 * tensor as _StridedShard._split_tensor does and later mesh dims split what it left — PyTorch 2.13's
 * _compute_local_shape_and_global_offset, checked against it case by case (test/oracle). For the
 * FSDP + TP form [_StridedShard(d, sf=n_tp), Shard(d)] this gives the right-to-left order, and it also
 * defines the uneven and sf ≠ n_tp cases the way PyTorch does.
 */
export function orderedSteps(sizes: number[], placements: Placement[]): Step[] {
  const key = sizes.join(',') + '|' + placements.map(placementRepr).join(',');
  const hit = stepsCache.get(key);
  if (hit) return hit;
  const steps: Step[] = [];
  placements.forEach((p, i) => {
    if (p.kind === 'shard') steps.push({ meshDim: i, dim: p.dim, splitFactor: 1 });
    else if (p.kind === 'strided_shard') steps.push({ meshDim: i, dim: p.dim, splitFactor: p.splitFactor });
  });
  if (stepsCache.size > 4096) stepsCache.clear();
  stepsCache.set(key, steps);
  return steps;
}

/** Local size after a lone _StridedShard: each of the sf chunks is chunked over n and rank c keeps its piece of each. */
function stridedSize(L: number, sf: number, n: number, c: number): number {
  let total = 0;
  for (let j = 0; j < sf; j++) total += chunkSize(chunkSize(L, sf, j), n, c);
  return total;
}

const shapeCache = new Map<string, number[]>();
const validatedSteps = new Map<string, Step[]>();

/** Forget memoised layouts (benchmarks measure the first computation with it). */
export function clearLayoutCaches(): void {
  shapeCache.clear();
  stepsCache.clear();
  validatedSteps.clear();
}

/** Local shape only (fast, memoised): what the binder asks for every parameter on every rank. */
export function localShape(globalShape: number[], mesh: DeviceMesh | number[], placements: Placement[], coord: number[]): number[] {
  const sizes = meshSizesOf(mesh);
  let key = globalShape.join(',') + '|' + sizes.join(',') + '|';
  for (let i = 0; i < placements.length; i++) {
    const p = placements[i];
    key += p.kind === 'shard' ? `s${p.dim}:${coord[i]};` : p.kind === 'strided_shard' ? `t${p.dim}/${p.splitFactor}:${coord[i]};` : '_;';
  }
  const hit = shapeCache.get(key);
  if (hit) return hit.slice();
  // Validation and the step order depend on shape, mesh and placements only: computed once for all ranks.
  const tensorKey = globalShape.join(',') + '|' + sizes.join(',') + '|' + placements.map(placementRepr).join(',');
  let steps = validatedSteps.get(tensorKey);
  if (!steps) {
    steps = orderedSteps(sizes, validatePlacements(globalShape, sizes, placements));
    if (validatedSteps.size > 20000) validatedSteps.clear();
    validatedSteps.set(tensorKey, steps);
  }
  const local = globalShape.slice();
  for (const s of steps) {
    const n = sizes[s.meshDim];
    const c = coord[s.meshDim];
    local[s.dim] = s.splitFactor === 1 ? chunkSize(local[s.dim], n, c) : stridedSize(local[s.dim], s.splitFactor, n, c);
  }
  if (shapeCache.size > 100000) shapeCache.clear();
  shapeCache.set(key, local);
  return local.slice();
}

/** Map local index range [a, b) through a list of global intervals (in local order). */
function sliceIntervals(iv: Range[], a: number, b: number): Range[] {
  const out: Range[] = [];
  let pos = 0;
  for (const [s, e] of iv) {
    const len = e - s;
    const lo = Math.max(a, pos);
    const hi = Math.min(b, pos + len);
    if (lo < hi) out.push([s + lo - pos, s + hi - pos]);
    pos += len;
    if (pos >= b) break;
  }
  return out;
}

function lengthOf(iv: Range[]): number {
  return iv.reduce((a, [s, e]) => a + e - s, 0);
}

function mergeAdjacent(iv: Range[]): Range[] {
  const out: Range[] = [];
  for (const r of iv) {
    const last = out[out.length - 1];
    if (last && last[1] === r[0]) last[1] = r[1];
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Full layout of one rank: local shape, PyTorch's global offset, and the global index boxes held. */
export function computeLayout(globalShape: number[], mesh: DeviceMesh | number[], placements: Placement[], rank: number): LocalLayout {
  const sizes = meshSizesOf(mesh);
  const norm = validatePlacements(globalShape, sizes, placements);
  const coord = coordOf(sizes, rank);
  const iv: Range[][] = globalShape.map((n) => (n > 0 ? [[0, n] as Range] : []));
  for (const s of orderedSteps(sizes, norm)) {
    const n = sizes[s.meshDim];
    const c = coord[s.meshDim];
    const L = lengthOf(iv[s.dim]);
    if (s.splitFactor === 1) {
      const st = chunkStart(L, n, c);
      iv[s.dim] = sliceIntervals(iv[s.dim], st, st + chunkSize(L, n, c));
    } else {
      const pieces: Range[] = [];
      for (let j = 0; j < s.splitFactor; j++) {
        const segStart = chunkStart(L, s.splitFactor, j);
        const segLen = chunkSize(L, s.splitFactor, j);
        const st = segStart + chunkStart(segLen, n, c);
        pieces.push(...sliceIntervals(iv[s.dim], st, st + chunkSize(segLen, n, c)));
      }
      iv[s.dim] = pieces;
    }
  }
  const merged = iv.map(mergeAdjacent);
  const localShape = merged.map(lengthOf);
  const globalOffset = merged.map((r, d) => (localShape[d] === 0 ? globalShape[d] : r[0][0]));
  // Boxes: the cartesian product of each dim's intervals (none when any dim is empty).
  let boxes: Range[][] = [[]];
  for (const dimIv of merged) {
    const next: Range[][] = [];
    for (const b of boxes) for (const r of dimIv) next.push([...b, [r[0], r[1]]]);
    boxes = next;
  }
  if (globalShape.length === 0) boxes = [[]];
  return { rank, coord, localShape, globalOffset, ranges: boxes };
}

/** Layouts of every rank, row-major. */
export function allLayouts(globalShape: number[], mesh: DeviceMesh | number[], placements: Placement[]): LocalLayout[] {
  const sizes = meshSizesOf(mesh);
  const world = sizes.reduce((a, b) => a * b, 1);
  const out: LocalLayout[] = [];
  for (let r = 0; r < world; r++) out.push(computeLayout(globalShape, sizes, placements, r));
  return out;
}

/** Number of shards along each tensor dim (product of the mesh dims that shard it). */
export function shardsPerDim(ndim: number, sizes: number[], placements: Placement[]): number[] {
  const out = new Array<number>(ndim).fill(1);
  placements.forEach((p, i) => {
    if (isShardLike(p)) out[p.dim < 0 ? p.dim + ndim : p.dim] *= sizes[i];
  });
  return out;
}
