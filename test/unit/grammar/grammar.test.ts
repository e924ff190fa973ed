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
