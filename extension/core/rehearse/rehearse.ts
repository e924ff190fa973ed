// The one-click rehearsal, free of any editor: plan → binding → per-rank programs → run → compare with
// the unsharded reference → verdict, measured and predicted timelines, per-collective summary.
import { dirname, resolve } from 'node:path';
import { parsePlanSource, type PlanDocument, type PlanEntry } from '../plan';
import { loadModel, type ModelGraph } from '../models';
import { bindPlan, planInputsFromDocument, type ShardedModel } from '../analysis';
import { lineColumn } from '../util/json';
import { readInputText } from '../host/files';
import { rehearsalLimitProblem } from '../limit-checks';
import { lower, LoweringError, ProgramError, type Routing, type LinkTopology, compareModules, predict, defaultCostModel, fitNcclTestsLog, type EntryRef, type ModuleComparison, type OpEvent, type RankPrograms, type CostModel } from '../lower';
import type { Trace, TraceEvent, EventCategory } from '../trace/types';
import { summarizeCollectives, type CollectiveSummary } from './trace-export';
import { chooseWidths } from './widths';
import { interpreterExecutor, type Executor, type ExecuteResult } from './executor';

export interface RehearseOptions {
  /** Ranks to run; default the plan's tensor-parallel group (CPU: at most 16 rank threads). */
  ranks?: number;
  backend?: 'cpu' | 'cuda' | 'auto';
  /** Where the programs run: the native addon in the runtime child (extension/runtime's nativeExecutor()).
   *  Absent or unavailable: the JS interpreter in this process, said in the notes. */
  executor?: Executor;
  /** The model, when the caller resolved it (a Python plan in the editor: the same model the diagnostics
   *  use); otherwise the plan's "model" is loaded. */
  model?: ModelGraph;
  /** The mesh, when the plan names none (a Python plan in the editor: the mesh the diagnostics use). */
  mesh?: { dims: { name: string; size: number }[] };
  /** Decoder layers; default the plan's run.layers, else one dense and one MoE layer where the model has both. */
  layers?: number[];
  /** Tokens (batch 1); default 8, rounded up to a multiple of the ranks. */
  tokens?: number;
  /** Force a width scale (power of two; 1: real widths); default: real widths when the estimated peak fits
   *  `budgetBytes`, else the smallest power of two that fits and keeps the plan's divisibilities. */
  widthScale?: number;
  /** Peak memory the rehearsal may use (default 8 GiB): weights of the reference and of every rank, routed
   *  experts only, gradients in training, activations, and the process itself. */
  budgetBytes?: number;
  /** A budget for the buffers alone, in fp32 elements (small rehearsals in tests); overrides budgetBytes. */
  budgetElements?: number;
  /** Also run the model's ends: the embedding before the layers, and the final norm, lm_head and the loss after them. */
  tail?: boolean;
  /** Also run backward's GEMMs and collectives (timed, not compared); default: the plan's run.mode is training. */
  backward?: boolean;
  /** Record events (default on). */
  trace?: boolean;
  costModel?: CostModel;
  /** An nccl-tests log whose collectives calibrate the cost model (path). */
  ncclTestsLog?: string;
  signal?: AbortSignal;
  onProgress?: (message: string, fraction: number) => void;
  onLog?: (line: string) => void;
  /** Every measured event as it happens (the first one marks the start of the run). */
  onEvent?: (e: TraceEvent) => void;
}

export interface Located {
  module?: string;
  planEntry?: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface RehearsalResult {
  backend: 'cpu' | 'cuda';
  ranks: number;
  verdict: 'match' | 'mismatch' | 'error';
  maxRelError: number;
  tolerance: number;
  firstMismatch: null | (Located & { module: string; relError: number });
  /** Why the plan cannot run, located at the plan entry at fault. */
  error?: Located & { message: string; code?: string };
  /** Width scale, representative sub-mesh, and anything else the verdict must say. */
  notes: string[];
  layers: number[];
  tokens: number;
  widthScale: number;
  modules: ModuleComparison[];
  trace: Trace;
  collectives: CollectiveSummary[];
  /** Predicted ÷ measured time per op kind. */
  predictedOverMeasured: Record<string, number>;
  /** Bytes of every buffer both programs declare (all ranks and the reference, fp32): an upper bound of the peak. */
  declaredBytes: number;
}

export class RehearsalError extends Error {}

export type PlanSource = string | { uri: string; text: string; doc?: PlanDocument };

const CPU_MAX_RANKS = 16;
const TOL_FP32 = 1e-5;

function categoryOf(op: string): EventCategory {
  return op === 'all_reduce' || op === 'all_gather' || op === 'reduce_scatter' || op.startsWith('all_to_all') ? 'collective' : op === 'copy' || op === 'slice' ? 'memcpy' : 'compute';
}

/** The mesh dim a rehearsal runs as its ranks: 'tp' (its tensor-parallel group), else the first dim. */
export function rehearsedGroup(dims: { name: string; size: number }[]): { name: string; size: number } {
  return dims.find((d) => d.name === 'tp') ?? dims[0];
}

export async function rehearse(source: PlanSource, opts: RehearseOptions = {}): Promise<RehearsalResult> {
  const log = opts.onLog ?? (() => {});
  const progress = opts.onProgress ?? (() => {});
  const src = typeof source === 'string' ? { uri: source, text: readInputText(source, 'plan') } : source;
  const doc = ('doc' in src && src.doc) || parsePlanSource(src.uri, src.text);
  const locate = (e: PlanEntry | undefined): EntryRef | undefined => {
    if (!e) return undefined;
    const { line } = lineColumn(src.text, e.keyRange.start);
    return { key: e.key, file: src.uri, line };
  };
  const syntax = doc.diagnostics.find((d) => d.severity === 'error' && d.code.startsWith('SS00'));
  if (syntax) {
    const { line, column } = lineColumn(src.text, syntax.range.start);
    throw new RehearsalError(`${src.uri}:${line}:${column}: ${syntax.code}: ${syntax.message}`);
  }
  if (!doc.model && !opts.model) throw new RehearsalError(`${src.uri}:1:1: the plan names no "model" (pick one for the file, or add "model" to the plan)`);
  const backendWanted = opts.backend ?? doc.run?.backend ?? 'auto';
  let backend: 'cpu' | 'cuda' = backendWanted === 'cuda' ? 'cuda' : 'cpu';
  const notes: string[] = [];
  const executor = opts.executor && !opts.executor.unavailable ? opts.executor : interpreterExecutor;
  if (executor === interpreterExecutor) {
    if (backend === 'cuda') throw new RehearsalError(`the CUDA backend needs the native runtime${opts.executor?.unavailable ? `: ${opts.executor.unavailable}` : ''}; use --backend cpu`);
    notes.push(`ran on the JS interpreter in this process: ${opts.executor?.unavailable ?? 'no native runtime was given'}`);
  }
  // 'auto': all visible GPUs when there are enough for the run, else the CPU. Asked now, so the
  // discovery overlaps loading the model.
  const gpus = backendWanted === 'auto' && executor.gpus ? executor.gpus().catch((e: Error) => ({ count: 0, reason: e.message, links: undefined })) : undefined;
  let links: LinkTopology | undefined;
  let graph: ModelGraph;
  try {
    graph = opts.model ?? loadModel(doc.model!.ref, dirname(resolve(src.uri)));
  } catch (e) {
    const { line, column } = lineColumn(src.text, doc.model?.range?.start ?? 0);
    throw new RehearsalError(`${src.uri}:${line}:${column}: "model": ${(e as Error).message}`);
  }
  // The mesh: its tensor-parallel group is what runs; other dims (data parallel) repeat it.
  const dims = doc.mesh?.dims ?? opts.mesh?.dims ?? [{ name: 'tp', size: 1 }];
  const tp = rehearsedGroup(dims);
  const world = dims.reduce((a, d) => a * d.size, 1);
  const limit = Math.min(opts.ranks ?? doc.run?.ranks ?? CPU_MAX_RANKS, CPU_MAX_RANKS);
  if (tp.size > limit) throw new RehearsalError(`${src.uri}: the plan's ${tp.name} group has ${tp.size} ranks; this run allows ${limit}`);
  const n = tp.size;
  if (gpus) {
    const g = await gpus;
    if (g.count >= n) {
      backend = 'cuda';
      links = g.links;
      notes.push(`on ${n} of the ${g.count} visible GPUs`);
    } else notes.push(g.count ? `${g.count} GPU(s) visible for ${n} ranks: ran on the CPU backend` : `no GPU to run on (${g.reason ?? 'none found'}): ran on the CPU backend`);
  }
  if (world > n) notes.push(`the ${world}-rank mesh is rehearsed as one ${tp.name} group of ${n} ranks (ranks 0–${n - 1})`);
  const tokens = opts.tokens ?? n * Math.max(1, Math.ceil(8 / n));
  const over = rehearsalLimitProblem(tokens, opts.ranks ?? doc.run?.ranks);
  if (over) throw new RehearsalError(`${src.uri}: ${over}`);
  const cfg = graph.config;
  const moe = new Set(cfg.moeLayers ?? []);
  const layers = opts.layers ?? doc.run?.layers ?? defaultLayers(cfg.numLayers, moe);
  for (const l of layers) if (l < 0 || l >= cfg.numLayers) throw new RehearsalError(`${src.uri}: layer ${l} does not exist (the model has ${cfg.numLayers})`);
  // The width: real when the estimated peak fits the budget, else the smallest scale that fits.
  const widths = chooseWidths({
    doc, graph, tpName: tp.name, ranks: n, layers, tokens, tail: opts.tail, backward: opts.backward ?? doc.run?.mode === 'training', widthScale: opts.widthScale,
    budgetBytes: opts.budgetElements !== undefined ? 4 * opts.budgetElements : opts.budgetBytes,
    runtimeBytes: opts.budgetElements !== undefined ? 0 : undefined,
    separateRuns: executor !== interpreterExecutor,
  });
  graph = widths.graph;
  const factor = widths.factor;
  notes.push(...widths.notes);
  const base = { backend, ranks: n, layers, tokens, widthScale: factor, notes, tolerance: TOL_FP32 };
  const empty = { declaredBytes: 0, modules: [], trace: { meta: { version: '1', origin: 'shardscope' as const, backend }, ranks: [], events: [] }, collectives: [], predictedOverMeasured: {}, maxRelError: NaN, firstMismatch: null };
  progress('binding the plan', 0.05);
  let expertParallel = doc.expertParallel?.length ? doc.expertParallel : undefined;
  if (expertParallel && expertParallel.some((d) => d !== tp.name)) {
    notes.push(`experts spread over ${expertParallel.join('×')} in the plan are rehearsed spread over the ${tp.name} group alone`);
    expertParallel = [tp.name];
  }
  let sharded: ShardedModel;
  try {
    sharded = bindPlan(graph, planInputsFromDocument(doc, graph, { expertParallel: !!expertParallel }), { dims: [{ name: tp.name, size: n }] }, { expertParallel, run: { batch: 1, seqLen: tokens, mode: doc.run?.mode ?? 'inference' } });
  } catch (e) {
    return { ...base, ...empty, verdict: 'error', error: { message: (e as Error).message } };
  }
  const fatal = sharded.findings.find((f) => f.severity === 'error' && f.entry);
  if (fatal) {
    const at = locate(fatal.entry)!;
    const { column } = lineColumn(src.text, fatal.entry!.keyRange.start);
    return { ...base, ...empty, verdict: 'error', error: { message: fatal.message, code: fatal.code, module: fatal.target, planEntry: at.key, file: at.file, line: at.line, column } };
  }
  progress('lowering', 0.1);
  let ref;
  let lowered;
  const lowerSharded = (routing?: Routing) => lower({ graph, sharded, layers, tokens, tail: opts.tail, loss: opts.tail, locate, backward: opts.backward ?? doc.run?.mode === 'training', routing });
  const loweringFailed = (e: unknown): RehearsalResult => {
    if (!(e instanceof LoweringError)) throw e;
    return { ...base, ...empty, verdict: 'error', error: { message: e.message, module: e.module, planEntry: e.entry?.key, file: e.entry?.file, line: e.entry?.line } };
  };
  try {
    ref = lower({ graph, layers, tokens, tail: opts.tail, loss: opts.tail });
    lowered = lowerSharded();
  } catch (e) {
    return loweringFailed(e);
  }
  log(`${n} rank${n > 1 ? 's' : ''} on the ${backend === 'cuda' ? 'GPUs' : 'CPU'} (${executor.name}), layers ${layers.join(', ')}, ${tokens} tokens${factor > 1 ? `, widths 1/${factor}` : ''}`);
  // The reference runs first only where the sharded run must reuse its top-k routing (MoE layers);
  // dense layers start the sharded run at once, so its first event comes early.
  const needsRouting = layers.some((l) => moe.has(l));
  // Both runs return only the module outputs the comparison reads (and the reference its routing).
  // A stage's share of the bar [from, to): the runtime's finished ops move it, so a long run shows a fraction.
  const stageProgress = (message: string, from: number, to: number) => {
    progress(message, from);
    return (finished: number, total: number) => {
      if (total > 0) progress(`${message}: ${finished}/${total} ops`, from + ((to - from) * Math.min(finished, total)) / total);
    };
  };
  const runReference = (from: number, to: number) =>
    executor.execute({ programs: ref.programs, backend, outputs: ref.outputs.map((o) => o.buffer), trace: false, signal: opts.signal, onLog: log, onProgress: stageProgress('running the reference', from, to) });
  let refRun: ExecuteResult | undefined;
  const measured: TraceEvent[] = [];
  // Executors time events from the start of the run.
  const toEvent = (e: OpEvent): TraceEvent => eventOf(e, e.startNs / 1e3, (e.endNs - e.startNs) / 1e3, 'measured', 'measured');
  let run: ExecuteResult;
  let stage = 'reference';
  try {
    if (needsRouting) {
      refRun = await runReference(0.15, 0.4);
      // Lowered again with the reference's routing: an all-to-all plan then runs its own expert dispatch
      // (all_to_all_v counts from these choices), and the experts' backward gets the rows each expert got.
      const combined = lowered.wantsRouting;
      try {
        lowered = lowerSharded(refRun.routing);
      } catch (e) {
        return loweringFailed(e);
      }
      if (combined && !lowered.wantsRouting) notes.push("the plan's all-to-all expert dispatch runs as all_to_all_v of token rows, its counts from the reference's routing");
    }
    notes.push(...lowered.notes);
    stage = 'sharded';
    run = await executor.execute({
      onProgress: stageProgress('running the sharded layers', 0.4, refRun ? 0.9 : 0.65),
      programs: lowered.programs,
      backend,
      outputs: lowered.outputs.map((o) => o.buffer),
      routing: refRun?.routing,
      trace: opts.trace !== false,
      signal: opts.signal,
      onEvent: opts.onEvent ? (e) => opts.onEvent!(toEvent(e)) : undefined,
      onLog: log,
    });
    notes.push(...(run.notes ?? []));
    if (!refRun) {
      stage = 'reference';
      refRun = await runReference(0.65, 0.9);
    }
  } catch (e) {
    if (!(e instanceof ProgramError)) throw e;
    if (stage === 'reference') return { ...base, ...empty, verdict: 'error', error: { message: `the reference cannot run: ${e.message}`, module: e.label?.module } };
    if (e.message === 'cancelled') return { ...base, ...empty, verdict: 'error', error: { message: 'the run was cancelled' } };
    return { ...base, ...empty, verdict: 'error', error: { message: e.message, module: e.label?.module, planEntry: e.label?.entry, file: e.label?.file, line: e.label?.line } };
  }
  for (const e of run.events) measured.push(toEvent(e));
  progress('comparing', 0.9);
  const modules = compareModules(lowered.outputs, run.buffers, ref.outputs, refRun.buffers, tokens);
  const first = modules.find((m) => !(m.relError <= TOL_FP32));
  const finalErr = modules.length ? modules[modules.length - 1].relError : NaN;
  const maxRelError = Math.max(finalErr, ...modules.map((m) => m.relError));
  const model = opts.costModel ?? defaultCostModel(backend, links ?? 'nvlink', Array.from({ length: n }, (_, r) => r));
  if (opts.ncclTestsLog) {
    const fits = fitNcclTestsLog(readInputText(opts.ncclTestsLog, 'ncclTestsLog'), opts.ncclTestsLog);
    model.links = { ...model.links, ...Object.fromEntries(fits.map((f) => [f.op, f.link])) };
    notes.push(`collectives predicted from ${opts.ncclTestsLog} (${fits.map((f) => `${f.op} on ${f.ranks} ranks: ${f.link.busGBps.toFixed(0)} GB/s, α ${f.link.alphaUs.toFixed(1)} µs`).join('; ')})`);
  }
  const predicted = predictedEvents(lowered.programs, model);
  const events = [...measured, ...predicted];
  const collectives = summarizeCollectives(events);
  const trace: Trace = { meta: { version: '1', origin: 'shardscope', model: cfg.modelType, mesh: dims.map((d) => `${d.name}=${d.size}`).join(','), backend, devices: Array.from({ length: n }, (_, r) => `${backend}:${r}`) }, ranks: Array.from({ length: n }, (_, r) => r), events };
  return {
    ...base,
    verdict: first ? 'mismatch' : 'match',
    maxRelError,
    firstMismatch: first ? { module: first.module, relError: first.relError, planEntry: first.entry?.key, file: first.entry?.file, line: first.entry?.line } : null,
    modules,
    trace,
    collectives,
    predictedOverMeasured: ratioByKind(measured, predicted, collectives),
    declaredBytes: [ref.programs, lowered.programs].reduce((a, p) => a + p.buffers.reduce((x, b) => x + 4 * b.shape.reduce((u, v) => u * v, 1), 0), 0),
  };
}

/** One dense and one MoE layer where the model has both; else the first two layers. */
export function defaultLayers(numLayers: number, moe: Set<number>): number[] {
  const dense = Array.from({ length: numLayers }, (_, i) => i).find((i) => !moe.has(i));
  const sparse = [...moe].sort((a, b) => a - b)[0];
  if (dense !== undefined && sparse !== undefined) return [dense, sparse].sort((a, b) => a - b);
  return numLayers > 1 ? [0, 1] : [0];
}

function eventOf(e: { rank: number; op: string; bytes: number; group?: number[]; seq?: number; label: OpEvent['label'] }, ts: number, dur: number, lane: string, source: 'measured' | 'predicted'): TraceEvent {
  return {
    rank: e.rank,
    lane,
    name: e.op,
    cat: categoryOf(e.op),
    ts,
    dur,
    op: e.op,
    bytes: e.bytes || undefined,
    group: e.group,
    seq: e.seq,
    entry: e.label.entry ? { key: e.label.entry, file: e.label.file, line: e.label.line } : undefined,
    layer: e.label.layer,
    pass: e.label.pass,
    source,
  };
}

/** The cost model's timeline, on its own lane, one event per op of the programs. */
export function predictedEvents(programs: RankPrograms, model: CostModel): TraceEvent[] {
  const seqs = new Map<string, number>();
  return predict(programs, model).map((p) => {
    const op = programs.ranks[p.rank].ops[p.index];
    const group = op.group !== undefined ? programs.groups[op.group] : undefined;
    let seq: number | undefined;
    if (group) {
      const k = `${op.group}|${p.rank}`;
      seq = seqs.get(k) ?? 0;
      seqs.set(k, seq + 1);
    }
    return eventOf({ rank: p.rank, op: p.op, bytes: p.bytes, group, seq, label: op.label }, p.startUs, p.durUs, 'predicted', 'predicted');
  });
}

/** Predicted ÷ measured per op kind: compute ops by their events' total time, collectives by their own
 *  time once every member was in (the summary's measured time), as the α-β model predicts them. */
function ratioByKind(measured: TraceEvent[], predicted: TraceEvent[], collectives: CollectiveSummary[]): Record<string, number> {
  const sum = (es: TraceEvent[]) => {
    const m = new Map<string, number>();
    for (const e of es) if (e.cat !== 'collective') m.set(e.name, (m.get(e.name) ?? 0) + e.dur);
    return m;
  };
  const m = sum(measured);
  const p = sum(predicted);
  for (const c of collectives) {
    m.set(c.op, (m.get(c.op) ?? 0) + c.measuredUs * c.count);
    p.set(c.op, (p.get(c.op) ?? 0) + c.predictedUs * c.count);
  }
  const out: Record<string, number> = {};
  for (const [k, v] of m) if (v > 0 && p.get(k)) out[k] = p.get(k)! / v;
  return out;
}
