// The width a rehearsal runs at, chosen from an estimate of the memory it materialises: real widths
// whenever they fit the budget (8 GiB by default), else the smallest power-of-two scale that fits and
// keeps every divisibility the plan relies on. Head and expert counts never change, so heads still split
// over the tensor-parallel ranks and experts over the expert-parallel ones.
import type { NormalizedConfig, ModelGraph } from '../models/types';
import { graphFromConfig } from '../models';

export const DEFAULT_BUDGET_BYTES = 8 * 2 ** 30;
/** What the process holds besides the buffers (the runtime, the model graph, the programs). */
export const DEFAULT_RUNTIME_BYTES = 256 * 2 ** 20;
const MAX_FACTOR = 64;

/** Widths a plan can split over the ranks: where one is a multiple of the rank count, its scaled value must stay one. */
export const SHARDABLE_WIDTHS = ['hidden_size', 'intermediate_size', 'moe_intermediate_size', 'q_lora_rank', 'kv_lora_rank'] as const;
/** Per-head widths: they stay even (rotary embedding rotates pairs). */
export const HEAD_WIDTHS = ['head_dim', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim'] as const;

export interface FitOptions {
  /** Peak bytes allowed (default 8 GiB). */
  budgetBytes?: number;
  /** Bytes per element of the run's buffers (4: fp32; 2: bf16). */
  bytesPerElement?: number;
  /** Bytes the process needs besides the buffers (default 256 MiB). */
  runtimeBytes?: number;
  /** The layers' final norm and lm_head run too. */
  tail?: boolean;
  /** Backward runs too: weight gradients as large as the sharded weights. */
  backward?: boolean;
  /**
   * Copies of a parameter the sharded ranks hold together, Σ local elements ÷ global elements: 1 when
   * the plan splits it over the ranks, the rank count when it is replicated. Default: replicated
   * everywhere, the bound when the binding is not known.
   */
  copies?: (param: string) => number;
  /**
   * For a 3-D experts parameter [E, …]: Σ over ranks of the part of one expert a rank holds (1 when the
   * plan splits every expert over the ranks, the rank count when each rank holds whole experts).
   * Experts are generated one at a time on every rank as tokens reach them, so this is what is held at
   * once. Default: the rank count, the bound.
   */
  expertSlices?: (param: string) => number;
  /** Force this factor (it is lowered to the largest admissible one at most it). */
  factor?: number;
  /** The model at real widths, where it came from more than its config (a checkpoint's headers). */
  graph?: ModelGraph;
  /**
   * The reference and the sharded run hold their buffers one after the other (the native executor runs
   * each in a runtime child of its own): the peak is the larger run. Default: both alive at once (the JS
   * interpreter keeps every buffer of both runs).
   */
  separateRuns?: boolean;
}

/** Bytes a run at one width materialises at its peak (every buffer of the reference and of all ranks alive at once). */
export interface MemoryEstimate {
  referenceWeights: number;
  shardedWeights: number;
  gradients: number;
  /** The transposed copy a GEMM makes of its weight (the largest one in use on every rank at once). */
  workingCopies: number;
  activations: number;
  runtime: number;
  total: number;
  /** Experts that tokens reach per MoE layer (top-k × tokens at most), the only ones ever generated. */
  routedExperts: number;
}

export interface WidthFit {
  factor: number;
  /** The config at that width (the input's own raw values when factor is 1). */
  raw: Record<string, unknown>;
  estimate: MemoryEstimate;
  /** The estimate at real widths, for the verdict's note. */
  realEstimate: MemoryEstimate;
  fits: boolean;
  /** Largest factor that keeps the divisibilities (the floor of what a model can shrink to). */
  maxFactor: number;
}

/** The config at 1/factor width, or undefined when a width would lose a divisibility the plan relies on. */
export function scaleWidths(raw: Record<string, unknown>, cfg: NormalizedConfig, factor: number, ranks: number): Record<string, unknown> | undefined {
  if (factor === 1) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const k of SHARDABLE_WIDTHS) {
    const v = raw[k];
    if (typeof v !== 'number') continue;
    const s = v / factor;
    if (!Number.isInteger(s) || s < 1 || (v % ranks === 0 && s % ranks !== 0)) return undefined;
    out[k] = s;
  }
  for (const k of HEAD_WIDTHS) {
    // head_dim may be implied (hidden / heads): it is written out so that it scales with the rest.
    const v = k === 'head_dim' ? (typeof raw.head_dim === 'number' ? raw.head_dim : cfg.kvLoraRank ? undefined : cfg.headDim) : raw[k];
    if (typeof v !== 'number') continue;
    const s = v / factor;
    if (!Number.isInteger(s) || s < 2 || s % 2 !== 0) return undefined;
    out[k] = s;
  }
  if (typeof raw.vocab_size === 'number') out.vocab_size = Math.max(ranks, Math.ceil(raw.vocab_size / factor / ranks) * ranks);
  return out;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The peak-memory estimate of rehearsing `layers` of `graph` over `ranks` ranks with `tokens` tokens. */
export function estimateMemory(graph: ModelGraph, layers: number[], tokens: number, ranks: number, o: FitOptions = {}): MemoryEstimate {
  const cfg = graph.config;
  const bpe = o.bytesPerElement ?? 4;
  const copies = o.copies ?? (() => ranks);
  const slices = o.expertSlices ?? (() => ranks);
  const moe = new Set(cfg.moeLayers ?? []);
  const E = cfg.numExperts ?? 1;
  const routed = Math.min(E, tokens * (cfg.numExpertsPerTok ?? 1));
  const prefixes = layers.map((l) => `${graph.basePrefix}.layers.${l}.`);
  const expertParams = new Set<string>();
  for (const m of graph.modules.values()) if (m.kind === 'experts') for (const p of m.params) expertParams.add(p.name);
  let ref = 0;
  let sharded = 0;
  let grads = 0;
  let workRef = 0;
  let workSharded = 0;
  for (const p of graph.params) {
    const inLayer = prefixes.some((pre) => p.name.startsWith(pre));
    const inTail = o.tail && (p.name === `${graph.basePrefix}.norm.weight` || p.name === 'lm_head.weight');
    if (!inLayer && !inTail) continue;
    if (expertParams.has(p.name) && p.shape[0] === E) {
      // Experts are generated one at a time as tokens reach them (unreached ones never): the reference
      // holds one whole expert, every rank its part of one, each beside the GEMM's transposed working
      // copy of it; backward adds a scratch and a gradient of that part.
      const one = numel(p.shape) / E;
      ref += one;
      sharded += one * slices(p.name);
      workRef = Math.max(workRef, one);
      workSharded = Math.max(workSharded, one * slices(p.name));
      if (o.backward) grads += 2 * one * slices(p.name);
      continue;
    }
    const n = numel(p.shape);
    ref += n;
    sharded += n * copies(p.name);
    if (o.backward) grads += n * copies(p.name);
  }
  // Weights are transposed for their GEMM one at a time per rank: the largest one, on every rank at once.
  for (const p of graph.params)
    if (!expertParams.has(p.name) && p.shape.length === 2 && (prefixes.some((pre) => p.name.startsWith(pre)) || (o.tail && p.name === 'lm_head.weight'))) {
      workRef = Math.max(workRef, numel(p.shape));
      workSharded = Math.max(workSharded, numel(p.shape) * copies(p.name));
    }
  // Activations: every step's output for the reference and every rank (whole, the bound), thrice for the
  // reshapes, slices and concats between them; attention scores are per row and transient.
  let act = 0;
  for (const l of layers) {
    const steps = (moe.has(l) ? graph.flow.moe : graph.flow.dense) ?? [];
    for (const s of steps) act += 3 * tokens * Number(s.outputShape.at(-1) ?? 0);
    if (moe.has(l)) act += 3 * tokens * (cfg.numExpertsPerTok ?? 1) * cfg.hiddenSize;
  }
  if (o.tail) act += tokens * (cfg.vocabSize + cfg.hiddenSize);
  if (o.backward) act *= 2;
  act *= 1 + ranks;
  const runtime = o.runtimeBytes ?? DEFAULT_RUNTIME_BYTES;
  const held = o.separateRuns ? Math.max(ref + workRef, sharded + grads + workSharded) : ref + sharded + grads + workRef + workSharded;
  const b = { referenceWeights: ref * bpe, shardedWeights: sharded * bpe, gradients: grads * bpe, workingCopies: (workRef + workSharded) * bpe, activations: act * bpe };
  return { ...b, runtime, total: held * bpe + b.activations + runtime, routedExperts: moe.size && layers.some((l) => moe.has(l)) ? routed : 0 };
}

/**
 * The smallest power-of-two width factor whose estimated peak fits `budgetBytes`: 1 (real widths)
 * whenever it fits; where even the largest admissible factor does not fit, that factor with fits false.
 */
export function fitWidths(cfg: NormalizedConfig, layers: number[], tokens: number, ranks: number, o: FitOptions = {}): WidthFit {
  const budget = o.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  const admissible: { factor: number; raw: Record<string, unknown> }[] = [];
  for (let f = 1; f <= MAX_FACTOR; f *= 2) {
    const raw = scaleWidths(cfg.raw, cfg, f, ranks);
    if (raw) admissible.push({ factor: f, raw });
  }
  const at = (c: { factor: number; raw: Record<string, unknown> }) => estimateMemory(c.factor === 1 ? o.graph ?? graphFromConfig(cfg.raw, cfg.modelType) : graphFromConfig(c.raw, `${cfg.modelType} at 1/${c.factor} width`), layers, tokens, ranks, o);
  const real = at(admissible[0]);
  const maxFactor = admissible[admissible.length - 1].factor;
  if (o.factor !== undefined) {
    const pick = [...admissible].reverse().find((c) => c.factor <= o.factor!) ?? admissible[0];
    const estimate = pick.factor === 1 ? real : at(pick);
    return { factor: pick.factor, raw: pick.raw, estimate, realEstimate: real, fits: estimate.total <= budget, maxFactor };
  }
  for (const c of admissible) {
    const estimate = c.factor === 1 ? real : at(c);
    if (estimate.total <= budget) return { factor: c.factor, raw: c.raw, estimate, realEstimate: real, fits: true, maxFactor };
  }
  const last = admissible[admissible.length - 1];
  return { factor: last.factor, raw: last.raw, estimate: at(last), realEstimate: real, fits: false, maxFactor };
}

/** Copies per parameter from a binding's local shapes (Σ over ranks ÷ global). */
export function copiesFromLocalShapes(params: { name: string; globalShape: number[]; localShapes: number[][] }[], ranks: number): (param: string) => number {
  const m = new Map<string, number>();
  for (const p of params) {
    const g = numel(p.globalShape);
    if (g > 0 && p.localShapes.length) m.set(p.name, p.localShapes.reduce((a, s) => a + numel(s), 0) / g);
  }
  return (name) => m.get(name) ?? ranks;
}

/** Σ over ranks of the part of one expert each rank holds, per 3-D experts parameter, from a binding's local shapes. */
export function expertSlicesFromLocalShapes(params: { name: string; globalShape: number[]; localShapes: number[][] }[], ranks: number): (param: string) => number {
  const m = new Map<string, number>();
  for (const p of params) {
    if (p.globalShape.length !== 3 || !p.localShapes.length) continue;
    const one = numel(p.globalShape.slice(1));
    if (one > 0) m.set(p.name, p.localShapes.reduce((a, s) => a + (s[0] > 0 ? numel(s.slice(1)) : 0), 0) / one);
  }
  return (name) => m.get(name) ?? ranks;
}

/** 5.2 GiB, 640 MiB: binary units as the UI writes bytes. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  return `${(n / 2 ** 10).toFixed(0)} KiB`;
}
