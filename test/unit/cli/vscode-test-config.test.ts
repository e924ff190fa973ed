import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

test('.vscode-test.mjs is a valid @vscode/test-cli configuration for the extension-host suite', async () => {
  const mod = await import(pathToFileURL(resolve('.vscode-test.mjs')).href);
  const cfg = Array.isArray(mod.default) ? mod.default[0] : mod.default;
  assert.equal(typeof cfg.files, 'string');
  assert.match(cfg.files, /suite\.js$/);
  assert.equal(cfg.mocha.ui, 'bdd');
  assert.ok(existsSync(resolve(cfg.workspaceFolder, 'fault.shardplan.json')), 'the workspace holds the planted fault the suite opens');
  assert.ok(existsSync(resolve(cfg.workspaceFolder, 'mixtral-8x7b/config.json')), 'the workspace is a copy of examples/');
  assert.notEqual(resolve(cfg.workspaceFolder), resolve('examples'), 'the suite never writes into examples/');
  assert.match(JSON.parse(readFileSync('package.json', 'utf8')).scripts['test:vscode'], /--outfile=dist-e2e\/host\/suite\.js .*vscode-test$/);
  assert.equal(resolve(cfg.extensionDevelopmentPath), process.cwd());
  const engines = JSON.parse(readFileSync('package.json', 'utf8')).engines.vscode as string;
  assert.ok(cfg.version.startsWith(engines.replace('^', '').split('.').slice(0, 2).join('.')), `VS Code ${cfg.version} satisfies ${engines}`);
  assert.ok(existsSync('test/e2e/host/suite.ts'), 'the suite it runs exists');
});
