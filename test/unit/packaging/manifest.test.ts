// The extension manifest: every command is contributed, registered, activates the extension and has a
// category; settings say what they do; untrusted folders get checks but no runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const adapterSource = readdirSync('extension/vscode').map((f) => readFileSync(join('extension/vscode', f), 'utf8')).join('\n');
const registered = [...adapterSource.matchAll(/registerCommand\('([\w.]+)'/g)].map((m) => m[1]).sort();

test('commands: contributed, registered by the adapter, with a category and an activation event', () => {
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(contributed, registered);
  for (const id of ['shardscope.showShapes', 'shardscope.showCollectives', 'shardscope.rehearse', 'shardscope.openTrace', 'shardscope.openTraceFolder', 'shardscope.pickModel', 'shardscope.pickMesh']) assert.ok(contributed.includes(id), id);
  for (const c of pkg.contributes.commands) {
    assert.equal(c.category, 'Shardscope', c.command);
    assert.ok(pkg.activationEvents.includes(`onCommand:${c.command}`), c.command);
  }
  assert.ok(pkg.activationEvents.includes('onLanguage:python'));
  assert.ok(pkg.activationEvents.includes('workspaceContains:**/*.shardplan.json'));
});

test('runs are refused in untrusted folders; checks are not', () => {
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.match(pkg.capabilities.untrustedWorkspaces.description, /not/);
  const rehearse = pkg.contributes.commands.find((c: { command: string }) => c.command === 'shardscope.rehearse');
  assert.equal(rehearse.enablement, 'isWorkspaceTrusted');
  for (const k of pkg.capabilities.untrustedWorkspaces.restrictedConfigurations) assert.ok(pkg.contributes.configuration.properties[k], k);
  assert.match(readFileSync('extension/vscode/rehearseCommand.ts', 'utf8'), /refuseUntrusted\(/);
  assert.deepEqual(pkg.extensionKind, ['workspace']);
});

test('settings have a type, a default and a description', () => {
  const props = pkg.contributes.configuration.properties;
  for (const k of ['shardscope.generation', 'shardscope.transformersVersion', 'shardscope.defaultMesh', 'shardscope.gpuMemoryGiB', 'shardscope.cudaLibraryPath', 'shardscope.pythonPath', 'shardscope.configPath']) assert.ok(props[k], k);
  for (const [k, v] of Object.entries(props) as [string, { type: string; default: unknown; description: string }][]) {
    assert.ok(k.startsWith('shardscope.') && !k.includes('\\'), k);
    assert.ok(v.type && v.default !== undefined && v.description.length > 20, k);
  }
});

test('the plan language, its icon, grammars and schema point at files that exist', () => {
  const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'shardplan');
  assert.deepEqual(lang.extensions, ['.shardplan.json']);
  for (const p of [lang.icon.light, lang.icon.dark, lang.configuration, ...pkg.contributes.grammars.map((g: { path: string }) => g.path), ...pkg.contributes.jsonValidation.map((j: { url: string }) => j.url)]) assert.ok(existsSync(p), p);
  assert.match(pkg.scripts.package, /vsce package .*--target linux-x64/);
  const ignore = readFileSync('.vscodeignore', 'utf8');
  for (const f of ['!dist/extension.js', '!dist/engine.js', '!syntaxes/**', '!schemas/**', '!media/**', '!native/build/Release/*.node']) assert.ok(ignore.includes(f), f);
});
