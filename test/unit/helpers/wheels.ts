// Wheels of the machine's local package mirror (PEP 503 "simple" indexes under /opt/pypi and
// /opt/pypi-more), found through each package's index.html links, and read as zips in Node (yauzl).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import yauzl from 'yauzl';

/** The simple indexes this machine may have; the first is the one a mirror-less machine lacks. */
export const MIRROR_INDEXES = ['/opt/pypi/simple', '/opt/pypi-more/simple'];

export interface MirrorWheel {
  /** The wheel's file name, e.g. transformers-5.18.0-py3-none-any.whl. */
  file: string;
  version: string;
  path: string;
}

/** Whether the local wheel mirror is there at all. */
export function hasWheelMirror(indexes = MIRROR_INDEXES): boolean {
  return existsSync(indexes[0]);
}

/** Every wheel of `pkg` the mirror's indexes link to and that is on disk, oldest version first. */
export function mirrorWheels(pkg: string, indexes = MIRROR_INDEXES): MirrorWheel[] {
  const out: MirrorWheel[] = [];
  const norm = pkg.toLowerCase().replace(/[-_.]+/g, '-');
  for (const root of indexes) {
    const index = join(root, norm, 'index.html');
    if (!existsSync(index)) continue;
    for (const m of readFileSync(index, 'utf8').matchAll(/href="([^"#]+\.whl)(?:#[^"]*)?"/g)) {
      const path = resolve(dirname(index), decodeURIComponent(m[1]));
      const file = path.split('/').pop()!;
      const version = file.split('-')[1];
      if (existsSync(path) && !out.some((w) => w.file === file)) out.push({ file, version, path });
    }
  }
  const key = (v: string) => v.split(/[.+]/).map((x) => (/^\d+$/.test(x) ? x.padStart(8, '0') : x)).join('.');
  return out.sort((a, b) => (key(a.version) < key(b.version) ? -1 : key(a.version) > key(b.version) ? 1 : 0));
}

/** The members of a zip whose names `want` accepts, as bytes, by name. */
export function readZipEntries(path: string, want: (name: string) => boolean): Promise<Map<string, Buffer>> {
  return new Promise((done, fail) => {
    const out = new Map<string, Buffer>();
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return fail(err ?? new Error(`cannot open ${path}`));
      zip.on('error', fail);
      zip.on('end', () => done(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/') || !want(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e ?? new Error(`cannot read ${entry.fileName} in ${path}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', fail);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** The members of a zip whose names `want` accepts, as UTF-8 text, by name. */
export async function readZipTexts(path: string, want: (name: string) => boolean): Promise<Map<string, string>> {
  const bytes = await readZipEntries(path, want);
  return new Map([...bytes].map(([k, v]) => [k, v.toString('utf8')]));
}
