// The linux-x64 package promises an oldest glibc; the native addon's needed symbol versions keep it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
// @ts-expect-error: a plain .mjs script without type declarations.
import { versionsNeeded, oldestGlibc, compareVersions, addonFiles, OLDEST_GLIBC } from '../../../scripts/elf-glibc.mjs';

test('dotted versions compare numerically, not as text', () => {
  assert.ok(compareVersions('2.34', '2.4') > 0);
  assert.ok(compareVersions('2.2.5', '2.3') < 0);
  assert.equal(compareVersions('2.17', '2.17.0'), 0);
});

test('the version-needed section read in JS agrees with objdump -T', (t) => {
  const bin = '/bin/ls';
  let objdump: string;
  try {
    objdump = execFileSync('objdump', ['-T', bin], { encoding: 'utf8' });
  } catch {
    t.skip('objdump not available: apt-get install binutils');
    return;
  }
  const fromObjdump = [...new Set(objdump.match(/GLIBC_[0-9.]+/g) ?? [])].sort();
  const needed = versionsNeeded(readFileSync(bin), bin) as Record<string, string[]>;
  const fromJs = [...new Set(Object.values(needed).flat().filter((v) => v.startsWith('GLIBC_')))].sort();
  assert.ok(fromJs.length > 3, `versions read: ${fromJs.join(' ')}`);
  assert.deepEqual(fromJs, fromObjdump);
  assert.ok(needed['libc.so.6'], `libraries: ${Object.keys(needed).join(', ')}`);
  assert.equal(oldestGlibc(readFileSync(bin), bin), fromObjdump.map((v) => v.slice(6)).sort(compareVersions).at(-1));
});

test('a file that is not an ELF binary is named in the error', () => {
  assert.throws(() => versionsNeeded(Buffer.from('{"not": "elf"}'.padEnd(80)), 'package.json'), /^Error: package\.json: not an ELF file$/);
});

test(`the built native addon loads on glibc ${OLDEST_GLIBC}`, (t) => {
  const files: string[] = addonFiles('.');
  if (!files.length) {
    t.skip('native addon not available: native/build/Release/*.node is not built');
    return;
  }
  for (const f of files) {
    const v = oldestGlibc(readFileSync(f), f);
    assert.ok(v === undefined || compareVersions(v, OLDEST_GLIBC) <= 0, `${f} needs glibc ${v}, more than the ${OLDEST_GLIBC} the package promises`);
  }
  assert.ok(existsSync('.vscodeignore') && readFileSync('.vscodeignore', 'utf8').includes('!native/build/Release/*.node'));
});
