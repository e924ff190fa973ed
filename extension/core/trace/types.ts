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
