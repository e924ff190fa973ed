// The binder's ShardedModel as the shapes view's plain payload: module paths split out, placements as
// text, bytes per rank, uneven and empty shards and whole-held experts flagged.
import type { ShardedModel } from '../analysis/types';
import type { PlanEntry } from '../plan/types';
import type { Placement } from '../sharding/types';
import type { EntryRef, PredictedCollectives, ShapesPayload, ShapesTensor } from './panel-protocol';

const DTYPE_BYTES: Record<string, number> = {
  float32: 4, bfloat16: 2, float16: 2, float8_e4m3fn: 1, float8_e5m2: 1, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1, float64: 8,
};

function placementText(p: Placement): string {
  switch (p.kind) {
    case 'shard': return `Shard(${p.dim})`;
    case 'replicate': return 'Replicate()';
    case 'partial': return `Partial(${p.op})`;
    case 'strided_shard': return `_StridedShard(${p.dim}, sf=${p.splitFactor})`;
  }
}

function entryRef(e: PlanEntry | undefined, file?: string): EntryRef | undefined {
  return e ? { key: e.key, start: e.keyRange.start, end: e.keyRange.end, file } : undefined;
}

function coordsOf(dims: { size: number }[], rank: number): number[] {
  const c: number[] = [];
  let r = rank;
  for (let i = dims.length - 1; i >= 0; i--) {
    c.unshift(r % dims[i].size);
    r = Math.floor(r / dims[i].size);
  }
  return c;
}

function tensor(
  module: string, name: string, kind: ShapesTensor['kind'], dtype: string, placements: Placement[], globalShape: number[],
  localShapes: number[][], entry: EntryRef | undefined, expertParallel: boolean,
): ShapesTensor {
  const size = DTYPE_BYTES[dtype] ?? 2;
  const bytesPerRank = localShapes.map((s) => s.reduce((a, b) => a * b, 1) * size);
  const first = JSON.stringify(localShapes[0]);
  const uneven = localShapes.some((s) => JSON.stringify(s) !== first);
  const emptyRanks = localShapes.map((s, r) => (s.some((d) => d === 0) ? r : -1)).filter((r) => r >= 0);
  const isExpert = /(^|\.)experts(\.|$)/.test(`${module}.${name}`);
  const replicatedExperts = isExpert && !expertParallel && placements.every((p) => p.kind === 'replicate') && localShapes.length > 1;
  return { module, name, kind, dtype, placements: placements.map(placementText), globalShape, localShapes, bytesPerRank, uneven, emptyRanks, replicatedExperts, entry };
}

/** Builds the shapes payload; `planFile` is the file the plan came from, for reveal. */
export function shapesPayload(model: ShardedModel, opts: { gpuLimitBytes?: number; gpuLimitSource?: ShapesPayload['gpuLimitSource']; planFile?: string } = {}): ShapesPayload {
  const world = model.mesh.dims.reduce((a, d) => a * d.size, 1);
  const tensors: ShapesTensor[] = [];
  for (const p of model.params) {
    const dot = p.name.lastIndexOf('.');
    tensors.push(tensor(dot < 0 ? '' : p.name.slice(0, dot), p.name.slice(dot + 1), 'param', p.dtype, p.placements, p.globalShape, p.localShapes, entryRef(p.entry, opts.planFile), !!p.expertParallel));
  }
  for (const a of model.activations) {
    const colon = a.name.indexOf(':');
    const module = colon < 0 ? '' : a.name.slice(0, colon);
    tensors.push(tensor(module, colon < 0 ? a.name : a.name.slice(colon + 1), 'activation', 'bfloat16', a.placements, a.globalShape, a.localShapes, entryRef(a.entry, opts.planFile), false));
  }
  return {
    mesh: model.mesh.dims.map((d) => ({ name: d.name, size: d.size })),
    coords: Array.from({ length: world }, (_, r) => coordsOf(model.mesh.dims, r)),
    memory: model.memory.map((m) => ({ ...m })),
    gpuLimitBytes: opts.gpuLimitBytes,
    gpuLimitSource: opts.gpuLimitBytes === undefined ? 'assumed' : opts.gpuLimitSource,
    tensors,
    findings: model.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
    collectives: predictedCollectives(model),
  };
}

/** The schedule's forward and backward collectives counted per module, pass and op (the optimizer step's are not CommDebugMode's to count). */
function predictedCollectives(model: ShardedModel): PredictedCollectives[] {
  const byKey = new Map<string, PredictedCollectives>();
  for (const c of model.collectives) {
    if (c.pass !== 'forward' && c.pass !== 'backward') continue;
    const k = `${c.module}\u0000${c.pass}\u0000${c.op}`;
    const row = byKey.get(k);
    if (row) row.count++;
    else byKey.set(k, { module: c.module, pass: c.pass, op: c.op, count: 1 });
  }
  return [...byKey.values()];
}
