// A collective at a module's output is attributed as the engine attributes it (`comms`: the module and the
// plan entry it is booked on), not to the entry of the weight that made the partial sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lowerPlan } from './ends-helpers';

for (const file of ['examples/mixtral-8x7b/tp.shardplan.json', 'examples/mixtral-8x7b/ep.shardplan.json']) {
  test(`${file}: the experts' forward all-reduce carries the experts module's entry, as the engine books it`, () => {
    const { sharded } = lowerPlan(file);
    const ops = sharded.programs.ranks[0].ops;
    const reduces = ops.filter((o) => o.op === 'all_reduce' && o.label.pass === 'forward' && /mlp\.experts$/.test(o.label.module ?? ''));
    assert.ok(reduces.length > 0, 'the experts combine their outputs with an all-reduce');
    for (const o of reduces) assert.equal(o.label.entry, 'layers.*.mlp.experts', `${o.label.module}: booked on ${o.label.entry}`);
    // the experts' own GEMMs keep the weights' entry
    const local = ops.find((o) => o.op === 'experts');
    assert.match(local?.label.entry ?? '', /experts\.(gate_up_proj|down_proj)$/);
  });
}
