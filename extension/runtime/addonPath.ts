// Where the native addon lives: next to the bundle in a package (dist/shardscope_native.node), or in the
// node-gyp output of the same installation or checkout (native/build/Release/ beside dist/). Only this
// installation's own folders: never the current folder, which may be a workspace holding a planted
// native/build/Release/shardscope_native.node.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ADDON_FILE = 'shardscope_native.node';

export function addonCandidates(baseDir: string): string[] {
  return [join(baseDir, ADDON_FILE), join(baseDir, '..', 'native', 'build', 'Release', ADDON_FILE)];
}

export function findAddon(baseDir: string): string | undefined {
  return addonCandidates(baseDir).find((p) => existsSync(p) && statSync(p).isFile());
}
