import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { listStyles } from '../../../extension/core/styles';

test('grammar tests (vscode-tmgrammar-test) pass', () => {
  const bin = require.resolve('vscode-tmgrammar-test/dist/unit.js');
  const p = spawnSync(process.execPath, [bin, '--config', 'test/grammar/grammars.json', 'test/grammar/plans.shardplan.json.test', 'test/grammar/configuration.py.test'], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stdout + p.stderr);
  assert.match(p.stdout, /configuration\.py\.test run successfuly/);
  assert.match(p.stdout, /plans\.shardplan\.json\.test run successfuly/);
});

test('the grammars highlight exactly the catalog’s style names (regenerate with node scripts/gen-grammars.mjs)', () => {
  const names = new Set(listStyles().map((e) => e.name));
  for (const file of ['syntaxes/shardplan.tmLanguage.json', 'syntaxes/python-plan.injection.tmLanguage.json']) {
    const g = JSON.parse(readFileSync(file, 'utf8'));
    const match: string = g.repository.style.match;
    const alt = match.match(/\)\(([^()]+)\)\(/)![1];
    assert.deepEqual(new Set(alt.split('|')), names, file);
  }
});

test('style names carry a string scope, which the default Light, Dark and High Contrast themes colour', () => {
  for (const [file, scope] of [['syntaxes/shardplan.tmLanguage.json', 'string.quoted.double.shardplan'], ['syntaxes/python-plan.injection.tmLanguage.json', 'string.quoted.single.python']]) {
    const style = JSON.parse(readFileSync(file, 'utf8')).repository.style;
    assert.equal(style.name, scope, file);
    // The name itself adds only a meta scope, which no default theme colours: the string colour stays.
    assert.match(style.captures['2'].name, /^meta\./, file);
  }
});
