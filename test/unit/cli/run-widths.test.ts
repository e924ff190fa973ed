import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../extension/cli/main';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('shardscope run --memory-budget: the widths shrink to fit the budget and the notes say how', async () => {
  const r = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--memory-budget', '0.5', '--json']);
  assert.equal(r.code, 0, r.err.join('\n'));
  const j = JSON.parse(r.out[0]);
  assert.equal(j.verdict, 'match');
  // Layer 0 in training: 3 × 218M fp32 at real widths; 1/4 of the widths (1/16 of the weights) fits 512 MiB.
  assert.ok(j.notes.some((n: string) => /^widths scaled by 1\/4 to fit 512 MiB \(\d\.\d GiB estimated at real widths/.test(n)), j.notes.join('\n'));
  const bad = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--memory-budget', 'lots']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err.join('\n'), /--memory-budget: expected a size in GiB such as 8 or 0\.5, got lots/);
});
