import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { redistribute, type Placement } from '../../../extension/core/sharding';

interface OracleStep { op: string; elements: number; group_size: number | null }
interface OracleCase { shape: number[]; mesh: number[]; from: Placement[]; to: Placement[]; steps?: OracleStep[]; error?: string }

const oracle = JSON.parse(readFileSync('test/fixtures/oracle/dtensor_redistribute.json', 'utf8')) as { torch: string; cases: OracleCase[] };

test(`redistribution issues the collectives PyTorch ${oracle.torch} DTensor issues on ${oracle.cases.length} transitions`, () => {
  let compared = 0;
  for (const c of oracle.cases) {
    const label = `${JSON.stringify(c.shape)} on ${JSON.stringify(c.mesh)}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`;
    if (c.error) {
      // PyTorch refuses R → P from user code; DTensor does it internally as a local step, and so does the engine.
      assert.match(c.error, /redistributing to Partial is for internal use only/, label);
      assert.deepEqual(redistribute(c.shape, 1, c.mesh, c.from, c.to), [], label);
      continue;
    }
    // One byte per element: bytes then count elements, as the fixture does (rank 0 holds the largest shard).
    const ours = redistribute(c.shape, 1, c.mesh, c.from, c.to).map((s) => ({ op: s.op, elements: s.bytes, group_size: s.groupSize }));
    assert.deepEqual(ours.map((s) => s.op), c.steps!.map((s) => s.op), `${label}: ops`);
    assert.deepEqual(ours.map((s) => s.elements), c.steps!.map((s) => s.elements), `${label}: elements`);
    // The fixture has no group size for all-reduce (its op takes a group name only).
    c.steps!.forEach((s, i) => {
      if (s.group_size !== null) assert.equal(ours[i].group_size, s.group_size, `${label}: group size of step ${i}`);
    });
    compared += ours.length;
  }
  assert.ok(compared >= 30, `compared ${compared} collectives`);
});
