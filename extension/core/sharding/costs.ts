// Collective cost model: α-β (Hockney) per collective with nccl-tests' bus-bandwidth factors.
import type { CollectiveOp } from './types';

export interface LinkModel {
  /** Latency per algorithm step, µs. */
  alphaUs: number;
  /** Bus bandwidth, GB/s (10^9 bytes per second), as nccl-tests reports busbw. */
  busGBps: number;
  name: string;
}

/** Datasheet-level defaults, replaced by a calibration sweep when one is available. */
export const LINKS: Record<'nvlink' | 'pcie' | 'cpu', LinkModel> = {
  nvlink: { name: 'NVLink', alphaUs: 4, busGBps: 350 },
  pcie: { name: 'PCIe', alphaUs: 10, busGBps: 20 },
  cpu: { name: 'CPU shared memory', alphaUs: 5, busGBps: 8 },
};

/** nccl-tests' factor turning algorithm bandwidth (S / t) into bus bandwidth. */
export function busFactor(op: CollectiveOp, n: number): number {
  if (n <= 1) return 0;
  switch (op) {
    case 'all_reduce':
      return (2 * (n - 1)) / n;
    case 'all_gather':
    case 'reduce_scatter':
    case 'all_to_all':
    case 'all_to_all_v':
    case 'scatter':
      return (n - 1) / n;
    case 'broadcast':
    case 'send_recv':
      return 1;
  }
}

/** Steps of the ring algorithm, for the latency term. */
function latencySteps(op: CollectiveOp, n: number): number {
  if (n <= 1) return 0;
  switch (op) {
    case 'all_reduce':
      return 2 * (n - 1);
    case 'broadcast':
    case 'send_recv':
      return 1;
    default:
      return n - 1;
  }
}

/** Predicted time in µs of a collective moving nccl-tests' S = `bytes` over a group of n. */
export function predictCollectiveUs(op: CollectiveOp, bytes: number, n: number, link: LinkModel): number {
  if (n <= 1) return 0;
  return link.alphaUs * latencySteps(op, n) + (bytes * busFactor(op, n)) / (link.busGBps * 1e3);
}

/** Bus bandwidth in GB/s of a measured collective (nccl-tests convention). */
export function busBandwidthGBps(op: CollectiveOp, bytes: number, n: number, seconds: number): number {
  if (seconds <= 0) return 0;
  return ((bytes / seconds) * busFactor(op, n)) / 1e9;
}

/** Bytes each rank must send in an ideal ring for nccl-tests' S. */
export function bytesSentPerRank(op: CollectiveOp, bytes: number, n: number): number {
  return bytes * busFactor(op, n);
}

/** Fit α and bus bandwidth from measured (bytes, µs) pairs of one op by least squares. */
export function fitLink(op: CollectiveOp, n: number, samples: { bytes: number; us: number }[], name = 'calibrated'): LinkModel {
  const steps = latencySteps(op, n);
  const f = busFactor(op, n);
  // us = a * steps + b * (bytes * f), b = 1 / (GBps * 1e3)
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const s of samples) {
    const x = s.bytes * f;
    sx += x; sy += s.us; sxx += x * x; sxy += x * s.us;
  }
  const m = samples.length;
  const denom = m * sxx - sx * sx;
  const b = denom !== 0 ? (m * sxy - sx * sy) / denom : 0;
  const a0 = (sy - b * sx) / m;
  return { name, alphaUs: Math.max(0, steps ? a0 / steps : a0), busGBps: b > 0 ? 1 / (b * 1e3) : Infinity };
}
