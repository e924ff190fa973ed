import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpret, lower, type RankPrograms } from '../../../extension/core/lower';
import { graphFromConfig, loadModel } from '../../../extension/core/models';
import { rehearse } from '../../../extension/core/rehearse';

/** One rope op over x [T, 2 heads · 4]. */
function ropeProgram(attrs: Record<string, number | boolean | number[]>): RankPrograms {
  return {
    worldSize: 1,
    groups: [],
    buffers: [
      { id: 'x', rank: 0, dtype: 'f32', shape: [3, 8], init: { kind: 'input', key: 'x', globalShape: [3, 8], ranges: [[[0, 3], [0, 8]]], scale: 1 } },
      { id: 'y', rank: 0, dtype: 'f32', shape: [3, 2, 4] },
    ],
    ranks: [{ rank: 0, ops: [{ op: 'rope', ins: ['x'], outs: ['y'], attrs, label: {} }] }],
  };
}

test('rope rotates (x[i], x[i+d/2]) by position × inverse frequency, or adjacent pairs de-interleaved', () => {
  const inv = [1, 0.01];
  for (const interleaved of [false, true]) {
    const r = interpret(ropeProgram({ invFreq: inv, interleaved, attnFactor: 2, positionOffset: 5 }));
    const x = r.buffers[0].get('x')!;
    const y = r.buffers[0].get('y')!;
    for (let t = 0; t < 3; t++)
      for (let h = 0; h < 2; h++)
        for (let i = 0; i < 2; i++) {
          const o = t * 8 + h * 4;
          const [a, b] = interleaved ? [x[o + 2 * i], x[o + 2 * i + 1]] : [x[o + i], x[o + 2 + i]];
          const th = (5 + t) * inv[i];
          assert.ok(Math.abs(y[o + i] - 2 * (a * Math.cos(th) - b * Math.sin(th))) < 1e-6);
          assert.ok(Math.abs(y[o + 2 + i] - 2 * (b * Math.cos(th) + a * Math.sin(th))) < 1e-6);
        }
  }
  // Position 0 is the identity (times the factor).
  const r0 = interpret(ropeProgram({ invFreq: inv, interleaved: false, batch: 3 }));
  assert.deepEqual([...r0.buffers[0].get('y')!], [...r0.buffers[0].get('x')!]);
  assert.throws(() => interpret(ropeProgram({ invFreq: [1, 2, 3], interleaved: false })), /rotates 6-wide heads in rows of 8 values/);
});

test('GQA attention rotates queries and keys per head with the config\'s theta; head-sharded plans still match', async () => {
  const graph = loadModel('examples/llama-3-8b/config.json');
  const small = graphFromConfig({ ...graph.config.raw, hidden_size: 256, intermediate_size: 512, head_dim: 8 });
  const ref = lower({ graph: small, layers: [0], tokens: 4 });
  const ropes = ref.programs.ranks[0].ops.filter((o) => o.op === 'rope');
  assert.equal(ropes.length, 2);
  const inv = ropes[0].attrs!.invFreq as number[];
  assert.equal(inv.length, 4);
  assert.ok(Math.abs(inv[1] - 1 / 500000 ** (2 / 8)) < 1e-15);
  assert.equal(ropes[0].attrs!.interleaved, false);
  for (const f of ['examples/llama-3-8b/tp-sp.shardplan.json', 'examples/qwen3-30b-a3b/tp.shardplan.json']) {
    const r = await rehearse(f, { layers: [0], widthScale: 16, backward: false });
    assert.equal(r.verdict, 'match', `${f}: ${JSON.stringify(r.error ?? r.firstMismatch)}`);
    assert.ok(r.trace.events.some((e) => e.source === 'measured' && e.name === 'rope'));
  }
});
