// bindPlan: a plan bound to a model on a mesh — every parameter's placements and local shapes, every
// activation's layout, the collectives of each layer forward and backward, memory per rank, findings.
import type { ModelGraph, FlowStep } from '../models/types';
import type { DeviceMesh, Placement, CollectiveOp } from '../sharding/types';
import type { PlanEntry } from '../plan/types';
import type { Generation } from '../styles/types';
import { detectGeneration } from '../styles';
import { groupRanks, localShape, coordOf } from '../sharding';
import type { BoundActivation, Finding, ScheduledCollective, ShardedModel } from './types';
import { buildPlanTable, lookupModule } from './match';
import { bindParams } from './params';
import { walkFlow, type FlowContext } from './flow';
import { meshLimitProblem, expertDimsProblem } from '../limit-checks';
import { runChecks, formatBytes } from './checks';
import { memoryPerRank } from './memory';
import { bytesOf, toDType } from './dtype';

export class BindError extends Error {}

export interface PlanInput {
  scope: 'base' | 'root' | 'class';
  entries: PlanEntry[];
}

export interface RunShape {
  batch: number;
  seqLen: number;
  dtype?: string;
  mode: 'training' | 'inference';
}

export interface BindOptions {
  /** Mesh dim tensor parallelism uses (default "tp", or the only dim of a 1-D mesh). */
  tpDim?: string;
  /** Mesh dims experts are spread over (default: the tp dim, as transformers does). */
  expertParallel?: string[];
  generation?: Generation;
  run?: Partial<RunShape>;
  /** Per-rank GPU memory, for the over-memory finding. */
  gpuMemoryBytes?: number;
}

export function bindPlan(graph: ModelGraph, plans: PlanInput[], mesh: DeviceMesh, opts: BindOptions = {}): ShardedModel {
  // Limits first: the work below grows with the ranks and the expert groups.
  const over = meshLimitProblem(mesh.dims) ?? (opts.expertParallel && expertDimsProblem(opts.expertParallel));
  if (over) throw new BindError(over);
  const sizes = mesh.dims.map((d) => d.size);
  const world = sizes.reduce((a, b) => a * b, 1);
  const tpName = opts.tpDim ?? 'tp';
  let tpDim = mesh.dims.findIndex((d) => d.name === tpName);
  if (tpDim < 0) {
    if (mesh.dims.length === 1) tpDim = 0;
    else throw new BindError(`the mesh ${mesh.dims.map((d) => `${d.name}=${d.size}`).join(',')} has no '${tpName}' dim for tensor parallelism`);
  }
  const epNames = opts.expertParallel ?? [mesh.dims[tpDim].name];
  const epDims = epNames.map((n) => {
    const i = mesh.dims.findIndex((d) => d.name === n);
    if (i < 0) throw new BindError(`expert parallelism names mesh dim '${n}', which the mesh does not have`);
    return i;
  }).sort((a, b) => a - b);
  const styleNames = plans.flatMap((p) => p.entries.map((e) => (e.style.kind === 'name' ? e.style.name : ''))).filter(Boolean);
  const generation = opts.generation ?? detectGeneration(styleNames);
  const run: RunShape = { batch: opts.run?.batch ?? 1, seqLen: opts.run?.seqLen ?? 4096, dtype: opts.run?.dtype, mode: opts.run?.mode ?? 'inference' };
  const actDType = toDType(run.dtype, graph.config.dtype === 'float8_e4m3fn' ? 'bfloat16' : graph.config.dtype);

  const table = buildPlanTable(plans, graph, generation);
  const findings: Finding[] = [...table.findings];
  const params = bindParams(graph, table, { sizes, tpDim, epDims }, findings, generation !== 'g1' && generation !== 'g2');
  const paramMap = new Map(params.map((p) => [p.name, p]));

  const tpGroup = groupRanks(sizes, 0, [tpDim]);
  const epGroup = groupRanks(sizes, 0, epDims);
  const ctx: FlowContext = {
    graph,
    table,
    params: paramMap,
    tp: { n: sizes[tpDim], group: tpGroup, count: world / tpGroup.length, dimNames: [mesh.dims[tpDim].name] },
    ep: { n: epGroup.length, group: epGroup, count: world / epGroup.length, dimNames: epDims.map((i) => mesh.dims[i].name) },
    batch: run.batch,
    seqLen: run.seqLen,
    bpe: bytesOf(actDType),
    actDType,
    findings,
  };

  const acts = new Map<string, { layout: Placement; shape: number[] }>();
  const head = walkFlow(ctx, graph.flow.head, '', undefined, acts);
  const forward: ScheduledCollective[] = [...head.forward];
  const layerBackward: ScheduledCollective[][] = [];
  const templates = new Map<string, { layer: number; fwd: ScheduledCollective[]; bwd: ScheduledCollective[]; out: { layout: Placement; shape: number[] }; acts: BoundActivation[] }>();
  const activations: BoundActivation[] = [...head.activations];
  const layerActs: BoundActivation[][] = [];
  const moeLayers = new Set(graph.config.moeLayers ?? []);
  // Without indexed keys ("layers.3.mlp") every layer of a kind binds alike: no per-layer lookups needed.
  const indexedKeys = [...table.byKey.keys()].some((k) => /\.\d+(\.|$)/.test(k));
  for (let i = 0; i < graph.config.numLayers; i++) {
    const steps: FlowStep[] | undefined = moeLayers.has(i) && graph.flow.moe ? graph.flow.moe : graph.flow.dense ?? graph.flow.moe;
    if (!steps) break;
    const layersPath = graph.basePrefix ? `${graph.basePrefix}.layers` : 'layers';
    const prefix = `${layersPath}.${i}.`;
    const incoming = acts.get('x') ?? { layout: { kind: 'replicate' } as Placement, shape: [run.batch, run.seqLen, graph.config.hiddenSize] };
    const sig = (steps === graph.flow.moe ? 'moe|' : 'dense|') + JSON.stringify(incoming.layout) + (indexedKeys ? '|' + steps.map((s) => lookupModule(table, prefix + s.module)?.rootKey ?? '-').join(',') : '');
    let t = templates.get(sig);
    if (!t) {
      const before = findings.length;
      const local = new Map(acts);
      local.set('x', incoming);
      const w = walkFlow(ctx, steps, prefix, i, local);
      // Findings name the layer pattern, not the first concrete layer.
      for (let k = before; k < findings.length; k++) {
        findings[k].message = findings[k].message.split(prefix).join(`${layersPath}.*.`);
        if (findings[k].target) findings[k].target = findings[k].target!.split(prefix).join(`${layersPath}.*.`);
      }
      t = { layer: i, fwd: w.forward, bwd: w.backward, out: local.get('y') ?? incoming, acts: w.activations };
      templates.set(sig, t);
      activations.push(...w.activations);
    }
    const from = `${layersPath}.${t.layer}.`;
    const relabel = (c: ScheduledCollective): ScheduledCollective => (t!.layer === i ? c : { ...c, layer: i, module: c.module.startsWith(from) ? prefix + c.module.slice(from.length) : c.module });
    forward.push(...t.fwd.map(relabel));
    layerBackward.push(t.bwd.map(relabel));
    layerActs.push(t.acts);
    acts.set('x', t.out);
    acts.set('y', t.out);
  }
  const tail = walkFlow(ctx, graph.flow.tail, '', undefined, acts);
  activations.push(...tail.activations);
  forward.push(...tail.forward);
  // Backward is listed for inference plans too: it is what training with the same plan would add.
  const backward = [...tail.backward, ...layerBackward.reverse().flat(), ...head.backward];
  const collectives = [...forward, ...backward];

  // Local shapes of activations: the layout on the tp dim, replicated elsewhere.
  const coords = Array.from({ length: world }, (_, r) => coordOf(sizes, r));
  let sequenceSharded = false;
  for (const a of activations) {
    const onTp = a.placements[0] ?? { kind: 'replicate' };
    if (onTp.kind === 'shard' && (onTp.dim === 1 || (a.globalShape.length === 2 && onTp.dim === 0))) sequenceSharded = true;
    const pl: Placement[] = sizes.map((_, d) => (d === tpDim && onTp.kind !== 'partial' ? onTp : { kind: 'replicate' }));
    a.placements = pl;
    // Only the coordinate on the tp dim matters: compute each distinct one once.
    const byTp = new Map<number, number[]>();
    a.localShapes = coords.map((c) => {
      let s = byTp.get(c[tpDim]);
      if (!s) {
        try {
          s = localShape(a.globalShape, sizes, pl, c);
        } catch {
          s = a.globalShape;
        }
        byTp.set(c[tpDim], s);
      }
      return s;
    });
  }

  // An entry whose style is unknown leaves its module unsharded, and the layout findings downstream of it
  // would only restate that: the unknown style is the one thing to fix.
  if ([...table.byKey.values()].some((b) => b.error)) {
    for (let i = findings.length - 1; i >= 0; i--) if (/^SS3(0[1-9]|10)$/.test(findings[i].code)) findings.splice(i, 1);
  }
  runChecks({ graph, table, params, tpSize: sizes[tpDim], epSize: epGroup.length, generation, seqLen: run.seqLen, sequenceSharded, findings });

  const kProj = params.find((p) => /\.layers\.0\.self_attn\.k_proj\.weight$/.test(p.name));
  const kvLocal = coords.map((_, r) => (kProj ? kProj.localShapes[r][0] / Math.max(1, graph.config.headDim) : graph.config.numKvHeads));
  const memory = memoryPerRank(graph, params, layerActs, world, { mode: run.mode, batch: run.batch, seqLen: run.seqLen, actBytes: bytesOf(actDType) }, kvLocal);
  if (opts.gpuMemoryBytes) {
    const worst = memory.reduce((a, m, r) => (m.total > a.total ? { total: m.total, rank: r } : a), { total: 0, rank: 0 });
    if (worst.total > opts.gpuMemoryBytes) {
      findings.push({ code: 'SS402', slug: 'memory-over-gpu', severity: 'error', message: `rank ${worst.rank} needs ${formatBytes(worst.total)} (${run.mode}, batch ${run.batch}, sequence ${run.seqLen}) but the GPU has ${formatBytes(opts.gpuMemoryBytes)}` });
    }
  }

  const totals: ShardedModel['totals'] = { forward: {}, backward: {}, optimizer: {} };
  for (const c of collectives) {
    const t = totals[c.pass];
    t[c.op as CollectiveOp] = (t[c.op as CollectiveOp] ?? 0) + 1;
  }
  return { mesh, findings, tpDim, epDims, params, activations, collectives, memory, totals };
}
