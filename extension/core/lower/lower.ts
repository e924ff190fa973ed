// The SPMD lowering: per-rank programs for chosen decoder layers, every local op derived from the
// binding's placements (parameters' shards, activations' layouts on the tensor-parallel dim). Where the
// layout a local op produces differs from the layout the binding gives its output, the collective that
// converts it is inserted (Partial → all_reduce / reduce_scatter, Shard → all_gather, Replicate → slice).
// The same walk with every placement Replicate on one rank is the unsharded reference.
import type { ModelGraph, FlowStep } from '../models/types';
import type { ShardedModel, BoundParam } from '../analysis/types';
import type { PlanEntry } from '../plan/types';
import type { Placement } from '../sharding/types';
import { computeLayout } from '../sharding';
import type { RankPrograms, RankOp, BufferDecl, OpLabel } from './types';
import { emitMlaCore } from './mla';
import { ropeSpec, mlaSoftmaxScale, RopeConfigError, type RopeSpec } from './rope';
import type { Routing } from './interpret';
import { routerSpec } from './route';
import { tokenIds, expertBounds, dispatchCounts, isLossParallel, type DispatchCounts } from './ends';

/** Layout of a local 2-D activation [tokens, width] on the tensor-parallel dim. */
export type Layout = { kind: 'R' } | { kind: 'P' } | { kind: 'S'; dim: 0 | 1 };

export interface EntryRef {
  key: string;
  file?: string;
  line?: number;
}

export interface LowerOptions {
  graph: ModelGraph;
  /** The binding; absent for the unsharded reference. */
  sharded?: ShardedModel;
  layers: number[];
  /** Tokens (batch 1). */
  tokens: number;
  /** Lower the final norm and lm_head after the layers. */
  tail?: boolean;
  /** Lower the embedding (token ids → embed_tokens, as the plan shards it) before the layers; default: with
   *  the tail, so asking for the ends asks for both. */
  head?: boolean;
  /** After lm_head (with the tail), the cross-entropy against generated labels, loss_parallel's way when the
   *  logits stay vocab-sharded; compared as the module `loss` after lm_head. */
  loss?: boolean;
  /** The reference's top-k routing (by router module): with it, an all-to-all plan's expert dispatch is
   *  lowered as real all_to_all_v with the counts this routing gives (the sharded run reuses it), and the
   *  experts' backward GEMMs get their routed row counts. Without it, the all-reduce combine stands in. */
  routing?: Routing;
  /** Append backward: each linear's input- and weight-gradient GEMMs with their real local shapes, and the
   *  binding's backward collectives after the module that issues them (timed, not compared). */
  backward?: boolean;
  /** Turns a plan entry into a key with file and line. */
  locate?: (e: PlanEntry | undefined) => EntryRef | undefined;
}

/** One module's output, for the module-by-module comparison. */
export interface ModuleOutput {
  module: string;
  layer?: number;
  buffer: string;
  layout: Layout;
  width: number;
  entry?: EntryRef;
}

export interface Lowered {
  programs: RankPrograms;
  outputs: ModuleOutput[];
  /** The last output (the layers' hidden states, or the logits). */
  final: ModuleOutput;
  /** Where the programs differ from what the plan would run, said plainly. */
  notes: string[];
  /** The plan dispatches experts all-to-all but no routing was given: lowered again with the reference's
   *  routing (LowerOptions.routing), the programs run the dispatch itself instead of the all-reduce combine. */
  wantsRouting: boolean;
}

/** An experts module as backward sees it: per rank the experts it holds and the rows each receives. */
interface ExpertsBackward {
  module: string;
  layer?: number;
  entry?: EntryRef;
  H: number;
  seq: number;
  perRank: { e0: number; e1: number; rows: [number, number][]; cols: [number, number][]; routed: { e: number; rows: number }[] }[];
}

export class LoweringError extends Error {
  constructor(message: string, readonly module: string, readonly entry?: EntryRef) {
    super(message);
  }
}

const R: Layout = { kind: 'R' };

export function layoutName(l: Layout): string {
  return l.kind === 'R' ? 'replicated' : l.kind === 'P' ? 'partial' : l.dim === 0 ? 'sharded on tokens' : 'sharded on the last dim';
}

interface Act {
  buf: string;
  layout: Layout;
  /** Global width (last dim). */
  width: number;
  producer?: ModuleOutput;
  /** The entry that first sharded this value's lineage on the last dim (a colwise), for blame when a later module has none. */
  shardedBy?: EntryRef;
}

/** The model's rotary embedding for a `dim`-wide rotary part; a config it cannot read is a located error. */
function ropeFor(cfg: ModelGraph['config'], dim: number, module: string): RopeSpec {
  try {
    return ropeSpec(cfg, dim);
  } catch (e) {
    if (e instanceof RopeConfigError) throw new LoweringError(`${module}: ${e.message}`, module);
    throw e;
  }
}

export function lower(o: LowerOptions): Lowered {
  const { graph, sharded } = o;
  const cfg = graph.config;
  const world = sharded ? sharded.mesh.dims.reduce((a, d) => a * d.size, 1) : 1;
  const sizes = sharded ? sharded.mesh.dims.map((d) => d.size) : [1];
  const tpDim = sharded?.tpDim ?? 0;
  const T = o.tokens;
  const locate: (e: PlanEntry | undefined) => EntryRef | undefined = o.locate ?? ((e) => (e ? { key: e.key } : undefined));
  const params = new Map<string, BoundParam>((sharded?.params ?? []).map((p) => [p.name, p]));
  const paramInfo = new Map(graph.params.map((p) => [p.name, p]));
  // The binding's activation layouts, in flow order per name (a name can be written twice: o_proj, then the module boundary).
  const actQueue = new Map<string, { placements: Placement[]; entry?: PlanEntry; ndim: number }[]>();
  const moeLayers = new Set(cfg.moeLayers ?? []);
  const boundLayers = new Set<number>();
  for (const a of sharded?.activations ?? []) {
    const q = actQueue.get(a.name) ?? [];
    q.push({ placements: a.placements, entry: a.entry, ndim: a.globalShape.length });
    actQueue.set(a.name, q);
    const m = /\.layers\.(\d+):/.exec(a.name);
    if (m) boundLayers.add(Number(m[1]));
  }
  const pristine = [...actQueue].map(([k, q]) => [k, q.slice()] as const);
  // The binding may lay out one representative layer per kind: other layers of that kind read its layouts.
  const layerLayouts = (layer: number, actPrefix: string) => {
    if (boundLayers.has(layer) || !sharded) return;
    const twin = [...boundLayers].find((l) => moeLayers.has(l) === moeLayers.has(layer));
    if (twin === undefined) return;
    const from = actPrefix.replace(/\.layers\.\d+$/, `.layers.${twin}`);
    for (const [name, q] of pristine) if (name.startsWith(`${from}:`)) actQueue.set(`${actPrefix}:${name.slice(from.length + 1)}`, q.slice());
  };
  const buffers: BufferDecl[] = [];
  const ops: RankOp[][] = Array.from({ length: world }, () => []);
  const groups = world > 1 ? [Array.from({ length: world }, (_, r) => r)] : [];
  const outputs: ModuleOutput[] = [];
  const notes: string[] = [];
  let wantsRouting = false;
  let nextId = 0;

  const tpOf = (pl: Placement[] | undefined): Placement => (pl && pl.length ? pl[tpDim] : { kind: 'replicate' });
  const toLayout = (p: Placement, ndim: number): Layout => {
    if (p.kind === 'replicate') return R;
    if (p.kind === 'partial') return { kind: 'P' };
    const d = p.dim < 0 ? p.dim + ndim : p.dim;
    return { kind: 'S', dim: d === ndim - 1 ? 1 : 0 };
  };
  const localRows = (l: Layout) => (l.kind === 'S' && l.dim === 0 ? T / world : T);
  const localWidth = (l: Layout, w: number) => (l.kind === 'S' && l.dim === 1 ? w / world : w);
  const same = (a: Layout, b: Layout) => a.kind === b.kind && (a.kind !== 'S' || (b.kind === 'S' && a.dim === b.dim));

  /** Declare one activation buffer per rank (same id everywhere). */
  const newAct = (name: string, layout: Layout, width: number): string => {
    const id = `${name}#${nextId++}`;
    for (let r = 0; r < world; r++) buffers.push({ id, rank: r, dtype: 'f32', shape: [localRows(layout), localWidth(layout, width)] });
    return id;
  };
  // Position in the forward flow of every op backward revisits (linears, experts, attention cores).
  let flowSeq = 0;
  // Attention cores in flow order, each rank's op (backward recomputes from its q, k and v).
  const attentions: { seq: number; perRank: RankOp[] }[] = [];
  const emit = (fn: (r: number) => RankOp) => {
    const made: RankOp[] = [];
    for (let r = 0; r < world; r++) ops[r].push((made[r] = fn(r)));
    if (made[0]?.op === 'attention') attentions.push({ seq: flowSeq++, perRank: made });
  };
  const paramBuf = (name: string, scale: number): { id: string; local: number[][]; p?: BoundParam } => {
    const info = paramInfo.get(name);
    if (!info) throw new LoweringError(`the model has no parameter ${name}`, name);
    const p = params.get(name);
    const pl = p?.placements.length ? p.placements : undefined;
    const id = `param:${name}`;
    const local: number[][] = [];
    for (let r = 0; r < world; r++) {
      const lay = pl ? computeLayout(info.shape, sizes, pl, r) : { localShape: info.shape, ranges: [info.shape.map((n) => [0, n] as [number, number])] };
      local.push(lay.localShape);
      buffers.push({ id, rank: r, dtype: 'f32', shape: lay.localShape, init: { kind: 'param', key: name, globalShape: info.shape, ranges: lay.ranges, scale } });
    }
    return { id, local, p };
  };

  /** Bring an activation to the layout the binding gives it, with the collective that does it. */
  const convert = (a: Act, to: Layout, label: OpLabel, module: string, entry?: EntryRef): Act => {
    if (same(a.layout, to) || world === 1) return { ...a, layout: world === 1 ? R : a.layout };
    const out = newAct(a.buf.split('#')[0], to, a.width);
    const g = { group: 0 };
    if (a.layout.kind === 'P' && to.kind === 'R') emit(() => ({ op: 'all_reduce', ins: [a.buf], outs: [out], ...g, label }));
    else if (a.layout.kind === 'P' && to.kind === 'S') emit(() => ({ op: 'reduce_scatter', ins: [a.buf], outs: [out], ...g, attrs: { dim: to.dim }, label }));
    else if (a.layout.kind === 'S' && to.kind === 'R' && a.layout.dim === 1) {
      // Gathered along the last dim as torch does it: an all-gather of whole blocks (member order along dim 0),
      // then each member's [tokens, width/n] block cut out and the blocks joined side by side.
      const lw = localWidth(a.layout, a.width);
      const stacked = `${a.buf.split('#')[0]}_gathered#${nextId++}`;
      const blocks = Array.from({ length: world }, (_, m) => `${a.buf.split('#')[0]}_block${m}#${nextId++}`);
      for (let r = 0; r < world; r++) {
        buffers.push({ id: stacked, rank: r, dtype: 'f32', shape: [world * T, lw] });
        for (const b of blocks) buffers.push({ id: b, rank: r, dtype: 'f32', shape: [T, lw] });
      }
      emit(() => ({ op: 'all_gather', ins: [a.buf], outs: [stacked], ...g, attrs: { dim: 0 }, label }));
      blocks.forEach((b, m) => emit(() => ({ op: 'slice', ins: [stacked], outs: [b], attrs: { dim: 0, start: m * T }, label })));
      emit(() => ({ op: 'concat', ins: blocks, outs: [out], attrs: { dim: 1 }, label }));
    } else if (a.layout.kind === 'S' && to.kind === 'R') emit(() => ({ op: 'all_gather', ins: [a.buf], outs: [out], ...g, attrs: { dim: 0 }, label }));
    else if (a.layout.kind === 'R' && to.kind === 'S') emit((r) => ({ op: 'slice', ins: [a.buf], outs: [out], attrs: { dim: to.dim, index: r, parts: world }, label }));
    else if (a.layout.kind === 'S' && to.kind === 'S') {
      const mid = convert(a, R, label, module, entry);
      return convert(mid, to, label, module, entry);
    } else throw new LoweringError(`${module}: its output is ${layoutName(a.layout)} but the plan makes it ${layoutName(to)}, which no collective turns it into`, module, entry);
    return { buf: out, layout: to, width: a.width, producer: a.producer };
  };

  /** The first `width` columns of a whole-width activation (a split that needs the last dim whole). */
  const leadingColumns = (a: Act, width: number, module: string, lab: OpLabel, entry?: EntryRef): Act => {
    if (a.layout.kind === 'S' && a.layout.dim === 1)
      throw new LoweringError(`${module}: reads the first ${width} of ${a.width} columns of an input ${layoutName(a.layout)}; the split needs them whole`, module, a.producer?.entry ?? a.shardedBy ?? entry);
    const id = newAct(`${a.buf.split('#')[0]}_head`, a.layout, width);
    emit(() => ({ op: 'slice', ins: [a.buf], outs: [id], attrs: { dim: 1, start: 0 }, label: lab }));
    return { buf: id, layout: a.layout, width, producer: a.producer, shardedBy: a.shardedBy };
  };

  /**
   * Multi-head latent attention: q [T, nh·(nope+rope)] and kv [T, nh·(nope+v)] with their local heads, the
   * compressed kv_a [T, kv_lora_rank + rope] whole (its rope part is the key every head shares).
   */
  const latentAttention = ([q, kv, kvA]: [Act, Act, Act], module: string, lab: OpLabel, entry?: EntryRef): Act => {
    const nope = cfg.qkNopeHeadDim!;
    const rope = cfg.qkRopeHeadDim!;
    const dv = cfg.vHeadDim!;
    const heads = cfg.numHeads;
    const blameQ = q.producer?.entry ?? q.shardedBy ?? entry;
    const blameKv = kv.producer?.entry ?? kv.shardedBy ?? entry;
    for (const [a, what, blame] of [[q, 'queries', blameQ], [kv, 'keys/values (kv_b_proj)', blameKv]] as const)
      if (a.layout.kind === 'P' || (a.layout.kind === 'S' && a.layout.dim === 0))
        throw new LoweringError(`${module}: attention needs whole tokens and whole heads, but its ${what} are ${layoutName(a.layout)}`, module, blame);
    if (kvA.layout.kind !== 'R' && world > 1)
      throw new LoweringError(`${module}: the rotary key split off kv_a_proj_with_mqa must be whole on every rank, but it is ${layoutName(kvA.layout)}`, module, kvA.producer?.entry ?? entry);
    const qW = localWidth(q.layout, q.width);
    const kvW = localWidth(kv.layout, kv.width);
    const qHeads = qW / (nope + rope);
    const kvHeads = kvW / (nope + dv);
    if (!Number.isInteger(qHeads))
      throw new LoweringError(`${module}: each rank holds ${qW} query columns, not a whole number of ${nope + rope}-wide heads (nope ${nope} + rope ${rope})`, module, blameQ);
    if (!Number.isInteger(kvHeads))
      throw new LoweringError(`${module}: each rank holds ${kvW} kv_b_proj columns, not a whole number of ${nope + dv}-wide heads (k_nope ${nope} + v ${dv})`, module, blameKv);
    if (qHeads !== kvHeads)
      throw new LoweringError(`${module}: each rank holds ${qHeads} of ${heads} query heads but ${kvHeads} key/value heads; q_b_proj and kv_b_proj must split the heads alike`, module, same(q.layout, R) ? blameKv : blameQ);
    const layout: Layout = world > 1 && q.layout.kind === 'S' ? { kind: 'S', dim: 1 } : R;
    const declare = (name: string, shape: number[]) => {
      const id = `${name}#${nextId++}`;
      for (let r = 0; r < world; r++) buffers.push({ id, rank: r, dtype: 'f32', shape });
      return id;
    };
    const ropeOf = ropeFor(cfg, rope, module);
    const ctx = emitMlaCore({ q: q.buf, kv: kv.buf, kvA: kvA.buf }, { heads: qHeads, tokens: T, nope, rope, v: dv, kvLoraRank: cfg.kvLoraRank! }, ropeOf, mlaSoftmaxScale(cfg, nope + rope), declare, (op) => emit(() => ({ ...op, label: lab })));
    return { buf: ctx, layout, width: heads * dv, producer: q.producer };
  };

  /** The rotary embedding of whole heads (head_dim wide), or none where the config rotates part of each head. */
  const headRope = (module: string): RopeSpec | undefined => {
    const partial = cfg.raw.partial_rotary_factor;
    if (typeof partial === 'number' && partial !== 1) {
      if (!notes.some((n) => n.includes('partial_rotary_factor'))) notes.push(`rotary embedding left out: partial_rotary_factor ${partial} rotates part of each head, which the rope op does not`);
      return undefined;
    }
    return ropeFor(cfg, cfg.headDim, module);
  };
  /** `a` rotated per head; tokens sharded over the ranks start at their own positions. */
  const rotary = (a: Act, spec: RopeSpec, lab: OpLabel): string => {
    const id = newAct(`${a.buf.split('#')[0]}_rot`, a.layout, a.width);
    const tokenSharded = a.layout.kind === 'S' && a.layout.dim === 0;
    emit((r) => ({ op: 'rope', ins: [a.buf], outs: [id], attrs: { invFreq: spec.invFreq, interleaved: spec.interleaved, attnFactor: spec.attnFactor, positionOffset: tokenSharded ? (r * T) / world : 0 }, label: lab }));
    return id;
  };

  const env = new Map<string, Act>();
  const linears: { module: string; layer?: number; x: string; rows: number; w: string; wLocal: number[][]; entry?: EntryRef; seq?: number }[] = [];
  // Experts modules in flow order, with the rows each local expert receives (backward's GEMM shapes).
  const experts: ExpertsBackward[] = [];
  // The router output each routing key belongs to, and the all-to-all dispatch counts per experts module.
  const routingKeys = new Map<string, string>();
  const dispatches = new Map<string, DispatchCounts>();
  const head = (o.head ?? !!o.tail) && graph.flow.head.length > 0;
  // The layers' input: the embedding's output as the binding lays it out.
  const xAct = actQueue.get('model:x')?.[0];
  const xLayout = xAct ? toLayout(tpOf(xAct.placements), xAct.ndim) : R;
  if (!head) {
    const H = cfg.hiddenSize;
    const id = `x#${nextId++}`;
    for (let r = 0; r < world; r++) {
      const rows: [number, number] = xLayout.kind === 'S' && xLayout.dim === 0 ? [(r * T) / world, ((r + 1) * T) / world] : [0, T];
      const cols: [number, number] = xLayout.kind === 'S' && xLayout.dim === 1 ? [(r * H) / world, ((r + 1) * H) / world] : [0, H];
      buffers.push({ id, rank: r, dtype: 'f32', shape: [rows[1] - rows[0], cols[1] - cols[0]], init: { kind: 'input', key: 'hidden_states', globalShape: [T, H], ranges: [[rows, cols]], scale: 1 } });
    }
    env.set('x', { buf: id, layout: world === 1 ? R : xLayout, width: H });
  }

  const walk = (steps: FlowStep[], prefix: string, actPrefix: string, layer: number | undefined) => {
    for (const step of steps) {
      const module = step.module ? `${prefix}${step.module}` : actPrefix;
      const target = actQueue.get(`${actPrefix}:${step.output}`)?.shift();
      const targetLayout = target ? toLayout(tpOf(target.placements), target.ndim) : undefined;
      const input = (name: string): Act => {
        const a = env.get(name);
        if (!a) throw new LoweringError(`${module}: reads ${name}, which nothing produced`, module);
        return a;
      };
      let entry: EntryRef | undefined = locate(target?.entry);
      const label = (): OpLabel => ({ layer, module, entry: entry?.key, file: entry?.file, line: entry?.line, pass: 'forward' });
      let out: Act;
      const width = Number(step.outputShape.at(-1));
      switch (step.op) {
        case 'norm': {
          const x = input(step.inputs[0]);
          const w = paramBuf(`${module}.weight`, 1);
          let a = x.layout.kind === 'P' ? convert(x, R, label(), module, entry) : x;
          // A norm narrower than its input reads the input's leading columns (MLA's kv_a_layernorm: [kv_lora_rank | rope]).
          if (a.width > width) a = leadingColumns(a, width, module, label(), entry);
          // A per-head norm (q_norm, k_norm) normalises head_dim-wide groups, so heads sharded on the last dim are fine.
          const perHead = paramInfo.get(`${module}.weight`)!.shape[0] < width;
          if (a.layout.kind === 'S' && a.layout.dim === 1 && !perHead) throw new LoweringError(`${module}: normalises an input sharded on the last dim; a norm needs the whole hidden dim`, module, entry ?? a.shardedBy);
          const id = newAct(step.output, a.layout, width);
          emit(() => ({ op: 'rmsnorm', ins: [a.buf, w.id], outs: [id], attrs: { eps: cfg.rmsNormEps }, label: label() }));
          out = { buf: id, layout: a.layout, width };
          break;
        }
        case 'module_boundary':
          out = input(step.inputs[0]);
          break;
        case 'linear':
        case 'lm_head': {
          let x = input(step.inputs[0]);
          // A style that gathers its own input (colwise_loss_parallel, input_layouts=Shard(1)): the binding schedules it on this module.
          const gathersInput = (sharded?.collectives ?? []).some((c) => c.module === module && c.pass === 'forward' && c.op === 'all_gather' && /input/.test(c.why));
          if (gathersInput && x.layout.kind === 'S' && x.layout.dim === 0) x = convert(x, R, label(), module, entry);
          const pname = `${module}.weight`;
          const info = paramInfo.get(pname);
          const K = info ? info.shape[1] : 0;
          const w = paramBuf(pname, 1 / Math.sqrt(K || 1));
          entry = locate(w.p?.entry) ?? entry;
          const wp = tpOf(w.p?.placements);
          const inW = localWidth(x.layout, x.width);
          if (w.local[0][1] !== inW)
            throw new LoweringError(`${module}: its input is ${layoutName(x.layout)} ([${localRows(x.layout)}, ${inW}] per rank) but its weight is [${w.local[0].join(', ')}] per rank`, module, entry ?? x.producer?.entry ?? x.shardedBy);
          let layout: Layout;
          if (wp.kind === 'shard' || wp.kind === 'strided_shard') {
            const d = wp.dim < 0 ? wp.dim + 2 : wp.dim;
            if (d === 0) {
              if (x.layout.kind !== 'R') throw new LoweringError(`${module}: a column-sharded weight needs its input whole, but it is ${layoutName(x.layout)}`, module, entry);
              layout = { kind: 'S', dim: 1 };
            } else layout = { kind: 'P' };
          } else layout = x.layout;
          if (world === 1) layout = R;
          const id = newAct(step.output, layout, width);
          emit(() => ({ op: 'gemm', ins: [x.buf, w.id], outs: [id], attrs: { transB: 1 }, label: label() }));
          linears.push({ module, layer, x: x.buf, rows: localRows(x.layout), w: w.id, wLocal: w.local, entry, seq: flowSeq++ });
          out = { buf: id, layout, width };
          break;
        }
        case 'attention_core': {
          if (cfg.kvLoraRank && step.inputs.length === 3) {
            out = latentAttention(step.inputs.map(input) as [Act, Act, Act], module, label(), entry);
            entry ??= out.producer?.entry;
            break;
          }
          const [q, k, v] = step.inputs.map(input);
          if (step.inputs.length !== 3) throw new LoweringError(`${module}: attention with ${step.inputs.length} inputs (multi-head latent attention) is not lowered yet`, module, entry);
          const layout = q.layout;
          for (const a of [k, v])
            if (!same(a.layout, layout) && !(layout.kind === 'S' && a.layout.kind === 'R'))
              throw new LoweringError(`${module}: queries are ${layoutName(q.layout)} but keys/values are ${layoutName(a.layout)}`, module, a.producer?.entry ?? entry);
          // Queries sharded while keys stay whole regroups heads: the numbers will tell; blame the keys' entry.
          if (!same(k.layout, q.layout)) entry = k.producer?.entry ?? q.shardedBy ?? entry;
          // Rotary embedding on queries and keys, head by head: a split by heads keeps whole heads on a rank.
          const spec = headRope(module);
          const qr = spec ? rotary(q, spec, label()) : q.buf;
          const kr = spec ? rotary(k, spec, label()) : k.buf;
          const id = newAct(step.output, layout, width);
          emit(() => ({ op: 'attention', ins: [qr, kr, v.buf], outs: [id], attrs: { headDim: cfg.headDim, vHeadDim: cfg.headDim, batch: 1 }, label: label() }));
          out = { buf: id, layout, width };
          break;
        }
        case 'act_mul': {
          const [g, u] = step.inputs.map(input);
          if (!same(g.layout, u.layout)) throw new LoweringError(`${module}: gate is ${layoutName(g.layout)} but up is ${layoutName(u.layout)}`, module, u.producer?.entry ?? entry);
          const id = newAct(step.output, g.layout, width);
          emit(() => ({ op: 'silu_mul', ins: [g.buf, u.buf], outs: [id], label: label() }));
          out = { buf: id, layout: g.layout, width };
          break;
        }
        case 'residual_add': {
          const ins = step.inputs.map(input);
          if (ins.length === 1) {
            out = ins[0];
            break;
          }
          let [a, b] = ins;
          // A Partial summand is reduced to its partner's layout first (the plan converts it on the way out).
          if (b.layout.kind === 'P') b = convert(b, a.layout, label(), module, entry);
          if (a.layout.kind === 'P') a = convert(a, b.layout, label(), module, entry);
          if (!same(a.layout, b.layout)) throw new LoweringError(`${module}: adds a ${layoutName(a.layout)} tensor to a ${layoutName(b.layout)} one`, module, b.producer?.entry ?? a.producer?.entry);
          const id = newAct(step.output, a.layout, width);
          emit(() => ({ op: 'add', ins: [a.buf, b.buf], outs: [id], label: label() }));
          out = { buf: id, layout: a.layout, width };
          break;
        }
        case 'router': {
          const x = input(step.inputs[0]);
          const pname = `${module}.weight`;
          const info = paramInfo.get(pname)!;
          const w = paramBuf(pname, 1 / Math.sqrt(info.shape[1]));
          entry = locate(w.p?.entry) ?? entry;
          if (x.layout.kind !== 'R' || w.local[0][0] !== info.shape[0]) throw new LoweringError(`${module}: the router needs whole tokens and all experts' logits, but its input is ${layoutName(x.layout)} and its weight [${w.local[0].join(', ')}]`, module, entry);
          const E = info.shape[0];
          const logits = newAct(`${step.output}_logits`, R, E);
          const probs = newAct(`${step.output}_probs`, R, E);
          const k = cfg.numExpertsPerTok ?? 2;
          const idx = `${step.output}_idx#${nextId++}`;
          const wts = `${step.output}_w#${nextId++}`;
          for (let r = 0; r < world; r++) {
            buffers.push({ id: idx, rank: r, dtype: 'f32', shape: [T, k] });
            buffers.push({ id: wts, rank: r, dtype: 'f32', shape: [T, k] });
          }
          const spec = routerSpec(cfg.raw);
          const normalize = spec.normalize;
          emit(() => ({ op: 'gemm', ins: [x.buf, w.id], outs: [logits], attrs: { transB: 1 }, label: label() }));
          // The router is a linear too: backward gives it input- and weight-gradient GEMMs.
          linears.push({ module, layer, x: x.buf, rows: localRows(x.layout), w: w.id, wLocal: w.local, entry, seq: flowSeq++ });
          if (spec.scoring === 'sigmoid') {
            // DeepSeek-V3's router: sigmoid scores; experts chosen on score + e_score_correction_bias within
            // the best topk_group of n_group groups; weights are the unbiased scores, normalised when
            // norm_topk_prob, times routed_scaling_factor. The bias is a buffer (nothing shards it): every
            // rank generates it whole.
            const biasKey = `${module}.e_score_correction_bias`;
            const bias = `buffer:${biasKey}`;
            for (let r = 0; r < world; r++) buffers.push({ id: bias, rank: r, dtype: 'f32', shape: [E], init: { kind: 'param', key: biasKey, globalShape: [E], ranges: [[[0, E]]], scale: 0.1 } });
            const nGroup = spec.nGroup ?? 1, topkGroup = spec.topkGroup ?? nGroup, scalingFactor = spec.scalingFactor;
            if (!(nGroup >= 1 && E % nGroup === 0 && E / nGroup >= 2 && topkGroup >= 1 && topkGroup <= nGroup && k <= topkGroup * (E / nGroup)))
              throw new LoweringError(`${module}: n_group ${nGroup} and topk_group ${topkGroup} cannot choose ${k} of ${E} experts`, module, entry);
            emit(() => ({ op: 'sigmoid', ins: [logits], outs: [probs], label: label() }));
            emit(() => ({ op: 'topk', ins: [probs, bias], outs: [idx, wts], attrs: { k, normalize, nGroup, topkGroup, scalingFactor, routingKey: `${module}` }, label: label() }));
          } else {
            emit(() => ({ op: 'softmax', ins: [logits], outs: [probs], label: label() }));
            emit(() => ({ op: 'topk', ins: [probs], outs: [idx, wts], attrs: { k, normalize, routingKey: `${module}` }, label: label() }));
          }
          routingKeys.set(step.output, module);
          env.set(`${step.output}:idx`, { buf: idx, layout: R, width: k });
          env.set(`${step.output}:w`, { buf: wts, layout: R, width: k });
          out = { buf: probs, layout: R, width: E };
          break;
        }
        case 'experts': {
          const x = input(step.inputs[0]);
          const idx = input(`${step.inputs[1]}:idx`);
          const wts = input(`${step.inputs[1]}:w`);
          const gu = `${module}.gate_up_proj`;
          const dn = `${module}.down_proj`;
          const guInfo = paramInfo.get(gu);
          const dnInfo = paramInfo.get(dn);
          if (!guInfo || !dnInfo) throw new LoweringError(`${module}: only fused experts (gate_up_proj, down_proj) are lowered`, module, entry);
          const [E, I2, H] = guInfo.shape;
          const guP = params.get(gu);
          const dnP = params.get(dn);
          entry = locate(guP?.entry ?? dnP?.entry) ?? entry;
          const a2a = world > 1 && (sharded?.collectives ?? []).some((c) => c.module === module && c.op === 'all_to_all');
          const routed = o.routing?.get(routingKeys.get(step.inputs[1]) ?? '');
          const dispatch = a2a && !!routed;
          if (x.layout.kind !== 'R' && !(dispatch && x.layout.kind === 'S' && x.layout.dim === 0))
            throw new LoweringError(`${module}: experts need whole tokens, but their input is ${layoutName(x.layout)}`, module, entry);
          const flat = (rs: [number, number][]) => rs.flatMap(([a, b]) => [a, b]);
          const uniq = (rs: [number, number][]) => rs.filter((x, i) => rs.findIndex((y) => y[0] === x[0] && y[1] === x[1]) === i);
          const held = Array.from({ length: world }, (_, r) => {
            const g = guP?.placements.length ? computeLayout(guInfo.shape, sizes, guP.placements, r).ranges : [guInfo.shape.map((n) => [0, n] as [number, number])];
            const d = dnP?.placements.length ? computeLayout(dnInfo.shape, sizes, dnP.placements, r).ranges : [dnInfo.shape.map((n) => [0, n] as [number, number])];
            const e0 = g[0][0][0];
            const e1 = g[0][0][1];
            const de = d[0][0];
            if (de[0] !== e0 || de[1] !== e1) throw new LoweringError(`${module}: rank ${r} holds experts ${e0}–${e1 - 1} of gate_up_proj but ${de[0]}–${de[1] - 1} of down_proj`, module, entry);
            const rows = uniq(g.map((b) => b[1] as [number, number]));
            const cols = uniq(d.map((b) => b[2] as [number, number]));
            if (g.some((b) => b[2][0] !== 0 || b[2][1] !== H) || d.some((b) => b[1][0] !== 0 || b[1][1] !== H))
              throw new LoweringError(`${module}: the experts' hidden dim is sharded, which the token combine cannot sum`, module, entry);
            return { e0, e1, rows, cols };
          });
          const expertAttrs = (r: number) => ({ numExperts: E, inter: I2 / 2, expertStart: held[r].e0, expertEnd: held[r].e1, gateUpKey: gu, downKey: dn, gateUpScale: 1 / Math.sqrt(H), downScale: 1 / Math.sqrt(I2 / 2), gateUpRows: flat(held[r].rows), downCols: flat(held[r].cols) });
          const k = cfg.numExpertsPerTok ?? 2;
          // Rows each rank's experts receive, per local expert: the backward GEMMs' real shapes.
          const perExpert = (r: number, tokensOf: (e: number) => number) => Array.from({ length: held[r].e1 - held[r].e0 }, (_, i) => ({ e: held[r].e0 + i, rows: tokensOf(held[r].e0 + i) }));
          const countOf = (e: number, times: number) => (routed ? routed.idx.reduce((a, v) => a + (v === e ? 1 : 0), 0) * times : Math.ceil((T * k) / E));
          if (dispatch) {
            // All-to-all dispatch: each rank sends its tokens' (token, slot) rows to the ranks owning the experts,
            // the experts run on the rows they receive (k = 1), and the outputs travel back to be summed per token.
            const bounds = expertBounds(held.map((h) => [h.e0, h.e1]), E);
            if (!bounds || held.some((h) => h.rows.reduce((a, [s0, s1]) => a + s1 - s0, 0) !== I2 || h.cols.reduce((a, [s0, s1]) => a + s1 - s0, 0) !== I2 / 2))
              throw new LoweringError(`${module}: all-to-all dispatch needs each expert whole on one rank, spread over the ranks in order`, module, entry);
            const Tl = localRows(x.layout);
            const rowStart = (r: number) => (x.layout.kind === 'S' ? r * Tl : 0);
            const counts = dispatchCounts(routed.idx, k, bounds, Tl, rowStart);
            const base = `${step.output}_dispatch`;
            const ids = Object.fromEntries(['rows', 'experts', 'weights', 'tokens', 'recvRows', 'recvExperts', 'recvWeights', 'expertOut', 'back'].map((n) => [n, `${base}_${n}#${nextId++}`]));
            const id = newAct(step.output, x.layout, width);
            const S = Tl * k;
            for (let r = 0; r < world; r++) {
              const R0 = counts.recv[r].reduce((a, b) => a + b, 0);
              const decl = (bid: string, shape: number[]) => buffers.push({ id: bid, rank: r, dtype: 'f32', shape });
              decl(ids.rows, [S, H]);
              decl(ids.experts, [S, 1]);
              decl(ids.weights, [S, 1]);
              decl(ids.tokens, [S, 1]);
              decl(ids.recvRows, [R0, H]);
              decl(ids.recvExperts, [R0, 1]);
              decl(ids.recvWeights, [R0, 1]);
              decl(ids.expertOut, [R0, H]);
              decl(ids.back, [S, H]);
            }
            // The exchanges are the experts module's own (ep_dispatch_experts); the local ops keep the weights' entry.
            const a2aEntry = locate((sharded?.collectives ?? []).find((c) => c.module === module && c.op === 'all_to_all')?.entry) ?? entry;
            const lb = label();
            const la: OpLabel = { ...lb, entry: a2aEntry?.key, file: a2aEntry?.file, line: a2aEntry?.line };
            const there = (r: number) => ({ sendCounts: counts.send[r], recvCounts: counts.recv[r] });
            const back = (r: number) => ({ sendCounts: counts.recv[r], recvCounts: counts.send[r] });
            emit((r) => ({ op: 'dispatch_pack', ins: [x.buf, idx.buf, wts.buf], outs: [ids.rows, ids.experts, ids.weights, ids.tokens], attrs: { bounds, rowStart: rowStart(r), sendCounts: counts.send[r] }, label: lb }));
            emit((r) => ({ op: 'all_to_all_v', ins: [ids.rows], outs: [ids.recvRows], group: 0, attrs: there(r), label: la }));
            emit((r) => ({ op: 'all_to_all_v', ins: [ids.experts], outs: [ids.recvExperts], group: 0, attrs: there(r), label: la }));
            emit((r) => ({ op: 'all_to_all_v', ins: [ids.weights], outs: [ids.recvWeights], group: 0, attrs: there(r), label: la }));
            // A rank that receives no rows has nothing to compute (its experts are never materialised).
            for (let r = 0; r < world; r++)
              if (counts.recv[r].some((c) => c > 0)) ops[r].push({ op: 'experts', ins: [ids.recvRows, ids.recvExperts, ids.recvWeights], outs: [ids.expertOut], attrs: expertAttrs(r), label: lb });
            emit((r) => ({ op: 'all_to_all_v', ins: [ids.expertOut], outs: [ids.back], group: 0, attrs: back(r), label: la }));
            emit(() => ({ op: 'scatter_add_rows', ins: [ids.back, ids.tokens], outs: [id], label: lb }));
            dispatches.set(module, counts);
            // Every rank dispatches its own rows: a token reaches an expert once per rank that holds it.
            const copies = x.layout.kind === 'R' ? world : 1;
            experts.push({ module, layer, entry, H, seq: flowSeq++, perRank: Array.from({ length: world }, (_, r) => ({ ...held[r], routed: perExpert(r, (e) => countOf(e, copies)) })) });
            out = { buf: id, layout: x.layout, width };
          } else {
            const layout: Layout = world > 1 && (guP?.placements.length || dnP?.placements.length) ? { kind: 'P' } : R;
            const id = newAct(step.output, layout, width);
            for (let r = 0; r < world; r++) ops[r].push({ op: 'experts', ins: [x.buf, idx.buf, wts.buf], outs: [id], attrs: expertAttrs(r), label: label() });
            experts.push({ module, layer, entry, H, seq: flowSeq++, perRank: Array.from({ length: world }, (_, r) => ({ ...held[r], routed: perExpert(r, (e) => countOf(e, 1)) })) });
            out = { buf: id, layout, width };
            if (a2a) wantsRouting = true;
            if (a2a && !notes.some((n) => n.includes('all-to-all')))
              notes.push(`${module}: the plan's all-to-all token dispatch is rehearsed as transformers' all-reduce combine (same numbers, other collectives); the reference's routing, passed to the lowering, rehearses the dispatch itself`);
          }
          if (!routed && !notes.some((n) => n.includes('backward GEMMs of the experts'))) notes.push(`${module}: the backward GEMMs of the experts assume ⌈tokens·top-k / experts⌉ rows per expert (no routing was given to the lowering)`);
          break;
        }
        case 'embedding': {
          // Token ids → rows of the table as the plan shards it: a vocab slice per rank (rows outside it are
          // zeros, summed by the collective the binding gives the output) or a slice of the hidden dim.
          const pname = `${module}.weight`;
          const info = paramInfo.get(pname);
          if (!info) throw new LoweringError(`the model has no parameter ${pname}`, module);
          const [V, H] = info.shape;
          const p = params.get(pname);
          entry = locate(p?.entry) ?? entry;
          const pl = p?.placements.length ? p.placements : undefined;
          const wp = tpOf(pl);
          let layout: Layout = R;
          if (world > 1 && (wp.kind === 'shard' || wp.kind === 'strided_shard')) layout = (wp.dim < 0 ? wp.dim + 2 : wp.dim) === 0 ? { kind: 'P' } : { kind: 'S', dim: 1 };
          const ids = tokenIds('input_ids', T, V);
          const id = newAct(step.output, layout, H);
          for (let r = 0; r < world; r++) {
            const ranges = pl ? computeLayout(info.shape, sizes, pl, r).ranges : [[[0, V], [0, H]] as [number, number][]];
            if (ranges.length !== 1) throw new LoweringError(`${module}: rank ${r} holds its table in ${ranges.length} pieces; the lookup needs one slice per rank`, module, entry);
            const [[v0, v1], [c0, c1]] = ranges[0];
            if (c1 - c0 !== localWidth(layout, H)) throw new LoweringError(`${module}: rank ${r} holds columns ${c0}–${c1 - 1} of the table, which do not split the hidden dim evenly`, module, entry);
            ops[r].push({ op: 'embedding', ins: [], outs: [id], attrs: { key: pname, vocab: V, hidden: H, ids, vocabStart: v0, vocabEnd: v1, colStart: c0, colEnd: c1, scale: 1 }, label: label() });
          }
          out = { buf: id, layout, width: H };
          break;
        }
        default:
          throw new LoweringError(`${module}: ${step.op} is not lowered`, module, entry);
      }
      if (targetLayout && world > 1) {
        // The collective at a module's output is booked where the engine books it (the module's plan entry,
        // as `comms` lists it), not on the weight whose entry made the partial sum (experts.gate_up_proj).
        const booked = locate((sharded?.collectives ?? []).find((c) => c.module === module && c.pass === 'forward' && c.op !== 'all_to_all' && !/\binput\b/.test(c.why))?.entry);
        out = convert(out, targetLayout, booked ? { ...label(), entry: booked.key, file: booked.file, line: booked.line } : label(), module, booked ?? entry);
      }
      const rec: ModuleOutput = { module, layer, buffer: out.buf, layout: out.layout, width: out.width, entry };
      if (step.op !== 'module_boundary') outputs.push(rec);
      const ins = step.inputs.map((i) => env.get(i)).filter((a): a is Act => !!a);
      const shardedBy = out.shardedBy ?? (out.layout.kind === 'S' && out.layout.dim === 1 && !ins.some((a) => a.layout.kind === 'S' && a.layout.dim === 1) ? entry : ins.find((a) => a.shardedBy)?.shardedBy);
      env.set(step.output, { ...out, producer: rec, shardedBy });
    }
  };

  /** The cross-entropy of the logits against generated labels; loss_parallel's three all-reduces where the logits stay vocab-sharded. */
  const lowerLoss = () => {
    const logits = env.get('logits')!;
    const module = logits.producer?.module ?? 'lm_head';
    const entry = logits.producer?.entry;
    const V = logits.width;
    if (logits.layout.kind === 'P' || (logits.layout.kind === 'S' && logits.layout.dim === 0))
      throw new LoweringError(`${module}: the loss needs every token's logits, but they are ${layoutName(logits.layout)}`, module, entry ?? logits.shardedBy);
    const vocabSharded = logits.layout.kind === 'S';
    if (vocabSharded && !isLossParallel(sharded?.collectives ?? [], module))
      throw new LoweringError(`${module}: its logits stay sharded on the vocab dim, but the loss gets no loss_parallel: gather them (colwise_gather_output) or use colwise_loss_parallel under loss_parallel()`, module, entry ?? logits.shardedBy);
    const label: OpLabel = { module: 'loss', entry: entry?.key, file: entry?.file, line: entry?.line, pass: 'forward' };
    const targets = tokenIds('labels', T, V);
    const reduce = (buf: string, name: string, how: 'sum' | 'max'): string => {
      if (!vocabSharded) return buf;
      const to = newAct(name, R, 1);
      emit(() => ({ op: 'all_reduce', ins: [buf], outs: [to], group: 0, attrs: { reduce: how }, label }));
      return to;
    };
    const localMax = newAct('logits_max_local', R, 1);
    emit(() => ({ op: 'row_max', ins: [logits.buf], outs: [localMax], label }));
    const max = reduce(localMax, 'logits_max', 'max');
    const localSum = newAct('sum_exp_local', R, 1);
    emit(() => ({ op: 'row_sum_exp', ins: [logits.buf, max], outs: [localSum], label }));
    const sum = reduce(localSum, 'sum_exp', 'sum');
    const localTarget = newAct('target_logit_local', R, 1);
    emit((r) => ({ op: 'target_logit', ins: [logits.buf], outs: [localTarget], attrs: { targets, vocabStart: vocabSharded ? (r * V) / world : 0 }, label }));
    const target = reduce(localTarget, 'target_logit', 'sum');
    const loss = `loss#${nextId++}`;
    for (let r = 0; r < world; r++) buffers.push({ id: loss, rank: r, dtype: 'f32', shape: [1, 1] });
    emit(() => ({ op: 'cross_entropy', ins: [max, sum, target], outs: [loss], label }));
    outputs.push({ module: 'loss', buffer: loss, layout: R, width: 1, entry });
  };

  /** Backward of an experts module on every rank: per routed local expert, the down and gate_up GEMMs with its real row count. */
  const expertsBackward = (x: ExpertsBackward) => {
    const label: OpLabel = { layer: x.layer, module: x.module, entry: x.entry?.key, file: x.entry?.file, line: x.entry?.line, pass: 'backward' };
    const g = `grad:${x.module}`;
    const input = (id: string, r: number, shape: number[]) => buffers.push({ id, rank: r, dtype: 'f32', shape, init: { kind: 'input', key: id, globalShape: shape, ranges: [shape.map((n) => [0, n] as [number, number])], scale: 1 } });
    for (let r = 0; r < world; r++) {
      const h = x.perRank[r];
      const I = h.cols.reduce((a, [s0, s1]) => a + s1 - s0, 0);
      const I2 = h.rows.reduce((a, [s0, s1]) => a + s1 - s0, 0);
      // One weight-sized scratch per rank: every local expert has the same local shape, and values do not matter (timed, not compared).
      input(`${g}:down`, r, [x.H, I]);
      input(`${g}:gate_up`, r, [I2, x.H]);
      buffers.push({ id: `${g}:ddown`, rank: r, dtype: 'f32', shape: [x.H, I] }, { id: `${g}:dgate_up`, rank: r, dtype: 'f32', shape: [I2, x.H] });
      for (const { e, rows } of h.routed) {
        if (!rows) continue;
        const p = `${g}:${e}`;
        input(`${p}:dy`, r, [rows, x.H]);
        input(`${p}:act`, r, [rows, I]);
        input(`${p}:dh`, r, [rows, I2]);
        input(`${p}:x`, r, [rows, x.H]);
        buffers.push({ id: `${p}:dact`, rank: r, dtype: 'f32', shape: [rows, I] }, { id: `${p}:dx`, rank: r, dtype: 'f32', shape: [rows, x.H] });
        ops[r].push({ op: 'gemm', ins: [`${p}:dy`, `${g}:down`], outs: [`${p}:dact`], attrs: { transB: 0 }, label });
        ops[r].push({ op: 'gemm', ins: [`${p}:dy`, `${p}:act`], outs: [`${g}:ddown`], attrs: { transA: 1 }, label });
        ops[r].push({ op: 'gemm', ins: [`${p}:dh`, `${g}:gate_up`], outs: [`${p}:dx`], attrs: { transB: 0 }, label });
        ops[r].push({ op: 'gemm', ins: [`${p}:dh`, `${p}:x`], outs: [`${g}:dgate_up`], attrs: { transA: 1 }, label });
      }
    }
  };

  /** Backward of an attention core on every rank: its q, k, v gradients from a generated output gradient (local heads, real shapes). */
  const attentionBackwardOps = (perRank: RankOp[]) => {
    const f = perRank[0];
    const label: OpLabel = { ...f.label, pass: 'backward' };
    const g = `grad:${f.label.module ?? 'attention'}:${f.outs[0]}`;
    for (let r = 0; r < world; r++) {
      const op = perRank[r];
      const shapeOf = (id: string) => buffers.find((b) => b.rank === r && b.id === id)!.shape;
      const [T] = shapeOf(op.ins[0]);
      const dyShape = [T, shapeOf(op.outs[0]).slice(1).reduce((a, b) => a * b, 1)];
      buffers.push({ id: `${g}:dy`, rank: r, dtype: 'f32', shape: dyShape, init: { kind: 'input', key: `${g}:dy`, globalShape: dyShape, ranges: [dyShape.map((n) => [0, n] as [number, number])], scale: 1 } });
      const outs = ['dq', 'dk', 'dv'].map((n, i) => {
        buffers.push({ id: `${g}:${n}`, rank: r, dtype: 'f32', shape: shapeOf(op.ins[i]) });
        return `${g}:${n}`;
      });
      ops[r].push({ op: 'attention_backward', ins: [...op.ins, `${g}:dy`], outs, attrs: op.attrs, label });
    }
  };

  /** Backward in reverse flow order: dX = dY·W and dW = dYᵀ·X per linear, and the binding's backward collectives. */
  const lowerBackward = () => {
    const coll = (sharded?.collectives ?? []).filter((c) => c.pass === 'backward' && (c.layer === undefined ? o.tail : o.layers.includes(c.layer)));
    const done = new Set<number>();
    const emitCollectives = (pred: (module: string) => boolean) => {
      coll.forEach((c, i) => {
        if (done.has(i) || !pred(c.module) || world === 1) return;
        done.add(i);
        const rows = c.shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const W = c.shape[c.shape.length - 1];
        const full = [rows, W];
        // A member's share: whole rows where the rows split evenly, else a slice of the last dim (same bytes).
        const part = Number.isInteger(rows / world) ? [rows / world, W] : [rows, W / world];
        const inShape = c.op === 'all_gather' ? part : full;
        const outShape = c.op === 'reduce_scatter' ? part : full;
        if (c.op !== 'all_reduce' && c.op !== 'all_gather' && c.op !== 'reduce_scatter') return;
        if (c.op !== 'all_reduce' && !Number.isInteger(part[1])) return;
        const gin = `grad:${c.module}:${i}:in`;
        const gout = `grad:${c.module}:${i}:out`;
        for (let r = 0; r < world; r++) {
          buffers.push({ id: gin, rank: r, dtype: 'f32', shape: inShape, init: { kind: 'input', key: gin, globalShape: inShape, ranges: [inShape.map((n) => [0, n] as [number, number])], scale: 1 } });
          buffers.push({ id: gout, rank: r, dtype: 'f32', shape: outShape });
        }
        const e = locate(c.entry);
        emit(() => ({ op: c.op as 'all_reduce', ins: [gin], outs: [gout], group: 0, attrs: { dim: 0 }, label: { layer: c.layer, module: c.module, entry: e?.key, file: e?.file, line: e?.line, pass: 'backward' } }));
      });
    };
    let container: string | undefined;
    const enter = (module: string) => {
      const parent = module.slice(0, module.lastIndexOf('.'));
      if (container && container !== parent) emitCollectives((m) => m === container);
      container = parent;
    };
    // The all-to-all dispatch's backward: the combined outputs' gradient goes to the experts' ranks with the
    // forward dispatch's counts (first), the dispatched rows' gradient comes back with the mirrored counts.
    const exchange = (x: ExpertsBackward, which: 0 | 1) => {
      const counts = dispatches.get(x.module);
      const at = coll.map((c, i) => [c, i] as const).filter(([c, i]) => !done.has(i) && c.module === x.module && c.op === 'all_to_all')[0];
      if (!counts || !at || world === 1) return;
      const [c, i] = at;
      done.add(i);
      const send = which === 0 ? counts.send : counts.recv;
      const recv = which === 0 ? counts.recv : counts.send;
      const gin = `grad:${c.module}:${i}:in`;
      const gout = `grad:${c.module}:${i}:out`;
      const sum = (a: number[]) => a.reduce((u, v) => u + v, 0);
      for (let r = 0; r < world; r++) {
        const inShape = [sum(send[r]), x.H];
        buffers.push({ id: gin, rank: r, dtype: 'f32', shape: inShape, init: { kind: 'input', key: gin, globalShape: inShape, ranges: [inShape.map((n) => [0, n] as [number, number])], scale: 1 } });
        buffers.push({ id: gout, rank: r, dtype: 'f32', shape: [sum(recv[r]), x.H] });
      }
      const e = locate(c.entry);
      emit((r) => ({ op: 'all_to_all_v', ins: [gin], outs: [gout], group: 0, attrs: { sendCounts: send[r], recvCounts: recv[r] }, label: { layer: c.layer, module: c.module, entry: e?.key, file: e?.file, line: e?.line, pass: 'backward' } }));
    };
    const pending = [...experts];
    const pendingAttn = [...attentions];
    // Experts and attention cores the forward ran after `after`, latest first.
    const flushPending = (after: number) => {
      for (;;) {
        const x = pending.length ? pending[pending.length - 1] : undefined;
        const a = pendingAttn.length ? pendingAttn[pendingAttn.length - 1] : undefined;
        if (a && a.seq > after && (!x || a.seq > x.seq)) {
          pendingAttn.pop();
          attentionBackwardOps(a.perRank);
          continue;
        }
        if (!x || x.seq <= after) return;
        pending.pop();
        enter(x.module);
        exchange(x, 0);
        expertsBackward(x);
        exchange(x, 1);
        emitCollectives((m) => m === x.module);
      }
    };
    let lastSeq = -1;
    const seqs = linears.map((l) => (lastSeq = l.seq ?? lastSeq));
    for (const [li, l] of [...linears.entries()].reverse()) {
      flushPending(seqs[li]);
      enter(l.module);
      const label: OpLabel = { layer: l.layer, module: l.module, entry: l.entry?.key, file: l.entry?.file, line: l.entry?.line, pass: 'backward' };
      const dy = `grad:${l.module}:dy`;
      const dx = `grad:${l.module}:dx`;
      const dw = `grad:${l.module}:dw`;
      for (let r = 0; r < world; r++) {
        const [N, K] = l.wLocal[r];
        buffers.push({ id: dy, rank: r, dtype: 'f32', shape: [l.rows, N], init: { kind: 'input', key: dy, globalShape: [l.rows, N], ranges: [[[0, l.rows], [0, N]]], scale: 1 } });
        buffers.push({ id: dx, rank: r, dtype: 'f32', shape: [l.rows, K] });
        buffers.push({ id: dw, rank: r, dtype: 'f32', shape: [N, K] });
      }
      emit(() => ({ op: 'gemm', ins: [dy, l.w], outs: [dx], attrs: { transB: 0 }, label }));
      emit(() => ({ op: 'gemm', ins: [dy, l.x], outs: [dw], attrs: { transA: 1 }, label }));
      emitCollectives((m) => m === l.module);
    }
    flushPending(-Infinity);
    emitCollectives(() => true);
  };

  if (head) walk(graph.flow.head, '', graph.basePrefix, undefined);
  for (const layer of o.layers) {
    const steps = moeLayers.has(layer) ? graph.flow.moe : graph.flow.dense;
    if (!steps) throw new LoweringError(`layer ${layer}: the model has no flow for it`, `${graph.basePrefix}.layers.${layer}`);
    const lp = `${graph.basePrefix}.layers.${layer}`;
    layerLayouts(layer, lp);
    walk(steps, `${lp}.`, lp, layer);
    // The next layer reads this layer's output as its input.
    env.set('x', env.get('y')!);
  }
  if (o.tail) walk(graph.flow.tail.map((s) => ({ ...s, inputs: s.inputs.map((i) => (i === 'y' ? 'x' : i)) })), '', graph.basePrefix, undefined);
  if (o.tail && o.loss && env.has('logits')) lowerLoss();
  if (o.backward) lowerBackward();
  return { programs: { worldSize: world, groups, buffers, ranks: ops.map((o2, rank) => ({ rank, ops: o2 })) }, outputs, final: outputs[outputs.length - 1], notes, wantsRouting };
}
