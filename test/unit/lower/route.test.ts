// The rehearsal's MoE routing against transformers' own routers (fixture from test/oracle/moe_routing.py):
// DeepSeek-V3's sigmoid, correction-bias, group-limited choice with routed_scaling_factor, and the softmax
// top-k of Mixtral and Qwen3-MoE, normalised or not as their configurations say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { routeTopK, routerSpec } from '../../../extension/core/lower/route';
import { interpret, lower } from '../../../extension/core/lower';
import { graphFromConfig } from '../../../extension/core/models';

interface Case { name: string; config: Record<string, unknown>; experts: number; k: number; logits: number[]; indices: number[]; weights: number[]; bias?: number[] }
const fixture = JSON.parse(readFileSync('test/fixtures/oracle/moe_routing.json', 'utf8')) as { tokens: number; cases: Case[] };

/** Scores as the router makes them, in fp32. */
function scoresOf(c: Case, scoring: 'softmax' | 'sigmoid'): Float32Array {
  const E = c.experts, x = Float32Array.from(c.logits), y = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += E) {
    if (scoring === 'sigmoid') for (let j = 0; j < E; j++) y[o + j] = 1 / (1 + Math.exp(-x[o + j]));
    else {
      let m = -Infinity, s = 0;
      for (let j = 0; j < E; j++) m = Math.max(m, x[o + j]);
      for (let j = 0; j < E; j++) s += Math.exp(x[o + j] - m);
      for (let j = 0; j < E; j++) y[o + j] = Math.exp(x[o + j] - m) / s;
    }
  }
  return y;
}

/** Per token, the chosen experts and their weights must be transformers' (its topk is unsorted: compare as maps). */
function assertSameRouting(c: Case, idx: ArrayLike<number>, weights: ArrayLike<number>, what: string): void {
  for (let t = 0; t < fixture.tokens; t++) {
    const want = new Map<number, number>(), got = new Map<number, number>();
    for (let j = 0; j < c.k; j++) {
      want.set(c.indices[t * c.k + j], c.weights[t * c.k + j]);
      got.set(idx[t * c.k + j], weights[t * c.k + j]);
    }
    assert.deepEqual([...got.keys()].sort((a, b) => a - b), [...want.keys()].sort((a, b) => a - b), `${what}: token ${t}'s experts`);
    for (const [e, w] of want) assert.ok(Math.abs(got.get(e)! - w) <= 2e-6 * Math.max(1, Math.abs(w)), `${what}: token ${t}, expert ${e}: weight ${got.get(e)} != ${w}`);
  }
}

test('the router spec follows each architecture: sigmoid groups for DeepSeek-V3, normalisation from norm_topk_prob or Mixtral\'s rule, defaults of the configuration class', () => {
  assert.deepEqual(routerSpec({ model_type: 'deepseek_v3' }), { scoring: 'sigmoid', normalize: true, scalingFactor: 2.5, nGroup: 8, topkGroup: 4 });
  assert.deepEqual(routerSpec({ model_type: 'qwen3_moe' }), { scoring: 'softmax', normalize: false, scalingFactor: 1 });
  assert.deepEqual(routerSpec({ model_type: 'qwen3_moe', norm_topk_prob: true }), { scoring: 'softmax', normalize: true, scalingFactor: 1 });
  assert.deepEqual(routerSpec({ model_type: 'mixtral', norm_topk_prob: false }), { scoring: 'softmax', normalize: true, scalingFactor: 1 });
});

for (const c of fixture.cases) {
  test(`routing of ${c.name} matches transformers' router`, () => {
    const spec = routerSpec(c.config);
    assert.equal(spec.scoring, c.bias ? 'sigmoid' : 'softmax');
    const { idx, weights } = routeTopK(scoresOf(c, spec.scoring), c.experts, { k: c.k, normalize: spec.normalize, scalingFactor: spec.scalingFactor, bias: c.bias && Float32Array.from(c.bias), nGroup: spec.nGroup, topkGroup: spec.topkGroup });
    assertSameRouting(c, idx, weights, c.name);
  });
}

test('the large-bias case chooses differently from the unbiased top-k, so the bias is exercised', () => {
  const c = fixture.cases.find((x) => x.name === 'deepseek_v3-large-bias')!;
  const spec = routerSpec(c.config);
  const plain = routeTopK(scoresOf(c, 'sigmoid'), c.experts, { k: c.k, normalize: spec.normalize });
  let differ = 0;
  for (let t = 0; t < fixture.tokens; t++) {
    const a = new Set(Array.from(plain.idx.subarray(t * c.k, (t + 1) * c.k)));
    if (c.indices.slice(t * c.k, (t + 1) * c.k).some((e) => !a.has(e))) differ++;
  }
  assert.ok(differ > 0, 'every token chose the same experts with and without the bias');
});

test('a DeepSeek-V3 MoE layer is lowered with its real router: sigmoid scores, a generated correction bias, group-limited topk scaled by routed_scaling_factor', () => {
  const raw = { ...JSON.parse(readFileSync('test/fixtures/lower/mla-tiny.config.json', 'utf8')), n_group: 4, topk_group: 2, routed_scaling_factor: 1.5 };
  const graph = graphFromConfig(raw);
  const T = 12;
  const low = lower({ graph, layers: [1], tokens: T });
  const ops = low.programs.ranks[0].ops;
  const topk = ops.find((o) => o.op === 'topk')!;
  const sig = ops.find((o) => o.op === 'sigmoid')!;
  assert.ok(sig && topk, 'the layer has a sigmoid and a topk');
  assert.equal(topk.ins[0], sig.outs[0], 'topk reads the sigmoid scores');
  assert.equal(topk.ins.length, 2, 'topk reads the correction bias');
  assert.deepEqual({ k: topk.attrs!.k, nGroup: topk.attrs!.nGroup, topkGroup: topk.attrs!.topkGroup, scalingFactor: topk.attrs!.scalingFactor, normalize: topk.attrs!.normalize }, { k: 2, nGroup: 4, topkGroup: 2, scalingFactor: 1.5, normalize: true });
  // The interpreter's choices are routeTopK's over the scores it computed.
  const res = interpret(low.programs);
  const buf = (id: string) => res.buffers[0].get(id)!;
  const logits = buf(sig.ins[0]), bias = buf(topk.ins[1]), E = 8;
  assert.ok(bias.some((v) => v !== 0), 'the bias is generated, not zeros');
  const scores = Float32Array.from(logits, (x) => 1 / (1 + Math.exp(-x)));
  const want = routeTopK(scores, E, { k: 2, normalize: true, scalingFactor: 1.5, bias, nGroup: 4, topkGroup: 2 });
  assert.deepEqual(Array.from(buf(topk.outs[0])), Array.from(want.idx));
  assert.deepEqual(Array.from(buf(topk.outs[1])), Array.from(want.weights));
  // Every token's experts come from at most topk_group groups of E / n_group.
  const idx = buf(topk.outs[0]);
  for (let t = 0; t < T; t++) assert.ok(new Set([idx[2 * t], idx[2 * t + 1]].map((e) => Math.floor(e / 2))).size <= 2);
});

test('a group split that cannot choose k experts is a located lowering error', () => {
  const raw = { ...JSON.parse(readFileSync('test/fixtures/lower/mla-tiny.config.json', 'utf8')), n_group: 8, topk_group: 1 };
  assert.throws(() => lower({ graph: graphFromConfig(raw), layers: [1], tokens: 4 }), /mlp\.gate: n_group 8 and topk_group 1 cannot choose 2 of 8 experts/);
});
