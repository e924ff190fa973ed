import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateBoxes, fullBox, unitValue, keySeed } from '../../../extension/core/lower';
import { computeLayout } from '../../../extension/core/sharding';

test('values are deterministic, in [-1, 1) and differ between keys', () => {
  assert.equal(unitValue(keySeed('a'), 7), unitValue(keySeed('a'), 7));
  assert.notEqual(unitValue(keySeed('a'), 7), unitValue(keySeed('b'), 7));
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const v = unitValue(keySeed('w'), i);
    assert.ok(v >= -1 && v < 1);
    sum += v;
  }
  // Mean of 10k uniforms on [-1, 1): within 5 standard errors of 0.
  assert.ok(Math.abs(sum / 10000) < 5 * Math.sqrt(1 / 3 / 10000));
});

test('each rank generates exactly its shard of the full tensor (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1 }), fc.boolean(), (a, b, n, dim, strided) => {
      const shape = [a * 2, b * 2];
      const full = new Float32Array(shape[0] * shape[1]);
      generateBoxes('p', shape, fullBox(shape), 0.5, full);
      const pl = strided ? [{ kind: 'strided_shard' as const, dim, splitFactor: 2 }] : [{ kind: 'shard' as const, dim }];
      for (let r = 0; r < n; r++) {
        const lay = computeLayout(shape, [n], pl, r);
        const local = new Float32Array(lay.localShape.reduce((x, y) => x * y, 1));
        generateBoxes('p', shape, lay.ranges, 0.5, local);
        // Walk the boxes in order and check every value against the full tensor.
        let o = 0;
        for (const box of lay.ranges) for (let i = box[0][0]; i < box[0][1]; i++) for (let j = box[1][0]; j < box[1][1]; j++) assert.equal(local[o++], full[i * shape[1] + j]);
      }
    }),
    { numRuns: 60 },
  );
});
