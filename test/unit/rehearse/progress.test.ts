// Progress is a fraction that moves while the layers run: each stage's share of the bar is filled by the
// runtime's finished-op counts, and the message says how many ops of how many.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearse, interpreterExecutor, type Executor } from '../../../extension/core/rehearse';

/** The interpreter, reporting finished ops in quarters the way the runtime's progress messages do. */
const reporting: Executor = {
  name: 'a reporting executor',
  async execute(req) {
    const total = req.programs.ranks.reduce((a, r) => a + r.ops.length, 0);
    for (const q of [0, 1, 2, 3, 4]) req.onProgress?.(Math.round((total * q) / 4), total);
    return interpreterExecutor.execute(req);
  },
};

test('dense layers: the sharded run then the reference, each moving the fraction op by op', async () => {
  const seen: [string, number][] = [];
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { layers: [0], budgetElements: 1.5e6, backward: false, backend: 'cpu', executor: reporting, onProgress: (m, f) => seen.push([m, f]) });
  assert.equal(r.verdict, 'match');
  const fractions = seen.map(([, f]) => f);
  assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b), 'the fraction never goes back');
  const sharded = seen.filter(([m]) => /^running the sharded layers: \d+\/\d+ ops$/.test(m));
  const reference = seen.filter(([m]) => /^running the reference: \d+\/\d+ ops$/.test(m));
  assert.equal(sharded.length, 5);
  assert.equal(reference.length, 5);
  // The sharded run fills [0.4, 0.65), the reference [0.65, 0.9).
  assert.deepEqual([sharded[0][1], sharded[4][1], reference[0][1], reference[4][1]], [0.4, 0.65, 0.65, 0.9]);
  assert.ok(sharded[2][1] > 0.4 && sharded[2][1] < 0.65);
});
