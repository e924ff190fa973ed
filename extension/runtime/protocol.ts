// Messages between the extension (parent) and the runtime child process, typed once here and checked on
// arrival by hand-written validators: a malformed message is dropped with a reason, never trusted.
import type { RankPrograms } from '../core/lower/types';

export type RuntimeBackend = 'cpu' | 'cuda';

export interface RunOptionsWire {
  backend: RuntimeBackend;
  timeoutMs: number;
  /** Buffers to return, as "rank/id". */
  outputs: string[];
  /** Initial contents, keyed "rank/id" (Float32Array or Int32Array). */
  data?: Record<string, Float32Array | Int32Array>;
  /** Record events (default true); off, no clock is read and no event comes back. */
  trace?: boolean;
  /** Routing choices to reuse, by the topk op's routingKey (the reference's choices, for the sharded run). */
  routing?: Record<string, RoutingWire>;
  /** Folders searched for the CUDA libraries (backend 'cuda'). */
  libraryDirs?: string[];
}

export interface RoutingWire {
  idx: Float32Array;
  weights: Float32Array;
}

export type ParentMessage =
  | { type: 'run'; programs: RankPrograms; options: RunOptionsWire }
  | { type: 'cancel' }
  | { type: 'discover'; dirs: string[] };

/** One event per op per rank, times in ns from the run's start. `group` is -1 for a send/recv pair. */
export interface NativeEvent {
  rank: number;
  op: number;
  startNs: number;
  endNs: number;
  bytes: number;
  group?: number;
  members?: number[];
  seq?: number;
  /** Time the op spent generating weights itself (experts) before its start, ns: a rehearsal's set-up. */
  setupNs?: number;
}

export interface RankProgress {
  rank: number;
  /** Ops started and finished so far (counts). */
  started: number;
  finished: number;
  ops: number;
  /** Units of work the running ops reported so far (GEMM blocks, attention rows, experts, generated rows):
   *  the heartbeat of a long op, which moves while no op starts or finishes. */
  work?: number;
}

export interface RankReport {
  rank: number;
  ops: number;
  /** Index of the last op started / finished, -1 for none. */
  lastStarted: number;
  lastFinished: number;
}

/** A collective wait that could never end, as the watchdog found it. */
export interface HangWait {
  rank: number;
  /** The collective's op index in that rank's program, its group (-1: a send/recv pair) and sequence number. */
  op: number;
  group: number;
  seq: number;
  waitedMs: number;
  /** Members of the group that had not arrived. */
  missing: number[];
}

export interface RunReport {
  ok: boolean;
  kind?: 'timeout' | 'error' | 'cancelled' | 'crash' | 'killed';
  message?: string;
  rank?: number;
  op?: number;
  group?: number;
  seq?: number;
  /** Ranks of the group that never reached the collective that timed out. */
  missing?: number[];
  /** A timeout: every wait of the hang (the reported rank's first, then each other rank waiting where nothing can release it). */
  waits?: HangWait[];
  ranks: RankReport[];
  /** For a crash: the signal or exit code and the child's last output. */
  signal?: string;
  exitCode?: number;
  lastOutput?: string;
}

export interface NativeResult {
  events: NativeEvent[];
  outputs: Record<string, Float32Array | Int32Array>;
  report: RunReport;
  /** Backend 'cuda': what NCCL logged during the run (NCCL_DEBUG=INFO unless the user set NCCL_DEBUG). */
  ncclLog?: string;
  /** Backend 'cuda': ops that have no CUDA kernel yet and ran on the host between the GPU ops (their
   *  events include the copies down and up). */
  hostOps?: string[];
}

export interface LibraryProbe {
  name: string;
  path?: string;
  error?: string;
  version?: string;
}

export interface Discovery {
  libraries: LibraryProbe[];
  devices: number;
  cuda: boolean;
  reason?: string;
  /** When the CUDA backend can run: the GPUs the driver shows and how each pair is joined. */
  topology?: GpuTopology;
}

export interface GpuDevice {
  /** CUDA ordinal after CUDA_VISIBLE_DEVICES: the rank that runs on it. */
  index: number;
  name: string;
  busId: string;
  computeCapability: string;
  memoryBytes: number;
}

/** NVML's common PCIe ancestor of two GPUs: one switch, several switches, the host bridge, the NUMA node, or across nodes. */
export type PcieAncestor = 'internal' | 'single' | 'multiple' | 'hostbridge' | 'node' | 'system';

export interface GpuLink {
  a: number;
  b: number;
  kind: 'nvlink' | 'pcie';
  ancestor?: PcieAncestor;
}

export interface GpuTopology {
  devices: GpuDevice[];
  /** One per pair a < b. Empty, with `error`, when NVML is missing. */
  links: GpuLink[];
  error?: string;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'progress'; ranks: RankProgress[] }
  /** Events finished since the last message, streamed while the run goes on (per rank in op order). */
  | { type: 'events'; events: NativeEvent[] }
  | { type: 'result'; result: NativeResult }
  | { type: 'discovered'; discovery: Discovery }
  | { type: 'error'; message: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

const isEvent = (e: unknown): boolean => isObj(e) && isNum(e.rank) && isNum(e.op) && isNum(e.startNs) && isNum(e.endNs);

/** Returns the message, or a string saying what is wrong with it. */
export function validateParentMessage(m: unknown): ParentMessage | string {
  if (!isObj(m) || typeof m.type !== 'string') return 'message without a type';
  switch (m.type) {
    case 'cancel':
      return { type: 'cancel' };
    case 'discover':
      return isStrArr(m.dirs) ? { type: 'discover', dirs: m.dirs } : 'discover: dirs must be strings';
    case 'run': {
      const p = m.programs, o = m.options;
      if (!isObj(p) || !isNum(p.worldSize) || !Array.isArray(p.groups) || !Array.isArray(p.buffers) || !Array.isArray(p.ranks))
        return 'run: programs must have worldSize, groups, buffers and ranks';
      if (!isObj(o) || (o.backend !== 'cpu' && o.backend !== 'cuda') || !isNum(o.timeoutMs) || !isStrArr(o.outputs))
        return 'run: options must have backend (cpu|cuda), timeoutMs and outputs';
      if (o.data !== undefined && !isObj(o.data)) return 'run: options.data must be an object';
      if (o.trace !== undefined && typeof o.trace !== 'boolean') return 'run: options.trace must be a boolean';
      if (o.libraryDirs !== undefined && !isStrArr(o.libraryDirs)) return 'run: options.libraryDirs must be strings';
      if (o.routing !== undefined) {
        if (!isObj(o.routing)) return 'run: options.routing must be an object';
        for (const [k, v] of Object.entries(o.routing))
          if (!isObj(v) || !(v.idx instanceof Float32Array) || !(v.weights instanceof Float32Array) || v.idx.length !== v.weights.length)
            return `run: options.routing['${k}'] must be { idx, weights } Float32Arrays of one length`;
      }
      return m as ParentMessage;
    }
    default:
      return `unknown message type '${m.type}'`;
  }
}

export function validateChildMessage(m: unknown): ChildMessage | string {
  if (!isObj(m) || typeof m.type !== 'string') return 'message without a type';
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'progress':
      return Array.isArray(m.ranks) && m.ranks.every((r) => isObj(r) && isNum(r.rank) && isNum(r.started) && isNum(r.finished) && (r.work === undefined || isNum(r.work)))
        ? (m as ChildMessage) : 'progress: ranks malformed';
    case 'events':
      return Array.isArray(m.events) && m.events.every(isEvent) ? (m as ChildMessage) : 'events: malformed event';
    case 'result': {
      const r = m.result;
      if (!isObj(r) || !Array.isArray(r.events) || !isObj(r.outputs) || !isObj(r.report) || typeof r.report.ok !== 'boolean' || !Array.isArray(r.report.ranks))
        return 'result: events, outputs and report expected';
      if (!r.events.every(isEvent)) return 'result: malformed event';
      return m as ChildMessage;
    }
    case 'discovered':
      return isObj(m.discovery) && Array.isArray(m.discovery.libraries) ? (m as ChildMessage) : 'discovered: libraries expected';
    case 'error':
      return typeof m.message === 'string' ? { type: 'error', message: m.message } : 'error: message expected';
    default:
      return `unknown message type '${m.type}'`;
  }
}
