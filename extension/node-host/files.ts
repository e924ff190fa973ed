// HostFiles for Node (CLI, extension host, runtime child, tests). Regular files only: a path is opened
// non-blocking and checked with fstat before any byte is read, so a FIFO, a socket or /dev/zero named as a
// model or trace is refused at once instead of blocking or filling memory.
import { closeSync, constants, createReadStream, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { hostFileMessages, type FileInfo, type HostFiles } from '../core/host/files';

function kindOf(st: Stats): FileInfo['kind'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** Open a regular file for reading, never blocking on a FIFO or device. */
function openRegular(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw hostFileMessages.notFound(path);
    if (code === 'EISDIR') throw hostFileMessages.isFolder(path);
    throw hostFileMessages.unreadable(path, code);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw st.isDirectory() ? hostFileMessages.isFolder(path) : hostFileMessages.notRegular(path);
  }
  return { fd, size: st.size };
}

export const nodeHostFiles: HostFiles = {
  stat(path) {
    try {
      const st = statSync(path);
      return { kind: kindOf(st), size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      return undefined;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch (e) {
      const code = errno(e);
      if (code === 'ENOENT') throw hostFileMessages.notFound(dir);
      throw hostFileMessages.unreadable(dir, code === 'ENOTDIR' ? 'not a folder' : code);
    }
  },
  read(path, { maxBytes, offset = 0, length }) {
    const { fd, size } = openRegular(path);
    try {
      const want = length ?? Math.max(0, size - offset);
      if (want > maxBytes) throw hostFileMessages.tooLarge(path, length === undefined ? size : want, maxBytes);
      const n = Math.max(0, Math.min(want, size - offset));
      const buf = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, offset + got);
        if (r === 0) break; // the file shrank while being read
        got += r;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, got);
    } catch (e) {
      if (e instanceof Error && 'code' in e && typeof (e as NodeJS.ErrnoException).errno === 'number') throw hostFileMessages.unreadable(path, errno(e));
      throw e;
    } finally {
      closeSync(fd);
    }
  },
  stream(path, opts = {}) {
    const { fd } = openRegular(path);
    const s = createReadStream('', { fd, highWaterMark: opts.chunkBytes ?? 1 << 20 });
    return (async function* () {
      try {
        for await (const chunk of s) yield chunk as Buffer;
      } catch (e) {
        throw hostFileMessages.unreadable(path, errno(e));
      } finally {
        s.destroy();
      }
    })();
  },
};
