// Every message between the extension host and the panel, typed once here and validated on arrival on
// both sides. Timeline events travel as columnar typed arrays (one array per field), never as objects.
import type { CollectiveSummary, CommDebugModule, HangReport, MatchKey } from './types';
import { keepDrawableEvents } from './timeline-events';
import { ASSUMED_GPU_MEMORY_GIB } from '../editing/assumptions';

export interface EntryRef {
  key: string;
  file?: string;
  line?: number;
  /** Offsets into the plan source text, when the entry came from the engine's plan. */
  start?: number;
  end?: number;
}

export interface ShapesTensor {
  /** Module path, e.g. "model.layers.0.self_attn". */
  module: string;
  name: string;
  kind: 'param' | 'activation';
  dtype: string;
  placements: string[];
  globalShape: number[];
  /** Index = rank. */
  localShapes: number[][];
  bytesPerRank: number[];
  uneven: boolean;
  /** Ranks whose shard is empty (trailing ranks of an uneven split). */
  emptyRanks: number[];
  /** Experts every rank holds whole: expert parallelism did not spread them. */
  replicatedExperts: boolean;
  entry?: EntryRef;
}

export interface ShapesPayload {
  mesh: { name: string; size: number }[];
  /** Mesh coordinates per rank (row-major). */
  coords: number[][];
  memory: { params: number; grads: number; optimizer: number; kvCache: number; activations: number; total: number }[];
  /** GPU memory per rank; absent: the panel draws the assumed 80 GiB (ASSUMED_GPU_LIMIT_BYTES), labelled as assumed. */
  gpuLimitBytes?: number;
  /** Where the limit came from: the plan's run.gpu_memory_gib, the setting or pick, or the assumed default. */
  gpuLimitSource?: 'plan' | 'setting' | 'pick' | 'assumed';
  tensors: ShapesTensor[];
  findings: { code: string; severity: string; message: string }[];
  /** The engine's collectives per module and pass, as one rank issues them (set beside CommDebugMode's counts). */
  collectives?: PredictedCollectives[];
}

/** The GPU memory the memory check assumes when nothing names one, in bytes. */
export const ASSUMED_GPU_LIMIT_BYTES = ASSUMED_GPU_MEMORY_GIB * 2 ** 30;

export interface PredictedCollectives {
  /** Module path, e.g. "model.layers.0.self_attn.o_proj". */
  module: string;
  pass: 'forward' | 'backward';
  op: string;
  count: number;
}

export interface TimelineLane {
  rank: number;
  name: string;
  predicted: boolean;
}

export interface TimelineMatch {
  op: string;
  key: MatchKey;
  uncertain: boolean;
  skewUs: number;
  straggler: number;
  /** Event indices, one per rank present. */
  events: number[];
}

export interface TimelinePayload {
  title: string;
  ranks: number[];
  lanes: TimelineLane[];
  /** String tables the integer columns index into. */
  names: string[];
  kinds: string[];
  entries: EntryRef[];
  /** µs from the trace origin, sorted by lane then start. */
  start: Float64Array;
  dur: Float64Array;
  /** 16 bits while the trace has at most 65,535 lanes, 32 beyond. */
  lane: Uint16Array | Uint32Array;
  kind: Uint8Array;
  name: Uint32Array;
  /** NaN where unknown. */
  bytes: Float64Array;
  /** -1 where none. */
  seq: Int32Array;
  match: Int32Array;
  entry: Int32Array;
  groupSize: Uint16Array | Uint32Array;
  matches: TimelineMatch[];
  summary: CollectiveSummary;
  steps: { rank: number; step: number; ts: number; dur: number }[];
  /** Events left out because the panel cannot draw them, counted by reason (timeline-events.ts). */
  dropped?: { reason: string; count: number }[];
}

export type HostMessage =
  | { type: 'shapes'; payload: ShapesPayload }
  | { type: 'timeline'; payload: TimelinePayload }
  | { type: 'commDebug'; modules: CommDebugModule[] }
  | { type: 'hang'; report: HangReport }
  | { type: 'error'; message: string };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'reveal'; entry: EntryRef }
  | { type: 'exportCsv'; csv: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const isNumArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number');

function validEntry(v: unknown): v is EntryRef {
  return isObj(v) && typeof v.key === 'string';
}

type ColumnType = new (n: number) => ArrayLike<number>;
const COLUMNS: [keyof TimelinePayload, ColumnType[]][] = [
  ['start', [Float64Array]], ['dur', [Float64Array]], ['lane', [Uint16Array, Uint32Array]], ['kind', [Uint8Array]], ['name', [Uint32Array]],
  ['bytes', [Float64Array]], ['seq', [Int32Array]], ['match', [Int32Array]], ['entry', [Int32Array]], ['groupSize', [Uint16Array, Uint32Array]],
];

/** The payload's shape: tables, and columns of the right types and one length. Events are checked apart. */
function checkTimeline(p: unknown): string | undefined {
  if (!isObj(p)) return 'timeline payload is not an object';
  for (const k of ['ranks', 'lanes', 'names', 'kinds', 'entries', 'matches', 'steps']) if (!Array.isArray(p[k])) return `timeline.${k} is not an array`;
  if (!isObj(p.summary)) return 'timeline.summary is missing';
  const n = (p.start as ArrayLike<number> | undefined)?.length;
  for (const [k, ctors] of COLUMNS) {
    const col = p[k];
    if (!ctors.some((c) => col instanceof c)) return `timeline.${String(k)} must be a ${ctors.map((c) => c.name).join(' or ')}`;
    if ((col as ArrayLike<number>).length !== n) return `timeline.${String(k)} has ${(col as ArrayLike<number>).length} values, expected ${n}`;
  }
  if (p.dropped !== undefined && !(Array.isArray(p.dropped) && p.dropped.every((d) => isObj(d) && typeof d.reason === 'string' && typeof d.count === 'number'))) return 'timeline.dropped must list { reason, count }';
  for (const m of p.matches as unknown[]) if (!isObj(m) || !isNumArray(m.events)) return 'a timeline match lacks its events';
  return undefined;
}

function checkShapes(p: unknown): string | undefined {
  if (!isObj(p)) return 'shapes payload is not an object';
  if (!Array.isArray(p.mesh) || !Array.isArray(p.coords) || !Array.isArray(p.memory) || !Array.isArray(p.tensors)) return 'shapes payload needs mesh, coords, memory and tensors';
  for (const t of p.tensors as unknown[]) {
    if (!isObj(t) || typeof t.name !== 'string' || typeof t.module !== 'string' || !isNumArray(t.globalShape) || !Array.isArray(t.localShapes)) return 'a shapes tensor lacks name, module, globalShape or localShapes';
  }
  return undefined;
}

/** A message from the host, or a reason it is not one. */
export function validateHostMessage(m: unknown): { ok: true; msg: HostMessage } | { ok: false; error: string } {
  if (!isObj(m) || typeof m.type !== 'string') return { ok: false, error: 'message without a type' };
  let err: string | undefined;
  switch (m.type) {
    case 'shapes': err = checkShapes(m.payload); break;
    case 'timeline':
      err = checkTimeline(m.payload);
      // Events the panel cannot draw are dropped and counted, never the whole timeline.
      if (!err) return { ok: true, msg: { type: 'timeline', payload: keepDrawableEvents(m.payload as TimelinePayload) } };
      break;
    case 'commDebug': err = Array.isArray(m.modules) ? undefined : 'commDebug.modules is not an array'; break;
    case 'hang': err = isObj(m.report) && Array.isArray((m.report as Obj).findings) ? undefined : 'hang.report lacks findings'; break;
    case 'error': err = typeof m.message === 'string' ? undefined : 'error.message is not a string'; break;
    default: err = `unknown message type ${JSON.stringify(m.type)}`;
  }
  return err ? { ok: false, error: err } : { ok: true, msg: m as unknown as HostMessage };
}

/** A message from the panel, or a reason it is not one. */
export function validateWebviewMessage(m: unknown): { ok: true; msg: WebviewMessage } | { ok: false; error: string } {
  if (!isObj(m) || typeof m.type !== 'string') return { ok: false, error: 'message without a type' };
  switch (m.type) {
    case 'ready': return { ok: true, msg: { type: 'ready' } };
    case 'reveal': return validEntry(m.entry) ? { ok: true, msg: m as unknown as WebviewMessage } : { ok: false, error: 'reveal.entry needs a key' };
    case 'exportCsv': return typeof m.csv === 'string' ? { ok: true, msg: m as unknown as WebviewMessage } : { ok: false, error: 'exportCsv.csv is not a string' };
    default: return { ok: false, error: `unknown message type ${JSON.stringify(m.type)}` };
  }
}
