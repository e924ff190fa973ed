// Reads trace files in Node (extension host, CLI): our trace JSON, Kineto traces (a file per rank, or a
// tensorboard_trace_handler folder), CommDebugMode dumps and Flight Recorder dumps (pickled, as PyTorch
// writes them by default, or JSON). Big files stream.
import { createReadStream, readdirSync, statSync, openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { LoadedTrace, Trace, TraceExtras } from './types';
import { TraceEventStream, TraceFormatError, type TraceStreamHandlers } from './json-stream';
import { KinetoRankBuilder, mergeKineto } from './kineto';
import { ChromeTraceBuilder } from './chrome-trace';
import { hangReport, isFlightRecorderDump } from './flight-recorder';
import { commDebugModules, isCommDebugDump } from './comm-debug-mode';
import { readPickle, PickleError } from './pickle';

/** A bad trace file, located as file:line:col. */
export class TraceReadError extends Error {}

const TRACE_FILE = /\.json(\.gz)?$/i;
/** Flight Recorder's own dump names (TORCH_FR_DUMP_TEMP_FILE, default `nccl_trace_rank_<r>`) and pickles. */
const FR_FILE = /trace_rank_\d+$|\.pkl$|\.pickle$/i;

function isPickle(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    return readSync(fd, b, 0, 1, 0) === 1 && b[0] === 0x80; // PROTO: pickle protocol 2 and later
  } finally {
    closeSync(fd);
  }
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The decompressed bytes of a file as a stream of chunks. */
export function openTraceBytes(path: string): AsyncIterable<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  return isGzip(path) ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
}

/** The first bytes of a file (decompressed), to tell the formats apart. */
function head(path: string, n = 65536): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    const bytes = b.subarray(0, got);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        return gunzipSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ }).subarray(0, n).toString('utf8');
      } catch {
        return '';
      }
    }
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function locate(path: string, offset: number): string {
  try {
    const text = (isGzip(path) ? gunzipSync(readFileSync(path)) : readFileSync(path)).subarray(0, offset).toString('utf8');
    const lines = text.split('\n');
    return `${path}:${lines.length}:${lines[lines.length - 1].length + 1}`;
  } catch {
    return `${path}:1:1`;
  }
}

async function stream(path: string, handlers: TraceStreamHandlers): Promise<void> {
  const s = new TraceEventStream(handlers);
  try {
    for await (const chunk of openTraceBytes(path)) s.push(chunk as Buffer);
    s.end();
  } catch (err) {
    if (err instanceof TraceFormatError) throw new TraceReadError(`${locate(path, err.offset)}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') throw new TraceReadError(`${path}:1:1: not a valid gzip file`);
    throw err;
  }
}

/** Kineto traces of several files (ranks, or profiling cycles of a rank) on one clock. */
export async function readKinetoFiles(paths: string[]): Promise<Trace & TraceExtras> {
  const builders: KinetoRankBuilder[] = [];
  for (const p of paths) {
    const b = new KinetoRankBuilder(p);
    await stream(p, { event: (e) => b.event(e), wants: (cat, name) => b.wants(cat, name), topLevel: (k, v, raw) => b.topLevel(k, v, raw) });
    builders.push(b);
  }
  return mergeKineto(builders);
}

/** The trace files of a folder (tensorboard_trace_handler writes `<host>_<pid>.<time>.pt.trace.json[.gz]`). */
export function traceFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => TRACE_FILE.test(f) || FR_FILE.test(f)).sort().map((f) => join(dir, f));
}

type Kind = 'shardscope' | 'kineto' | 'flight-recorder' | 'comm-debug-mode';

function sniff(path: string): Kind {
  if (isPickle(path)) return 'flight-recorder';
  const h = head(path);
  if (/"shardscope"\s*:/.test(h)) return 'shardscope';
  if (/"traceEvents"\s*:/.test(h) || /^\s*\[/.test(h)) {
    // Our own writer puts metadata events "rank N" first; Kineto never names processes that way.
    if (/"name"\s*:\s*"process_name"[^}]*"rank \d+"/.test(h)) return 'shardscope';
    return 'kineto';
  }
  if (/"entries"\s*:/.test(h) && /"pg_(config|status)"\s*:/.test(h)) return 'flight-recorder';
  if (/"fqn"\s*:/.test(h)) return 'comm-debug-mode';
  throw new TraceReadError(`${path}:1:1: expected a trace: a JSON object with "traceEvents" (Kineto or Shardscope), a Flight Recorder dump (pickled, or JSON with "entries" and "pg_config") or a CommDebugMode dump ("fqn")`);
}

function parseWhole(path: string): unknown {
  const text = (isGzip(path) ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const at = m ? Number(m[1]) : 0;
    const before = text.slice(0, at).split('\n');
    throw new TraceReadError(`${path}:${before.length}:${before[before.length - 1].length + 1}: invalid JSON: ${(err as Error).message}`);
  }
}

/** A Flight Recorder dump, pickled or JSON; a pickle that would run code is refused, never loaded. */
function parseDump(path: string): unknown {
  if (!isPickle(path)) return parseWhole(path);
  try {
    return readPickle(new Uint8Array(readFileSync(path)));
  } catch (err) {
    if (err instanceof PickleError) throw new TraceReadError(`${path}:1:${err.offset + 1}: not a Flight Recorder pickle: ${err.message}`);
    throw err;
  }
}

function rankFromName(path: string, fallback: number): number {
  const m = /(\d+)(?:\.json)?(?:\.gz)?$/.exec(path.split(/[\\/]/).pop() ?? '');
  return m ? Number(m[1]) : fallback;
}

/**
 * Reads one or more trace files or folders. Several Kineto files (or a folder) merge into one timeline;
 * several Flight Recorder dumps merge into one hang report.
 */
export async function readTraceFile(pathOrPaths: string | string[]): Promise<LoadedTrace> {
  const given = Array.isArray(pathOrPaths) ? pathOrPaths : [pathOrPaths];
  const files: string[] = [];
  for (const p of given) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new TraceReadError(`${p}:1:1: no such file or folder`);
    }
    if (st.isDirectory()) {
      const inDir = traceFilesIn(p);
      if (!inDir.length) throw new TraceReadError(`${p}:1:1: expected trace files (*.json or *.json.gz) in this folder`);
      files.push(...inDir);
    } else files.push(p);
  }
  const kinds = files.map(sniff);
  const kind = kinds[0];
  const odd = kinds.findIndex((k) => k !== kind);
  if (odd >= 0) throw new TraceReadError(`${files[odd]}:1:1: expected a ${kind} trace like ${files[0]}, found a ${kinds[odd]} file`);
  if (kind === 'kineto') return { kind: 'timeline', trace: await readKinetoFiles(files) };
  if (kind === 'shardscope') {
    const b = new ChromeTraceBuilder();
    for (const f of files) await stream(f, { event: (e) => b.event(e), topLevel: (k, v) => b.topLevel(k, v) });
    return { kind: 'timeline', trace: b.finish() };
  }
  if (kind === 'flight-recorder') {
    const dumps = files.map((f, i) => {
      const dump = parseDump(f);
      if (!isFlightRecorderDump(dump)) throw new TraceReadError(`${f}:1:1: expected a Flight Recorder dump with "entries" and "pg_config"`);
      return { dump: dump as Record<string, unknown>, rank: rankFromName(f, i) };
    });
    return { kind: 'flight-recorder', report: hangReport(dumps) };
  }
  const root = parseWhole(files[0]);
  if (!isCommDebugDump(root)) throw new TraceReadError(`${files[0]}:1:1: expected a CommDebugMode dump whose root has "fqn"`);
  return { kind: 'comm-debug-mode', modules: commDebugModules(root), path: files[0] };
}
