// The dense, named device mesh: parsing, rank ↔ coordinate (row-major), process groups along dims.
import type { DeviceMesh, MeshDim } from './types';
import { meshLimitProblem } from '../limit-checks';

export class MeshSyntaxError extends Error {}

/** Parse "dp=2,tp=4" (named) or "2,2" (sizes; dims named dim0, dim1, ...). */
export function parseMesh(text: string): DeviceMesh {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new MeshSyntaxError(`empty mesh '${text}': expected e.g. "tp=4" or "dp=2,tp=4"`);
  const dims: MeshDim[] = parts.map((p, i) => {
    const m = p.match(/^(?:([A-Za-z_][\w]*)\s*=\s*)?(\d+)$/);
    if (!m) throw new MeshSyntaxError(`bad mesh dim '${p}' in '${text}': expected name=size (e.g. tp=4) or a size`);
    const size = Number(m[2]);
    if (size < 1) throw new MeshSyntaxError(`mesh dim '${p}' must have a size ≥ 1`);
    return { name: m[1] ?? `dim${i}`, size };
  });
  const names = new Set<string>();
  for (const d of dims) {
    if (names.has(d.name)) throw new MeshSyntaxError(`mesh dim '${d.name}' appears twice in '${text}'`);
    names.add(d.name);
  }
  const over = meshLimitProblem(dims);
  if (over) throw new MeshSyntaxError(`'${text}': ${over}`);
  return { dims };
}

export function meshFromRecord(rec: Record<string, number>): DeviceMesh {
  return { dims: Object.entries(rec).map(([name, size]) => ({ name, size })) };
}

export function formatMesh(mesh: DeviceMesh): string {
  return mesh.dims.map((d) => `${d.name}=${d.size}`).join(',');
}

export function meshSizes(mesh: DeviceMesh): number[] {
  return mesh.dims.map((d) => d.size);
}

export function worldSize(mesh: DeviceMesh): number {
  return mesh.dims.reduce((a, d) => a * d.size, 1);
}

/** Index of a named mesh dim, or -1. */
export function meshDimIndex(mesh: DeviceMesh, name: string): number {
  return mesh.dims.findIndex((d) => d.name === name);
}

/** Coordinate of a rank, row-major (the last mesh dim varies fastest). */
export function coordOf(sizes: number[], rank: number): number[] {
  const coord = new Array<number>(sizes.length);
  for (let i = sizes.length - 1; i >= 0; i--) {
    coord[i] = rank % sizes[i];
    rank = Math.floor(rank / sizes[i]);
  }
  return coord;
}

export function rankOf(sizes: number[], coord: number[]): number {
  let r = 0;
  for (let i = 0; i < sizes.length; i++) r = r * sizes[i] + coord[i];
  return r;
}

/** The ranks of `rank`'s process group along `dims` (other coordinates fixed), in row-major order of those dims. */
export function groupRanks(sizes: number[], rank: number, dims: number[]): number[] {
  const base = coordOf(sizes, rank);
  const sorted = [...dims].sort((a, b) => a - b);
  const groupSize = sorted.reduce((a, d) => a * sizes[d], 1);
  const out: number[] = [];
  for (let g = 0; g < groupSize; g++) {
    const c = base.slice();
    let rest = g;
    for (let k = sorted.length - 1; k >= 0; k--) {
      const d = sorted[k];
      c[d] = rest % sizes[d];
      rest = Math.floor(rest / sizes[d]);
    }
    out.push(rankOf(sizes, c));
  }
  return out;
}

/** All distinct groups along `dims`, each in row-major order, ordered by their first rank. */
export function allGroups(sizes: number[], dims: number[]): number[][] {
  const world = sizes.reduce((a, b) => a * b, 1);
  const seen = new Set<number>();
  const groups: number[][] = [];
  for (let r = 0; r < world; r++) {
    if (seen.has(r)) continue;
    const g = groupRanks(sizes, r, dims);
    g.forEach((x) => seen.add(x));
    groups.push(g);
  }
  return groups;
}

/**
 * Expert parallelism borrows the ranks of named mesh dims (transformers: the tp ranks, so ep = tp;
 * torchtitan: dp_shard·cp·tp). The ep index of a rank is its row-major index within those dims.
 */
export interface ExpertParallelInfo {
  dims: number[];
  size: number;
  index(rank: number): number;
  group(rank: number): number[];
}

export function expertParallel(mesh: DeviceMesh, dimNames: string[]): ExpertParallelInfo {
  const sizes = meshSizes(mesh);
  const dims = dimNames.map((n) => {
    const i = meshDimIndex(mesh, n);
    if (i < 0) throw new MeshSyntaxError(`expert parallelism names mesh dim '${n}', which the mesh ${formatMesh(mesh)} does not have`);
    return i;
  });
  dims.sort((a, b) => a - b);
  const size = dims.reduce((a, d) => a * sizes[d], 1);
  return {
    dims,
    size,
    index(rank) {
      const c = coordOf(sizes, rank);
      return dims.reduce((acc, d) => acc * sizes[d] + c[d], 0);
    },
    group(rank) {
      return groupRanks(sizes, rank, dims);
    },
  };
}
