// Reads trace files (extension host, CLI): our trace JSON, Kineto traces (a file per rank, or a
// tensorboard_trace_handler folder), CommDebugMode dumps and Flight Recorder dumps (pickled, as PyTorch
// writes them by default, or JSON). Every byte comes through the host's file interface; big files and
// gzip stream with bounded memory, and an error is located by counting lines up to its byte offset in a
// second streamed pass, never by decompressing the whole file.
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LoadedTrace, Trace, TraceExtras } from './types';
import { TraceEventStream, TraceFormatError, type TraceStreamHandlers } from './json-stream';
import { KinetoRankBuilder, mergeKineto } from './kineto';
import { ChromeTraceBuilder } from './chrome-trace';
import { hangReport, isFlightRecorderDump } from './flight-recorder';
import { commDebugModules, isCommDebugDump } from './comm-debug-mode';
import { readPickle, PickleError } from './pickle';
import { InputError } from '../input-error';
import { hostFiles, hostFileMessages } from '../host/files';
import { LIMITS, formatBytes, type FileKind } from '../limits';
import { parseJsonStrict } from '../util/json';

/** A bad trace file, located as file:line:col. */
export class TraceReadError extends InputError {}

export const TRACE_FILE = /\.json(\.gz)?$/i;
/** Flight Recorder's own dump names (TORCH_FR_DUMP_TEMP_FILE, default `nccl_trace_rank_<r>`) and pickles. */
const FR_FILE = /trace_rank_\d+$|\.pkl$|\.pickle$/i;

function firstBytes(path: string, n: number): Uint8Array {
  return hostFiles().read(path, { maxBytes: n, offset: 0, length: n });
}

function isGzip(path: string): boolean {
  const b = firstBytes(path, 2);
  return b.length === 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The bytes of a file as chunks, gunzipped on the fly when it is gzip; memory stays at a chunk or two. */
export function openTraceBytes(path: string): AsyncIterable<Buffer> {
  const raw = hostFiles().stream(path, { chunkBytes: 1 << 20 });
  if (!isGzip(path)) return raw as AsyncIterable<Buffer>;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  // pipeline ends the file's stream when the reader stops early, and carries its errors to the reader.
  return pipeline(Readable.from(raw), gunzip, () => {});
}

/** A zlib failure as the user's: the file is not whole gzip. */
function gzipError(path: string, err: unknown): TraceReadError | undefined {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return undefined;
  return new TraceReadError(path, 1, 1, code === 'Z_BUF_ERROR' ? 'the gzip data ends early (a truncated file)' : 'not a valid gzip file (corrupt compressed data)');
}

/** Rethrows a read failure as a located input error: gzip damage, or the host's refusal. */
function asReadError(path: string, err: unknown): never {
  if (err instanceof InputError) throw err;
  throw gzipError(path, err) ?? err;
}

/** The first `n` decompressed bytes, to tell the formats apart. */
export async function head(path: string, n = 65536): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    for await (const chunk of openTraceBytes(path)) {
      parts.push(chunk);
      got += chunk.length;
      if (got >= n) break;
    }
  } catch (err) {
    asReadError(path, err);
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** A whole (decompressed) file of `kind`, refused as soon as it passes that kind's limit. */
async function wholeBytes(path: string, kind: FileKind): Promise<Uint8Array> {
  const limit = LIMITS.fileBytes[kind];
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    for await (const chunk of openTraceBytes(path)) {
      got += chunk.length;
      if (got > limit.bytes) throw new TraceReadError(path, 1, 1, `is over ${formatBytes(limit.bytes)} (decompressed), the limit for ${limit.what}`);
      parts.push(chunk);
    }
  } catch (err) {
    asReadError(path, err);
  }
  return Buffer.concat(parts);
}

/** Line and column (1-based, columns in characters) of a byte offset, counted over a fresh streamed read. */
async function locate(path: string, offset: number): Promise<{ line: number; column: number }> {
  let line = 1;
  let column = 1;
  let pos = 0;
  try {
    for await (const chunk of openTraceBytes(path)) {
      const end = Math.min(chunk.length, offset - pos);
      for (let i = 0; i < end; i++) {
        const b = chunk[i];
        if (b === 0x0a) {
          line++;
          column = 1;
        } else if ((b & 0xc0) !== 0x80) column++; // UTF-8 continuation bytes are part of the character before
      }
      pos += chunk.length;
      if (pos >= offset) break;
    }
  } catch {
    // a damaged tail after the error: the position so far is the answer
  }
  return { line, column };
}

async function stream(path: string, handlers: TraceStreamHandlers): Promise<void> {
  const s = new TraceEventStream(handlers);
  try {
    for await (const chunk of openTraceBytes(path)) s.push(chunk as Buffer);
    s.end();
  } catch (err) {
    if (err instanceof TraceFormatError) {
      const { line, column } = await locate(path, err.offset);
      throw new TraceReadError(path, line, column, err.message);
    }
    asReadError(path, err);
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
  const host = hostFiles();
  const names = host.list(dir).filter((f) => TRACE_FILE.test(f) || FR_FILE.test(f));
  if (names.length > LIMITS.traceFiles) throw new TraceReadError(dir, 1, 1, `holds ${names.length} trace files, over the limit of ${LIMITS.traceFiles} for one trace`);
  return names.sort().map((f) => join(dir, f)).filter((p) => host.stat(p)?.kind === 'file');
}

type Kind = 'shardscope' | 'kineto' | 'flight-recorder' | 'comm-debug-mode';

async function sniff(path: string): Promise<Kind> {
  const bytes = await head(path);
  if (bytes[0] === 0x80) return 'flight-recorder'; // PROTO: pickle protocol 2 and later
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  if (/"shardscope"\s*:/.test(h)) return 'shardscope';
  if (/"traceEvents"\s*:/.test(h) || /^\s*\[/.test(h)) {
    // Our own writer puts metadata events "rank N" first; Kineto never names processes that way.
    if (/"name"\s*:\s*"process_name"[^}]*"rank \d+"/.test(h)) return 'shardscope';
    return 'kineto';
  }
  // torch writes the dump's keys sorted: "entries" comes before "pg_config", so in a dump past the head
  // only the entries' own fields say what it is.
  if (/"entries"\s*:/.test(h) && /"pg_(config|status)"\s*:|"entries"\s*:\s*\[\s*\{\s*"(collective_seq_id|profiling_name|record_id)"\s*:/.test(h)) return 'flight-recorder';
  // pg_config as an object of groups (Kineto's is a list) may fill the head before "entries" comes (20000 groups).
  if (/"pg_config"\s*:\s*\{/.test(h)) return 'flight-recorder';
  if (/"fqn"\s*:/.test(h)) return 'comm-debug-mode';
  throw new TraceReadError(path, 1, 1, 'expected a trace: a JSON object with "traceEvents" (Kineto or Shardscope), a Flight Recorder dump (pickled, or JSON with "entries" and "pg_config") or a CommDebugMode dump ("fqn")');
}

const utf8 = new TextDecoder('utf-8');

async function parseWhole(path: string, bytes?: Uint8Array): Promise<unknown> {
  const text = utf8.decode(bytes ?? (await wholeBytes(path, 'traceJson')));
  try {
    return parseJsonStrict(text, path);
  } catch (err) {
    if (err instanceof InputError) throw new TraceReadError(path, err.line, err.column, err.detail.replace(/^malformed JSON: /, 'invalid JSON: '));
    throw err;
  }
}

/** A Flight Recorder dump, pickled or JSON; a pickle that would run code is refused, never loaded. */
async function parseDump(path: string): Promise<unknown> {
  const bytes = await wholeBytes(path, 'pickle');
  if (bytes[0] !== 0x80) return parseWhole(path, bytes);
  try {
    return readPickle(bytes);
  } catch (err) {
    if (err instanceof PickleError) throw new TraceReadError(path, 1, err.offset + 1, `not a Flight Recorder pickle: ${err.message}`);
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
  const host = hostFiles();
  const files: string[] = [];
  for (const p of given) {
    const st = host.stat(p);
    if (!st) throw new TraceReadError(p, 1, 1, 'no such file or folder');
    if (st.kind === 'dir') {
      const inDir = traceFilesIn(p);
      if (!inDir.length) throw new TraceReadError(p, 1, 1, 'expected trace files (*.json or *.json.gz) in this folder');
      files.push(...inDir);
    } else if (st.kind === 'file') files.push(p);
    else throw hostFileMessages.notRegular(p);
    if (files.length > LIMITS.traceFiles) throw new TraceReadError(p, 1, 1, `more than ${LIMITS.traceFiles} trace files, the limit for one trace`);
  }
  const kinds: Kind[] = [];
  for (const f of files) kinds.push(await sniff(f));
  const kind = kinds[0];
  const odd = kinds.findIndex((k) => k !== kind);
  if (odd >= 0) throw new TraceReadError(files[odd], 1, 1, `expected a ${kind} trace like ${files[0]}, found a ${kinds[odd]} file`);
  if (kind === 'kineto') return { kind: 'timeline', trace: await readKinetoFiles(files) };
  if (kind === 'shardscope') {
    const b = new ChromeTraceBuilder();
    for (const f of files) await stream(f, { event: (e) => b.event(e), topLevel: (k, v) => b.topLevel(k, v) });
    return { kind: 'timeline', trace: b.finish() };
  }
  if (kind === 'flight-recorder') {
    const dumps: { dump: Record<string, unknown>; rank: number }[] = [];
    for (const [i, f] of files.entries()) {
      const dump = await parseDump(f);
      if (!isFlightRecorderDump(dump)) throw new TraceReadError(f, 1, 1, 'expected a Flight Recorder dump with "entries" and "pg_config"');
      dumps.push({ dump: dump as Record<string, unknown>, rank: rankFromName(f, i) });
    }
    return { kind: 'flight-recorder', report: hangReport(dumps) };
  }
  const root = await parseWhole(files[0]);
  if (!isCommDebugDump(root)) throw new TraceReadError(files[0], 1, 1, 'expected a CommDebugMode dump whose root has "fqn"');
  return { kind: 'comm-debug-mode', modules: commDebugModules(root), path: files[0] };
}
