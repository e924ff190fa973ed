import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { graphFromConfig } from '../../../extension/core/models';
import { bindPlan, autoPlanInputs } from '../../../extension/core/analysis';
import { parseMesh, placementRepr } from '../../../extension/core/sharding';

interface OracleParam {
  placements: string[];
  local_shape: number[];
  global_shape: number[];
}
const oracle = JSON.parse(readFileSync('test/fixtures/oracle/transformers_tp.json', 'utf8')) as {
  torch: string;
  transformers: string;
  cases: { name: string; config: Record<string, unknown>; tp: number; expert_parallel: boolean; ranks: Record<string, OracleParam>[] | null }[];
};

for (const c of oracle.cases) {
  test(`${c.name}: placements and local shapes match transformers ${oracle.transformers} rank by rank`, () => {
    assert.ok(c.ranks, 'the oracle run produced every rank');
    const graph = graphFromConfig(c.config, `${c.name}/config.json`);
    const s = bindPlan(graph, autoPlanInputs(graph, 'g4', c.expert_parallel), parseMesh(`tp=${c.tp}`));
    const ours = new Map(s.params.map((p) => [p.name, p]));
    assert.deepEqual([...ours.keys()].sort(), Object.keys(c.ranks![0]).sort(), 'the same parameter names');
    c.ranks!.forEach((params, rank) => {
      for (const [name, want] of Object.entries(params)) {
        const p = ours.get(name)!;
        assert.deepEqual(p.globalShape, want.global_shape, `${name}: global shape`);
        assert.deepEqual(p.placements.map(placementRepr), want.placements, `${name}: placements`);
        assert.deepEqual(p.localShapes[rank], want.local_shape, `${name}: local shape on rank ${rank}`);
      }
    });
  });
}
