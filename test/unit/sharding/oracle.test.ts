import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allLayouts, rankOf, type Placement } from '../../../extension/core/sharding';

interface OracleCase {
  shape: number[];
  mesh: number[];
  placements: Placement[];
  error?: string;
  ranks?: { coord: number[]; local_shape: number[]; global_offset: number[] }[];
  indices?: number[][];
}

const oracle = JSON.parse(readFileSync('test/fixtures/oracle/dtensor_layouts.json', 'utf8')) as { torch: string; cases: OracleCase[] };

test(`layouts agree with PyTorch ${oracle.torch} DTensor on ${oracle.cases.length} cases`, () => {
  let compared = 0;
  for (const c of oracle.cases) {
    const label = `${JSON.stringify(c.shape)} on ${JSON.stringify(c.mesh)} with ${JSON.stringify(c.placements)}`;
    if (c.error) {
      assert.throws(() => allLayouts(c.shape, c.mesh, c.placements), label);
      continue;
    }
    const ours = allLayouts(c.shape, c.mesh, c.placements);
    for (const r of c.ranks!) {
      const l = ours[rankOf(c.mesh, r.coord)];
      assert.deepEqual(l.localShape, r.local_shape, `${label} coord ${r.coord}: local shape`);
      assert.deepEqual(l.globalOffset, r.global_offset, `${label} coord ${r.coord}: offset`);
      compared++;
    }
    // Boxes list elements held; a tensor with an empty dim holds none, so indices are compared only when it has elements.
    if (c.indices && c.shape.every((n) => n > 0)) {
      const d = (c.placements[0] as { dim: number }).dim;
      c.indices.forEach((held, r) => {
        const mine = ours[r].ranges.flatMap((box) => {
          const [s, e] = box[d];
          return Array.from({ length: e - s }, (_, i) => s + i);
        });
        // A rank holds the cross product of boxes; along dim d the distinct indices are what the split gives.
        assert.deepEqual([...new Set(mine)], held, `${label} rank ${r}: indices held`);
      });
    }
  }
  assert.ok(compared > 500, `compared ${compared} rank layouts`);
});
