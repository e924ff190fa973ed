// What a trace may make the editor open: a trace's `args.entry` (file, line, offsets) comes from a file
// anyone may have written, so it opens only a file inside the workspace (or the plan the panel was opened
// for) and only at a place that exists in it. Free of the editor API, so its rules are tested directly.
import { isAbsolute, resolve } from 'node:path';
import { isInside, realPath } from './planPaths';

export interface EntryPlace {
  file?: unknown;
  line?: unknown;
  start?: unknown;
  end?: unknown;
}

/** The real path of the file to open, or why it is not opened. `allowed`: files open whatever their folder. */
export function revealFile(entry: EntryPlace, folders: string[], allowed: string[] = []): { file: string } | { message: string } {
  const f = entry.file;
  if (typeof f !== 'string' || !f) return { message: 'the entry names no file' };
  // A relative file (a trace written by `shardscope run` from a workspace folder) is that folder's.
  const candidates = isAbsolute(f) ? [f] : folders.map((d) => resolve(d, f));
  const real = candidates.map(realPath).find((p): p is string => p !== undefined);
  if (!real) return { message: `${f} does not exist` };
  const roots = folders.map((d) => realPath(d) ?? d);
  const extra = allowed.map((p) => realPath(p) ?? p);
  if (!roots.some((r) => isInside(real, r)) && !extra.includes(real)) return { message: `${f} is outside this workspace, so it is not opened` };
  return { file: real };
}

const wholeNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The selection for an entry in a document of `lineCount` lines and `length` characters, or why not:
 *  offsets when both are whole numbers within the text, else a line within the document (default 1). */
export function revealPlace(entry: EntryPlace, lineCount: number, length: number): { start: number; end: number } | { line: number } | { message: string } {
  if (entry.start !== undefined || entry.end !== undefined) {
    const { start, end } = entry;
    if (!wholeNumber(start) || (end !== undefined && !wholeNumber(end))) return { message: `the entry's offsets (${String(start)}, ${String(end)}) are not whole numbers` };
    const e = end ?? start;
    if (start < 0 || e < start || e > length) return { message: `the entry's offsets ${start}–${e} are not within the file's ${length} characters` };
    return { start, end: e };
  }
  const line = entry.line ?? 1;
  if (!wholeNumber(line)) return { message: `the entry's line ${JSON.stringify(line)} is not a whole number` };
  if (line < 1 || line > lineCount) return { message: `line ${line} is not in the file (it has ${lineCount} lines)` };
  return { line };
}
