// The extension in Restricted Mode starts no process; once trust is granted the Python version check runs
// (isolated: -I, the temporary folder as working directory) without a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Restricted Mode: activation asks no Python; granting trust asks it, isolated, without a reload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-activate-'));
  const bin = join(dir, 'bin');
  const marker = join(dir, 'python-ran');
  mkdirSync(bin);
  // A python3 first on PATH that records how it was started.
  writeFileSync(join(bin, 'python3'), `#!/bin/sh\n{ pwd; echo "$@"; } > '${marker}'\nprintf 5.0.0\n`);
  chmodSync(join(bin, 'python3'), 0o755);
  process.env.PATH = `${bin}:${process.env.PATH}`;
  const stubPath = resolve('test/stubs/vscode.cjs');
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const orig = M._resolveFilename;
  M._resolveFilename = (req: string, ...rest: unknown[]) => (req === 'vscode' ? stubPath : orig(req, ...rest));
  const req = Module.createRequire(resolve('package.json'));
  const vscode = req(stubPath);
  const grants: (() => void)[] = [];
  vscode.workspace.isTrusted = false;
  vscode.workspace.onDidGrantWorkspaceTrust = (fn: () => void) => {
    grants.push(fn);
    return { dispose: () => grants.splice(grants.indexOf(fn), 1) };
  };
  const ctx = { subscriptions: [] as { dispose(): void }[], workspaceState: { get: () => undefined, update: async () => {} }, extensionPath: resolve('.'), extensionUri: {} };
  try {
    const ext = req(resolve('dist/extension.js'));
    ext.activate(ctx);
    await sleep(1500);
    assert.equal(existsSync(marker), false, 'Python ran in Restricted Mode');
    vscode.workspace.isTrusted = true;
    for (const g of [...grants]) g();
    for (let i = 0; i < 100 && !existsSync(marker); i++) await sleep(50);
    assert.ok(existsSync(marker), 'Python was not asked after trust was granted');
    const [cwd, ...args] = readFileSync(marker, 'utf8').trim().split('\n');
    assert.match(args.join('\n'), /^-I -c .*import sys, transformers/s);
    assert.equal(cwd, tmpdir());
  } finally {
    for (const d of ctx.subscriptions) d.dispose();
    M._resolveFilename = orig;
  }
});
