// The in-memory trace model: our runs, our predictions and imported Kineto traces all land here.

export type EventCategory = 'collective' | 'compute' | 'memcpy' | 'idle' | 'other';

export interface TraceEvent {
  rank: number;
  /** Stream or lane; predicted events sit on their own lane. */
  lane: string;
  name: string;
  cat: EventCategory;
  /** Microseconds (fractional), relative to the trace's origin. */
  ts: number;
  dur: number;
  op?: string;
  bytes?: number;
  group?: number[];
  /** Per group: the same number on every rank for the same collective. */
  seq?: number;
  entry?: { key: string; file?: string; line?: number };
  layer?: number;
  pass?: 'forward' | 'backward';
  source: 'measured' | 'predicted' | 'imported';
  /** Kineto/NCCL identifiers used for cross-rank matching. */
  commId?: string;
}

export interface TraceMeta {
  version: string;
  model?: string;
  mesh?: string;
  backend?: string;
  devices?: string[];
  origin: 'shardscope' | 'kineto' | 'flight-recorder' | 'comm-debug-mode';
}

export interface Trace {
  meta: TraceMeta;
  ranks: number[];
  events: TraceEvent[];
}

/** Optional extras an importer may attach; the base shape above stays as it is. */
export interface TraceExtras {
  /** Profiler steps per rank (ProfilerStep#N spans), for the step picker. */
  steps?: { rank: number; step: number; ts: number; dur: number }[];
  /** Process group name per event index where the trace names one (Kineto "Process Group Name"). */
  pgNames?: Map<number, string>;
  /** Files each rank came from. */
  files?: { rank: number; path: string }[];
}

/** How two events on different ranks were recognised as the same collective. */
export type MatchKey = 'comm-id' | 'seq' | 'group-order';

/** One collective as seen on every rank of its group. */
export interface CollectiveMatch {
  op: string;
  group: number[];
  key: MatchKey;
  /** Matched by order alone, or some ranks of the group are missing: shown as uncertain. */
  uncertain: boolean;
  /** Index into Trace.events, per rank present. */
  events: { rank: number; index: number }[];
  /** Latest start minus earliest start (µs). */
  skewUs: number;
  /** The rank that entered last: everyone waited for it. */
  straggler: number;
  bytes?: number;
  seq?: number;
}

/** One row of the per-kind collective summary (panel table, CSV and CLI share it). */
export interface CollectiveSummaryRow {
  op: string;
  /** Per rank (the largest count over ranks). */
  count: number;
  total_us: number;
  mean_busbw_gbps: number;
  max_skew_us: number;
}

export interface CollectiveSummary {
  ranks: number[];
  collectives: CollectiveSummaryRow[];
}

/** CommDebugMode's per-module collective counts (a module's counts include its submodules'). */
export interface CommDebugModule {
  fqn: string;
  depth: number;
  forward: Record<string, number>;
  backward: Record<string, number>;
  /** The module's class (`Linear`), where the dump names it. */
  moduleType?: string;
  /** Parameters with their DTensor placements as PyTorch prints them (`(Shard(dim=0),)`). */
  parameters?: { name: string; placements: string }[];
}

/** Flight Recorder: what one rank last did in one process group. */
export interface FlightRecord {
  rank: number;
  pg: string;
  pgDesc?: string;
  seq: number;
  op: string;
  state: 'scheduled' | 'started' | 'completed' | string;
  inputSizes?: number[][];
  frames?: { name: string; filename: string; line: number }[];
  /** When the rank enqueued it (ns since the epoch, as the dump records it). */
  timeCreatedNs?: number;
}

/** A collective some ranks of its group never entered (or never finished). */
export interface HangFinding {
  pg: string;
  seq: number;
  op: string;
  entered: number[];
  missing: number[];
  notCompleted: number[];
}

export interface HangReport {
  ranks: number[];
  records: FlightRecord[];
  findings: HangFinding[];
  /** Each process group with its members (from pg_config, or the ranks whose dumps know the group). */
  groups?: { pg: string; desc?: string; members: number[] }[];
}

/** What readTraceFile found: a timeline, CommDebugMode counts, or a Flight Recorder hang report. */
export type LoadedTrace =
  | { kind: 'timeline'; trace: Trace & TraceExtras }
  | { kind: 'comm-debug-mode'; modules: CommDebugModule[]; path: string }
  | { kind: 'flight-recorder'; report: HangReport };
