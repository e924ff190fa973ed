// The addon's router ops against transformers' own routers (fixture from test/oracle/moe_routing.py):
// sigmoid, then the lowering's topk with DeepSeek-V3's correction bias and expert groups; softmax then
// topk for Mixtral and Qwen3-MoE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { childPath, addonBuilt, Prog } from '../runtime/helpers';
import { runPrograms } from '../../../extension/runtime';
import { routerSpec } from '../../../extension/core/lower/route';

interface Case { name: string; config: Record<string, unknown>; experts: number; k: number; logits: number[]; indices: number[]; weights: number[]; bias?: number[] }
const fixture = JSON.parse(readFileSync('test/fixtures/oracle/moe_routing.json', 'utf8')) as { tokens: number; cases: Case[] };
const skip = !addonBuilt() && 'the addon is not built';

test('the addon routes every fixture case as transformers does', { skip }, async () => {
  const T = fixture.tokens;
  const g = new Prog(1);
  const data: Record<string, Float32Array> = {};
  const outputs: string[] = [];
  fixture.cases.forEach((c, i) => {
    const spec = routerSpec(c.config);
    const E = c.experts;
    g.buf(0, `logits${i}`, [T, E]).buf(0, `scores${i}`, [T, E]).buf(0, `idx${i}`, [T, c.k]).buf(0, `w${i}`, [T, c.k]);
    data[`0/logits${i}`] = Float32Array.from(c.logits);
    g.op(0, spec.scoring, [`logits${i}`], [`scores${i}`]);
    const attrs = { k: c.k, normalize: spec.normalize, scalingFactor: spec.scalingFactor, routingKey: `gate${i}` };
    if (c.bias) {
      g.buf(0, `bias${i}`, [E]);
      data[`0/bias${i}`] = Float32Array.from(c.bias);
      g.op(0, 'topk', [`scores${i}`, `bias${i}`], [`idx${i}`, `w${i}`], { attrs: { ...attrs, nGroup: spec.nGroup!, topkGroup: spec.topkGroup! } });
    } else g.op(0, 'topk', [`scores${i}`], [`idx${i}`, `w${i}`], { attrs });
    outputs.push(`0/idx${i}`, `0/w${i}`);
  });
  const res = await runPrograms(g.p, { childPath: childPath(), timeoutMs: 20000, outputs, data });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  fixture.cases.forEach((c, i) => {
    const idx = res.outputs[`0/idx${i}`] as Float32Array, w = res.outputs[`0/w${i}`] as Float32Array;
    for (let t = 0; t < T; t++) {
      const want = new Map<number, number>();
      for (let j = 0; j < c.k; j++) want.set(c.indices[t * c.k + j], c.weights[t * c.k + j]);
      const got = Array.from(idx.subarray(t * c.k, (t + 1) * c.k));
      assert.deepEqual([...got].sort((a, b) => a - b), [...want.keys()].sort((a, b) => a - b), `${c.name}: token ${t}'s experts`);
      got.forEach((e, j) => assert.ok(Math.abs(w[t * c.k + j] - want.get(e)!) <= 2e-6 * Math.max(1, want.get(e)!), `${c.name}: token ${t}, expert ${e}`));
    }
  });
});

test('a biased topk whose groups cannot hold k experts is refused before any work, naming the op', { skip }, async () => {
  const g = new Prog(1).buf(0, 's', [4, 8]).buf(0, 'b', [8]).buf(0, 'i', [4, 3]).buf(0, 'w', [4, 3]);
  g.op(0, 'topk', ['s', 'b'], ['i', 'w'], { attrs: { k: 3, normalize: true, nGroup: 4, topkGroup: 1, routingKey: 'gate' } });
  await assert.rejects(runPrograms(g.p, { childPath: childPath(), timeoutMs: 20000, outputs: [] }), /topk.*topkGroup must be in 1\.\.4 and hold at least k experts/s);
});
