// `node scripts/check-glibc.mjs [file.node ...]` (default: the built addon) prints the oldest glibc each
// file loads on and fails if one needs more than the linux-x64 package promises. Runs before packaging.
import { readFileSync } from 'node:fs';
import { oldestGlibc, compareVersions, addonFiles, OLDEST_GLIBC } from './elf-glibc.mjs';

const files = process.argv.length > 2 ? process.argv.slice(2) : addonFiles();
let bad = 0;
for (const f of files) {
  const v = oldestGlibc(readFileSync(f), f) ?? 'none';
  const ok = v === 'none' || compareVersions(v, OLDEST_GLIBC) <= 0;
  // Printed on every `npm run package` (and so `npm start`): worded as the fact it is, not as a problem.
  if (v === 'none') console.log(`${f}: loads on any glibc`);
  else if (ok) console.log(`${f}: ok, loads on Linux with glibc ${v} or newer (the linux-x64 package supports glibc ${OLDEST_GLIBC} and newer)`);
  else console.log(`${f}: the native runtime would need glibc ${v}, newer than the ${OLDEST_GLIBC} the linux-x64 package promises: build it on an older system`);
  if (!ok) bad++;
}
process.exit(bad ? 1 : 0);
