// Every child process: an absolute program, a working directory outside the workspace, Python isolated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { resolveProgram, isolatedPythonCommand, runIsolatedPython } from '../../../extension/runtime/isolatedPython';
import { pythonSitePackages } from '../../../extension/runtime/libraryDirs';
import { childForkSpec, defaultChildPath } from '../../../extension/runtime/host';
import { addonCandidates, findAddon } from '../../../extension/runtime/addonPath';
import { plantUntrusted, plantedMarkers } from '../../fixtures/untrusted/plant.mjs';

function executable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, 0o755);
  return p;
}

test('resolveProgram: absolute as given, bare names only through absolute PATH entries, relative paths only against a base', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'ss-prog-')));
  const bin = executable(join(dir, 'bin'), 'pyfake');
  executable(dir, 'pyfake');
  writeFileSync(join(dir, 'bin/plain'), 'not executable');
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    // '.' and '' both mean the current folder, which holds its own pyfake: never used.
    assert.equal(resolveProgram('pyfake', { env: { PATH: `.::${join(dir, 'bin')}` } }), bin);
    assert.equal(resolveProgram('pyfake', { env: { PATH: '.:' } }), undefined);
    assert.equal(resolveProgram('plain', { env: { PATH: join(dir, 'bin') } }), undefined);
    assert.equal(resolveProgram(bin), bin);
    assert.equal(resolveProgram('bin/pyfake'), undefined);
    assert.equal(resolveProgram('bin/pyfake', { base: dir }), bin);
    assert.equal(resolveProgram(join(dir, 'bin')), undefined);
  } finally {
    process.chdir(cwd);
  }
});

test('isolatedPythonCommand: the absolute interpreter, -I before the code, the temporary folder as working directory', () => {
  const c = isolatedPythonCommand('/usr/bin/python3', 'print(1)', { timeoutMs: 5 });
  assert.equal(c.file, '/usr/bin/python3');
  assert.deepEqual(c.args, ['-I', '-c', 'print(1)']);
  assert.equal(c.options.cwd, tmpdir());
  assert.equal(c.options.timeout, 5);
  assert.throws(() => isolatedPythonCommand('python3', 'print(1)'), /not an absolute path/);
});

test('a real interpreter started from a folder with json.py and transformers/ imports neither', async (t) => {
  if (!resolveProgram('python3')) return t.skip('no python3 on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'ss-py-'));
  plantUntrusted(dir);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const sites = await pythonSitePackages('python3');
    assert.ok(sites.length > 0 && sites.every((s) => isAbsolute(s)), JSON.stringify(sites));
    const r = await runIsolatedPython('python3', 'import json, sys; sys.stdout.write(json.dumps(sys.path))');
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.ok(isAbsolute(r.python));
    const path = JSON.parse(r.stdout) as string[];
    assert.ok(!path.includes('') && !path.includes(dir), path.join(':'));
    const tf = await runIsolatedPython('python3', 'import transformers, sys; sys.stdout.write(transformers.__version__)');
    assert.ok(!tf.ok || tf.stdout !== '0.0.0-planted');
  } finally {
    process.chdir(cwd);
  }
  assert.deepEqual(plantedMarkers(dir), []);
});

test('the runtime child: this Node (absolute), the child beside this bundle, the temporary folder as working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-child-'));
  plantUntrusted(dir);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const spec = childForkSpec({});
    assert.equal(spec.modulePath, join(__dirname, 'runtime-child.js'));
    assert.equal(spec.modulePath, defaultChildPath());
    assert.ok(!spec.modulePath.startsWith(realpathSync(dir)));
    assert.ok(isAbsolute(spec.options.execPath));
    assert.equal(spec.options.execPath, process.execPath);
    assert.equal(spec.options.cwd, tmpdir());
    // A relative child given by the caller is made absolute against the caller's folder, not the child's.
    assert.equal(childForkSpec({ childPath: 'x/child.js' }).modulePath, join(realpathSync(dir), 'x/child.js'));
  } finally {
    process.chdir(cwd);
  }
});

test('the addon: only this installation\'s folders, never the current folder\'s native/build/Release', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-addon-'));
  plantUntrusted(dir);
  const install = mkdtempSync(join(tmpdir(), 'ss-install-'));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.deepEqual(addonCandidates(join(install, 'dist')), [join(install, 'dist/shardscope_native.node'), join(install, 'native/build/Release/shardscope_native.node')]);
    assert.equal(findAddon(join(install, 'dist')), undefined);
    // A folder where the file is one of ours: found.
    mkdirSync(join(install, 'dist'));
    writeFileSync(join(install, 'dist/shardscope_native.node'), '');
    assert.equal(findAddon(join(install, 'dist')), join(install, 'dist/shardscope_native.node'));
  } finally {
    process.chdir(cwd);
  }
});
