// Calibration from the runtime's own collectives: a small sweep (all_reduce, all_gather, reduce_scatter at
// a few sizes, a few times each) as RankPrograms, the fit of α and bus bandwidth per collective and rank
// count from its events, and the calibration file the CLI writes and reads back.
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

export interface Sweep {
  programs: RankPrograms;
  points: SweepPoint[];
}

/** One program per rank: per collective and size, one untimed warm-up then `repeats` timed runs. */
export function sweepPrograms(ranks: number, sizes: number[] = SWEEP_SIZES, repeats = 3): Sweep {
  if (!Number.isInteger(ranks) || ranks < 2) throw new CalibrationError(`a collective sweep needs at least 2 ranks, not ${ranks}`);
  const buffers: BufferDecl[] = [];
  const ops: RankOp[] = [];
  const points: SweepPoint[] = [];
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
      for (let r = 0; r < ranks; r++) {
        buffers.push({ id: inId, rank: r, dtype: 'f32', shape: inShape, init: { kind: 'input', key: inId, globalShape: inShape, ranges: [inShape.map((n) => [0, n] as [number, number])], scale: 1 } });
        buffers.push({ id: outId, rank: r, dtype: 'f32', shape: outShape });
      }
      for (let i = 0; i <= repeats; i++) {
        points.push({ op, bytes, index: ops.length, warmup: i === 0 });
        ops.push({ op, ins: [inId], outs: [outId], group: 0, attrs: { dim: 0 }, label: { module: 'calibration', entry: `${op} ${bytes} B` } });
      }
    }
  const members = Array.from({ length: ranks }, (_, r) => r);
  return { programs: { worldSize: ranks, groups: [members], buffers, ranks: members.map((rank) => ({ rank, ops: ops.map((o) => ({ ...o })) })) }, points };
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

export interface Calibration {
  version: 1;
  source: string;
  backend: 'cpu' | 'cuda';
  /** Devices or threads the sweep ran on, as the runtime named them. */
  devices?: string[];
  fits: CalibrationFit[];
}

/** α and bus bandwidth per collective from one sweep's events (every rank's event of every op). */
export function fitSweep(sweep: Sweep, events: SweepEvent[]): CalibrationFit[] {
  const ranks = sweep.programs.worldSize;
  const byOp = new Map<number, SweepEvent[]>();
  for (const e of events) {
    const l = byOp.get(e.op) ?? [];
    l.push(e);
    byOp.set(e.op, l);
  }
  const fits: CalibrationFit[] = [];
  for (const op of SWEEP_OPS) {
    const bySize = new Map<number, number[]>();
    for (const p of sweep.points) {
      if (p.op !== op || p.warmup) continue;
      const es = byOp.get(p.index) ?? [];
      if (es.length !== ranks) throw new CalibrationError(`the sweep's ${op} of ${p.bytes} B came back from ${es.length} of ${ranks} ranks`);
      // The collective starts when its last member arrives and ends when the last member leaves.
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

/** The cost model with the calibration's links: per rank count where fitted, and per collective for any other group size. */
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
  return { ...model, links, linksByRanks };
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
  return { version: 1, source: typeof c.source === 'string' ? c.source : where, backend: c.backend === 'cuda' ? 'cuda' : 'cpu', devices: c.devices, fits: c.fits as CalibrationFit[] };
}
