// Where the model catalog's files are at run time: dist/catalog/ beside the bundle (the CLI, the extension,
// the runtime child), else the source folder of a checkout (the bundled tests). Found from the bundle's own
// location, never from the current folder.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setCatalogReader } from '../core/models/catalog';

const SOURCE = join('extension', 'core', 'models', 'catalog', 'data');

/** The folder holding transformers-<version>.json, searched upwards from `start`. */
export function findCatalogDir(start: string): string | undefined {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    // Beside the bundle first (an installation), then a checkout's source data, then its last build's copy.
    for (const cand of [join(dir, 'catalog'), join(dir, SOURCE), join(dir, 'dist', 'catalog')]) {
      if (existsSync(join(cand, 'transformers-5.18.0.json'))) return cand;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

// An ES-module bundle (the benches) has no __dirname; it names the folder in SHARDSCOPE_CATALOG_DIR.
const here = typeof __dirname === 'string' ? __dirname : undefined;

export function installCatalog(dir = process.env.SHARDSCOPE_CATALOG_DIR || (here && findCatalogDir(here))): void {
  setCatalogReader(dir ? (name) => {
    const path = join(dir, name);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  } : undefined);
}

installCatalog();
