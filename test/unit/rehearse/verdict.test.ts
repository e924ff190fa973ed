// The verdict line says when widths were scaled; a refused plan has no trace to offer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearse, verdictLine, hasTrace, interpreterExecutor } from '../../../extension/core/rehearse';

const PLAN = 'examples/llama-3-8b/tp.shardplan.json';

test('a run at scaled widths says so in its verdict; one at real widths does not', async () => {
  const scaled = await rehearse(PLAN, { layers: [0], budgetElements: 1.5e6, backward: false, backend: 'cpu', executor: interpreterExecutor });
  assert.equal(scaled.verdict, 'match');
  assert.ok(scaled.widthScale > 1);
  assert.match(verdictLine(scaled), new RegExp(`^numbers agree on 8 rank\\(s\\) \\(cpu\\): .*; widths scaled by 1/${scaled.widthScale} to fit this machine`));
  assert.ok(hasTrace(scaled));
  const real = await rehearse(PLAN, { layers: [0], widthScale: 1, tokens: 8, backward: false, backend: 'cpu', executor: interpreterExecutor });
  assert.equal(real.widthScale, 1);
  assert.doesNotMatch(verdictLine(real), /widths scaled/);
});

test('a plan refused before it runs: located verdict, no trace to open', async () => {
  const text = JSON.stringify({ model: 'mixtral-8x7b', mesh: { tp: 8 }, plan: { 'layers.*.mlp.experts.gate_up_proj': 'colwise', 'layers.*.mlp.experts.down_proj': 'rowwise', 'layers.*.mlp.experts': 'moe_tp_experts' } }, null, 1);
  const r = await rehearse({ uri: '/w/refused.shardplan.json', text }, { layers: [0], budgetElements: 1.5e6, backward: false, backend: 'cpu', executor: interpreterExecutor });
  assert.equal(r.verdict, 'error');
  assert.match(verdictLine(r), /^refused\.shardplan\.json:\d+: the plan cannot run: /);
  assert.equal(hasTrace(r), false);
});
