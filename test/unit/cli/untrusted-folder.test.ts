// The CLI run from inside a folder that plants code (transformers/ and json.py for Python, a native addon
// and a runtime child where the old look-ups went, a python3 on a relative PATH entry) runs none of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { plantUntrusted, plantedMarkers } from '../../fixtures/untrusted/plant.mjs';

const CLI = resolve('dist/cli.js');
const plant = (): { dir: string; addon: boolean } => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-untrusted-'));
  return { dir, addon: plantUntrusted(dir) };
};
// A relative PATH entry first: a bare `python3` found through it would be the planted one.
const env = { ...process.env, PATH: `.:${process.env.PATH ?? ''}` };
const cli = (cli: string, cwd: string, ...argv: string[]) => spawnSync(process.execPath, [cli, ...argv], { cwd, env, encoding: 'utf8', timeout: 120000 });

test('the planted files are live: imported, loaded or run the ordinary way, each writes its marker', () => {
  const { dir, addon } = plant();
  spawnSync('python3', ['-c', 'import json, transformers'], { cwd: dir });
  spawnSync('python3', ['-c', '1'], { cwd: dir, env });
  spawnSync(process.execPath, ['-e', "try { require('./native/build/Release/shardscope_native.node') } catch {}"], { cwd: dir });
  spawnSync(process.execPath, ['dist/runtime-child.js'], { cwd: dir });
  assert.deepEqual(plantedMarkers(dir), [...(addon ? ['addon'] : []), 'json', 'python3', 'runtime-child', 'transformers']);
});

test('check, shapes and run (GPU look-up included) from inside that folder run nothing of it', () => {
  const { dir } = plant();
  for (const argv of [['check', 'untrusted.shardplan.json'], ['shapes', 'untrusted.shardplan.json'], ['run', 'untrusted.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16']]) {
    const r = cli(CLI, dir, ...argv);
    assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}${r.stdout}`);
  }
  assert.deepEqual(plantedMarkers(dir), []);
});

test('an installation without its addon or runtime child never takes the current folder\'s', () => {
  const { dir } = plant();
  // Only cli.js: the runtime child is missing (the old fallback forked ./dist/runtime-child.js).
  const bare = mkdtempSync(join(tmpdir(), 'ss-install-'));
  mkdirSync(join(bare, 'dist'));
  copyFileSync(CLI, join(bare, 'dist/cli.js'));
  const a = cli(join(bare, 'dist/cli.js'), dir, 'run', 'untrusted.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16', '--backend', 'cpu');
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /runtime child .*dist\/runtime-child\.js is not built/);
  // cli.js and its runtime child, no addon (the old look-up loaded ./native/build/Release/shardscope_native.node).
  copyFileSync(resolve('dist/runtime-child.js'), join(bare, 'dist/runtime-child.js'));
  const b = cli(join(bare, 'dist/cli.js'), dir, 'run', 'untrusted.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16', '--backend', 'cpu');
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /the native addon is not built \(looked in [^)]*\)/);
  assert.doesNotMatch(b.stdout, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.deepEqual(plantedMarkers(dir), []);
});
