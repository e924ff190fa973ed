// `node scripts/check-glibc.mjs [file.node ...]` (default: the built addon) prints the oldest glibc each
// file loads on and fails if one needs more than the linux-x64 package promises. Runs before packaging.
import { readFileSync } from 'node:fs';
import { oldestGlibc, compareVersions, addonFiles, OLDEST_GLIBC } from './elf-glibc.mjs';

const files = process.argv.length > 2 ? process.argv.slice(2) : addonFiles();
let bad = 0;
for (const f of files) {
  const v = oldestGlibc(readFileSync(f), f) ?? 'none';
  const ok = v === 'none' || compareVersions(v, OLDEST_GLIBC) <= 0;
  console.log(`${f}: needs glibc ${v}${ok ? '' : ` (more than ${OLDEST_GLIBC}, the oldest the linux-x64 package promises)`}`);
  if (!ok) bad++;
}
process.exit(bad ? 1 : 0);
