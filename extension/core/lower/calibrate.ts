// Calibration of the collective cost model from an nccl-tests log (all_reduce_perf, all_gather_perf,
// reduce_scatter_perf, alltoall_perf): α and bus bandwidth fitted per collective from the out-of-place
// (size, time) columns.
import type { CollectiveOp, LinkModel } from '../sharding';
import { fitLink } from '../sharding';

const BINARIES: Record<string, CollectiveOp> = {
  all_reduce_perf: 'all_reduce',
  all_gather_perf: 'all_gather',
  reduce_scatter_perf: 'reduce_scatter',
  alltoall_perf: 'all_to_all',
  broadcast_perf: 'broadcast',
};

export interface NcclTestsFit {
  op: CollectiveOp;
  ranks: number;
  link: LinkModel;
  samples: number;
}

export class CalibrationError extends Error {}

/** Fit one link per collective found in the log (a log may hold several tests one after another). */
export function fitNcclTestsLog(text: string, where = 'nccl-tests log'): NcclTestsFit[] {
  const fits: NcclTestsFit[] = [];
  let op: CollectiveOp | undefined;
  let ranks = 0;
  let samples: { bytes: number; us: number }[] = [];
  const flush = () => {
    if (op && samples.length >= 2 && ranks > 1) fits.push({ op, ranks, link: fitLink(op, ranks, samples, `nccl-tests ${op}`), samples: samples.length });
    samples = [];
  };
  text.split(/\r?\n/).forEach((line, i) => {
    const bin = /Collective test starting:\s*(\w+)/.exec(line);
    if (bin) {
      flush();
      op = BINARIES[bin[1]];
      return;
    }
    // nGpus × nThreads in one process, or the device list's highest rank across processes.
    const g = /nThread\s+(\d+)\s+nGpus\s+(\d+)/.exec(line);
    if (g) ranks = Math.max(ranks, Number(g[1]) * Number(g[2]));
    const rk = /^#\s+Rank\s+(\d+)/.exec(line);
    if (rk) ranks = Math.max(ranks, Number(rk[1]) + 1);
    if (line.startsWith('#') || !line.trim()) return;
    const f = line.trim().split(/\s+/);
    const bytes = Number(f[0]);
    const us = Number(f[5]);
    if (!Number.isFinite(bytes) || !Number.isFinite(us)) return;
    if (!op) throw new CalibrationError(`${where}:${i + 1}: a result row before any "Collective test starting: <name>_perf" line`);
    samples.push({ bytes, us });
  });
  flush();
  if (!fits.length) throw new CalibrationError(`${where}: no nccl-tests results found (expected rows of size, count, type, redop, root, time, ...)`);
  return fits;
}
