// The descriptors against transformers itself: names and shapes of every parameter of tiny models built
// on the meta device by test/oracle/transformers_shapes.py (fixture committed; nothing here needs torch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { graphFromConfig } from '../../../extension/core/models';

interface Case { name: string; model_type: string; config: Record<string, unknown>; params: [string, number[]][]; modules: [string, string][] }
const fixture = JSON.parse(readFileSync('test/fixtures/oracle/transformers_param_shapes.json', 'utf8')) as { transformers: string; cases: Case[] };

test('the oracle covers every architecture with a descriptor', () => {
  const types = new Set(fixture.cases.map((c) => c.model_type));
  for (const t of ['llama', 'mistral', 'qwen2', 'qwen3', 'mixtral', 'qwen3_moe', 'deepseek_v3', 'gpt_oss']) assert.ok(types.has(t), t);
});

for (const c of fixture.cases) {
  test(`${c.name}: every parameter name and shape as transformers ${fixture.transformers} builds it`, () => {
    const g = graphFromConfig(c.config, `oracle ${c.name}`);
    const ours = new Map(g.params.map((p) => [p.name, p.shape]));
    const theirs = new Map(c.params);
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
    for (const [name, shape] of theirs) assert.deepEqual(ours.get(name), shape, name);
    // Every module of ours exists there with the same class (activation modules such as act_fn are not modelled).
    const classes = new Map(c.modules);
    for (const [path, m] of g.modules) assert.equal(m.className, classes.get(path), `class of "${path}"`);
  });
}
