// The engine's only way to the file system. The engine never imports Node's fs module: each face (the CLI, the
// extension, the runtime child, the tests) installs one HostFiles once at start-up, and core code reads
// through hostFiles() and the bounded helpers below.
//
// API (for every reader in core/):
//   installHostFiles(host)                      once, at start-up (extension/node-host/install.ts does it for Node)
//   hostFiles(): HostFiles                      the installed host; throws if none
//   hostFiles().stat(path)                      { kind: 'file' | 'dir' | 'other', size, mtimeMs } or undefined when nothing is there
//   hostFiles().list(dir)                       the names (not paths) in a folder
//   hostFiles().read(path, { maxBytes, offset?, length? })
//                                               bytes of a regular file; without length, offset to the end; refuses
//                                               (HostFileError 'too-large') rather than read more than maxBytes
//   hostFiles().stream(path, { chunkBytes? })   a regular file's bytes as chunks, bounded memory (big traces)
//   readInputText(path, kind) / readInputBytes(path, kind)
//                                               a whole input of a kind of LIMITS.fileBytes (config, plan, trace, ...),
//                                               size limit checked before reading
//   tryReadInputText(path, kind)                the same, undefined where the host refuses the file
// Every refusal is a HostFileError (an InputError located at path:1:1, one line): no such file, a folder,
// not a regular file (devices, FIFOs and sockets are never opened for reading, so they cannot block), over the limit.
import { InputError } from '../input-error';
import { LIMITS, formatBytes, type FileKind } from '../limits';

export type EntryKind = 'file' | 'dir' | 'other';

export interface FileInfo {
  kind: EntryKind;
  size: number;
  mtimeMs: number;
}

export interface HostFiles {
  stat(path: string): FileInfo | undefined;
  list(dir: string): string[];
  read(path: string, opts: { maxBytes: number; offset?: number; length?: number }): Uint8Array;
  stream(path: string, opts?: { chunkBytes?: number }): AsyncIterable<Uint8Array>;
}

export type HostFileErrorCode = 'not-found' | 'is-folder' | 'not-regular' | 'too-large' | 'unreadable';

export class HostFileError extends InputError {
  constructor(
    readonly code: HostFileErrorCode,
    path: string,
    detail: string,
  ) {
    super(path, 1, 1, detail);
  }
}

/** The messages every host gives for its refusals, so that all faces word them alike. */
export const hostFileMessages = {
  notFound: (path: string) => new HostFileError('not-found', path, 'no such file or folder'),
  isFolder: (path: string) => new HostFileError('is-folder', path, 'is a folder, expected a file'),
  notRegular: (path: string) => new HostFileError('not-regular', path, 'is not a regular file (a device, FIFO or socket is never read)'),
  tooLarge: (path: string, size: number, maxBytes: number, what = 'this input') =>
    new HostFileError('too-large', path, `is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit for ${what}`),
  unreadable: (path: string, why: string) => new HostFileError('unreadable', path, `cannot be read (${why})`),
};

let installed: HostFiles | undefined;

export function installHostFiles(host: HostFiles): void {
  installed = host;
}

export function hostFiles(): HostFiles {
  if (!installed) throw new Error('no HostFiles installed: the CLI, the extension, the runtime and the tests install one at start-up (extension/node-host/install.ts)');
  return installed;
}

/** A whole input of `kind`, refused before reading when it is over that kind's limit. */
export function readInputBytes(path: string, kind: FileKind): Uint8Array {
  const limit = LIMITS.fileBytes[kind];
  const host = hostFiles();
  const st = host.stat(path);
  if (!st) throw hostFileMessages.notFound(path);
  if (st.kind === 'dir') throw hostFileMessages.isFolder(path);
  if (st.kind !== 'file') throw hostFileMessages.notRegular(path);
  if (st.size > limit.bytes) throw hostFileMessages.tooLarge(path, st.size, limit.bytes, limit.what);
  return host.read(path, { maxBytes: limit.bytes });
}

const utf8 = new TextDecoder('utf-8');

export function readInputText(path: string, kind: FileKind): string {
  return utf8.decode(readInputBytes(path, kind));
}

/** readInputText, or undefined where the host refuses the file (absent, a folder, special, too large). */
export function tryReadInputText(path: string, kind: FileKind): string | undefined {
  try {
    return readInputText(path, kind);
  } catch (e) {
    if (e instanceof HostFileError) return undefined;
    throw e;
  }
}
