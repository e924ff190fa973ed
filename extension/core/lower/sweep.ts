// Calibration from the runtime's own collectives and compute: a small sweep (a GEMM and a memory-bound add
// on every rank at once, then all_reduce, all_gather, reduce_scatter at a few sizes, a few times each) as
// RankPrograms, the fit of α and bus bandwidth per collective and rank count and of the per-rank GEMM and
// memory rates from its events, and the calibration file the CLI writes and reads back.
import type { CollectiveOp, LinkModel } from '../sharding';
import { fitLink } from '../sharding';
import type { RankPrograms, RankOp, BufferDecl } from './types';
import type { CostModel } from './cost';
import { CalibrationError } from './calibrate';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { lineColumn } from '../util/json';

export const SWEEP_OPS = ['all_reduce', 'all_gather', 'reduce_scatter'] as const;
export type SweepOp = (typeof SWEEP_OPS)[number];

/** Default sizes (nccl-tests' S, bytes): small enough for the CPU backend, spread enough to separate α from bandwidth. */
export const SWEEP_SIZES = [64 * 1024, 512 * 1024, 4 * 1024 * 1024];

export interface SweepPoint {
  op: SweepOp;
  /** nccl-tests' S: the whole buffer (all_gather: its output, reduce_scatter: its input). */
  bytes: number;
  /** The op's index in every rank's program. */
  index: number;
  warmup: boolean;
}

/** A compute op every rank runs at once (as a rehearsal's ranks do), to fit the cost model's rates. */
export interface ComputePoint {
  kind: 'gemm' | 'memory';
  flops: number;
  /** Bytes the op reads and writes. */
  bytes: number;
  index: number;
  warmup: boolean;
}

export interface Sweep {
  programs: RankPrograms;
  points: SweepPoint[];
  compute: ComputePoint[];
}

// The compute probes: a GEMM large enough to be bound by arithmetic (256 rows × 1024 × 1024, 4 MiB of
// weight) and an add over 16 MiB per operand, bound by memory.
const GEMM_PROBE = { M: 256, K: 1024, N: 1024 };
const MEMORY_PROBE_ELEMS = 1 << 22;

/**
 * One program per rank: first the compute probes on every rank at once, then per collective and size;
 * each one untimed warm-up then `repeats` timed runs.
 */
export function sweepPrograms(ranks: number, sizes: number[] = SWEEP_SIZES, repeats = 3): Sweep {
  if (!Number.isInteger(ranks) || ranks < 2) throw new CalibrationError(`a collective sweep needs at least 2 ranks, not ${ranks}`);
  const buffers: BufferDecl[] = [];
  const ops: RankOp[] = [];
  const points: SweepPoint[] = [];
  const compute: ComputePoint[] = [];
  const input = (id: string, shape: number[]) => {
    for (let r = 0; r < ranks; r++) buffers.push({ id, rank: r, dtype: 'f32', shape, init: { kind: 'input', key: id, globalShape: shape, ranges: [shape.map((n) => [0, n] as [number, number])], scale: 1 } });
  };
  const output = (id: string, shape: number[]) => {
    for (let r = 0; r < ranks; r++) buffers.push({ id, rank: r, dtype: 'f32', shape });
  };
  const { M, K, N } = GEMM_PROBE;
  input('sweep:gemm:x', [M, K]);
  input('sweep:gemm:w', [N, K]);
  output('sweep:gemm:y', [M, N]);
  input('sweep:memory:a', [MEMORY_PROBE_ELEMS]);
  input('sweep:memory:b', [MEMORY_PROBE_ELEMS]);
  output('sweep:memory:c', [MEMORY_PROBE_ELEMS]);
  for (let i = 0; i <= repeats; i++) {
    compute.push({ kind: 'gemm', flops: 2 * M * K * N, bytes: 4 * (M * K + N * K + M * N), index: ops.length, warmup: i === 0 });
    ops.push({ op: 'gemm', ins: ['sweep:gemm:x', 'sweep:gemm:w'], outs: ['sweep:gemm:y'], attrs: { transB: 1 }, label: { module: 'calibration', entry: 'gemm' } });
    compute.push({ kind: 'memory', flops: 0, bytes: 4 * 3 * MEMORY_PROBE_ELEMS, index: ops.length, warmup: i === 0 });
    ops.push({ op: 'add', ins: ['sweep:memory:a', 'sweep:memory:b'], outs: ['sweep:memory:c'], label: { module: 'calibration', entry: 'add' } });
  }
  for (const op of SWEEP_OPS)
    for (const size of sizes) {
      // Rows of 256 fp32 values, a multiple of the ranks of them, so every member's share is whole rows.
      const W = 256;
      const rows = Math.max(ranks, Math.round(size / (4 * W) / ranks) * ranks);
      const full = [rows, W];
      const part = [rows / ranks, W];
      const inShape = op === 'all_gather' ? part : full;
      const outShape = op === 'reduce_scatter' ? part : full;
      const bytes = 4 * rows * W;
      const inId = `sweep:${op}:${bytes}:in`;
      const outId = `sweep:${op}:${bytes}:out`;
      input(inId, inShape);
      output(outId, outShape);
      for (let i = 0; i <= repeats; i++) {
        points.push({ op, bytes, index: ops.length, warmup: i === 0 });
        ops.push({ op, ins: [inId], outs: [outId], group: 0, attrs: { dim: 0 }, label: { module: 'calibration', entry: `${op} ${bytes} B` } });
      }
    }
  const members = Array.from({ length: ranks }, (_, r) => r);
  return { programs: { worldSize: ranks, groups: [members], buffers, ranks: members.map((rank) => ({ rank, ops: ops.map((o) => ({ ...o })) })) }, points, compute };
}

export interface SweepEvent {
  rank: number;
  /** Op index in the rank's program. */
  op: number;
  startNs: number;
  endNs: number;
}

export interface CalibrationFit {
  op: CollectiveOp;
  ranks: number;
  alphaUs: number;
  busGBps: number;
  /** The (size, time) points behind the fit: time = the last member's exit − the last member's arrival, fastest of the repeats. */
  samples: { bytes: number; us: number }[];
  /** The larger sizes did not take longer: bandwidth from the largest size alone, no latency term. */
  noisy?: boolean;
}

/** Per-rank compute rates with `ranks` ranks running at once (on the CPU backend they share the cores). */
export interface ComputeFit {
  ranks: number;
  /** GEMM rate per rank, FLOP/s. */
  gemmFlops: number;
  /** Memory-bound ops per rank, bytes/s. */
  memBytesPerSec: number;
}

export interface Calibration {
  version: 1;
  source: string;
  backend: 'cpu' | 'cuda';
  /** Devices or threads the sweep ran on, as the runtime named them. */
  devices?: string[];
  fits: CalibrationFit[];
  /** Absent in calibrations made before compute was fitted (and in hand-written ones). */
  compute?: ComputeFit[];
}

/** The sweep's events by op index (every rank's event of that op). */
function eventsByOp(events: SweepEvent[]): Map<number, SweepEvent[]> {
  const byOp = new Map<number, SweepEvent[]>();
  for (const e of events) {
    const l = byOp.get(e.op);
    if (l) l.push(e);
    else byOp.set(e.op, [e]);
  }
  return byOp;
}

/** α and bus bandwidth per collective from one sweep's events (every rank's event of every op). */
export function fitSweep(sweep: Sweep, events: SweepEvent[]): CalibrationFit[] {
  const ranks = sweep.programs.worldSize;
  const byOp = eventsByOp(events);
  const fits: CalibrationFit[] = [];
  for (const op of SWEEP_OPS) {
    const bySize = new Map<number, number[]>();
    for (const p of sweep.points) {
      if (p.op !== op || p.warmup) continue;
      const es = byOp.get(p.index) ?? [];
      if (es.length !== ranks) throw new CalibrationError(`the sweep's ${op} of ${p.bytes} B came back from ${es.length} of ${ranks} ranks`);
      // From the last member's arrival to the last member's exit. Back to back, a sweep's members are
      // awake when the collective starts; a rehearsal's members sleep through each other's compute and are
      // woken by the last arrival, a cost the last exit here takes in (calibrated CPU all-reduces came to
      // 0.6–0.9× a rehearsal's measured time this way, 0.34× with the first exit; bench/calibration).
      const us = (Math.max(...es.map((e) => e.endNs)) - Math.max(...es.map((e) => e.startNs))) / 1e3;
      bySize.set(p.bytes, [...(bySize.get(p.bytes) ?? []), Math.max(us, 1e-3)]);
    }
    // The fastest repeat: on a shared machine, noise (preemption, other work) only ever adds time.
    const samples = [...bySize].map(([bytes, us]) => ({ bytes, us: Math.min(...us) }));
    if (samples.length < 2) continue;
    let link = fitLink(op, ranks, samples, `sweep ${op}`);
    let noisy = false;
    if (!(link.busGBps > 0 && Number.isFinite(link.busGBps))) {
      // A larger size that did not take longer (preemption on a shared machine, or a cache that held the
      // smaller one): latency cannot be told from bandwidth, so the bandwidth is that of the largest size
      // alone, with no latency term, and the fit says it is rough.
      const largest = samples.reduce((a, b) => (b.bytes > a.bytes ? b : a));
      link = fitLink(op, ranks, [{ bytes: 0, us: 0 }, largest], `sweep ${op}`);
      noisy = true;
    }
    fits.push({ op, ranks, alphaUs: link.alphaUs, busGBps: link.busGBps, samples, ...(noisy ? { noisy } : {}) });
  }
  return fits;
}

/** Per-rank GEMM and memory rates from the sweep's compute probes: the median over ranks and repeats. */
export function fitCompute(sweep: Sweep, events: SweepEvent[]): ComputeFit | undefined {
  const ranks = sweep.programs.worldSize;
  const byOp = eventsByOp(events);
  const rate = (kind: ComputePoint['kind']) => {
    const rates: number[] = [];
    for (const p of sweep.compute)
      if (p.kind === kind && !p.warmup)
        for (const e of byOp.get(p.index) ?? []) if (e.endNs > e.startNs) rates.push((kind === 'gemm' ? p.flops : p.bytes) / ((e.endNs - e.startNs) / 1e9));
    rates.sort((a, b) => a - b);
    return rates.length ? rates[Math.floor(rates.length / 2)] : undefined;
  };
  const gemmFlops = rate('gemm');
  const memBytesPerSec = rate('memory');
  return gemmFlops && memBytesPerSec ? { ranks, gemmFlops, memBytesPerSec } : undefined;
}

/**
 * The cost model with the calibration's links (per rank count where fitted, and per collective for any
 * other group size) and compute rates (those of the rank count nearest `preferRanks`).
 */
export function applyCalibration(model: CostModel, calibration: Calibration, preferRanks?: number): CostModel {
  const linksByRanks: Record<number, Partial<Record<string, LinkModel>>> = { ...model.linksByRanks };
  const links: Partial<Record<string, LinkModel>> = { ...model.links };
  const bestRanks = new Map<string, number>();
  for (const f of calibration.fits) {
    const link: LinkModel = { name: `calibrated ${f.op} (${calibration.source}, ${f.ranks} ranks)`, alphaUs: f.alphaUs, busGBps: f.busGBps };
    (linksByRanks[f.ranks] ??= {})[f.op] = link;
    // For group sizes the sweep did not run: the fit from the nearest rank count (ties: the larger one).
    const prev = bestRanks.get(f.op);
    const target = preferRanks ?? f.ranks;
    if (prev === undefined || Math.abs(f.ranks - target) < Math.abs(prev - target) || (Math.abs(f.ranks - target) === Math.abs(prev - target) && f.ranks > prev)) {
      bestRanks.set(f.op, f.ranks);
      links[f.op] = link;
    }
  }
  const target = preferRanks ?? Math.max(0, ...(calibration.compute ?? []).map((c) => c.ranks));
  const compute = (calibration.compute ?? []).reduce<ComputeFit | undefined>((best, c) => (!best || Math.abs(c.ranks - target) < Math.abs(best.ranks - target) || (Math.abs(c.ranks - target) === Math.abs(best.ranks - target) && c.ranks > best.ranks) ? c : best), undefined);
  return { ...model, links, linksByRanks, ...(compute ? { gemmFlops: compute.gemmFlops, memBytesPerSec: compute.memBytesPerSec } : {}) };
}

/** A calibration file read back: a located error when it is not one. */
export function readCalibration(text: string, where = 'calibration file'): Calibration {
  const errors: ParseError[] = [];
  const v: unknown = parse(text, errors, { allowTrailingComma: false });
  if (errors.length) {
    const { line, column } = lineColumn(text, errors[0].offset);
    throw new CalibrationError(`${where}:${line}:${column}: not valid JSON (${printParseErrorCode(errors[0].error)})`);
  }
  const c = v as Partial<Calibration>;
  const lineOf = (key: string) => {
    const i = text.indexOf(`"${key}"`);
    return i < 0 ? '1:1' : `${text.slice(0, i).split('\n').length}:${i - text.lastIndexOf('\n', i - 1)}`;
  };
  if (!c || typeof c !== 'object' || c.version !== 1) throw new CalibrationError(`${where}:${lineOf('version')}: expected a shardscope calibration ({"version": 1, "fits": [...]}), as \`shardscope calibrate\` writes`);
  if (!Array.isArray(c.fits) || c.fits.length === 0) throw new CalibrationError(`${where}:${lineOf('fits')}: "fits" must list at least one {op, ranks, alphaUs, busGBps}`);
  c.fits.forEach((f, i) => {
    const ok = f && typeof f.op === 'string' && Number.isInteger(f.ranks) && f.ranks > 1 && Number.isFinite(f.alphaUs) && f.busGBps > 0;
    if (!ok) throw new CalibrationError(`${where}:${lineOf('fits')}: fits[${i}] needs op, ranks (> 1), alphaUs and busGBps (> 0)`);
  });
  if (c.compute !== undefined) {
    if (!Array.isArray(c.compute)) throw new CalibrationError(`${where}:${lineOf('compute')}: "compute" must list {ranks, gemmFlops, memBytesPerSec}`);
    c.compute.forEach((f, i) => {
      if (!f || !Number.isInteger(f.ranks) || f.ranks < 1 || !(f.gemmFlops > 0) || !(f.memBytesPerSec > 0))
        throw new CalibrationError(`${where}:${lineOf('compute')}: compute[${i}] needs ranks (≥ 1), gemmFlops and memBytesPerSec (> 0)`);
    });
  }
  return { version: 1, source: typeof c.source === 'string' ? c.source : where, backend: c.backend === 'cuda' ? 'cuda' : 'cpu', devices: c.devices, fits: c.fits as CalibrationFit[], ...(c.compute ? { compute: c.compute } : {}) };
}
