// Where the native addon lives: next to the bundle in a package (dist/shardscope_native.node), or in the
// checkout's node-gyp output (native/build/Release/). SHARDSCOPE_ADDON overrides both.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ADDON_FILE = 'shardscope_native.node';

export function addonCandidates(baseDir: string, cwd = process.cwd()): string[] {
  const c: string[] = [];
  if (process.env.SHARDSCOPE_ADDON) c.push(resolve(process.env.SHARDSCOPE_ADDON));
  c.push(join(baseDir, ADDON_FILE), join(baseDir, '..', 'native', 'build', 'Release', ADDON_FILE), join(cwd, 'native', 'build', 'Release', ADDON_FILE));
  return c;
}

export function findAddon(baseDir: string, cwd = process.cwd()): string | undefined {
  return addonCandidates(baseDir, cwd).find((p) => existsSync(p));
}
