import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import fc from 'fast-check';
import { fitWidths, estimateMemory, scaleWidths, copiesFromLocalShapes, SHARDABLE_WIDTHS, HEAD_WIDTHS } from '../../../extension/core/lower';
import { graphFromConfig, loadModel } from '../../../extension/core/models';
import { parsePlanSource } from '../../../extension/core/plan';
import { bindPlan, planInputsFromDocument } from '../../../extension/core/analysis';
import { chooseWidths } from '../../../extension/core/rehearse/widths';
import { rehearse } from '../../../extension/core/rehearse';

const GiB = 2 ** 30;

function example(file: string, layers?: number[], separateRuns?: boolean) {
  const doc = parsePlanSource(file, readFileSync(file, 'utf8'));
  const graph = loadModel(doc.model!.ref as string, dirname(file));
  const tp = doc.mesh!.dims.find((d) => d.name === 'tp')!;
  const n = tp.size;
  return chooseWidths({ doc, graph, tpName: 'tp', ranks: n, layers: layers ?? doc.run?.layers ?? [0, 1], tokens: n * Math.max(1, Math.ceil(8 / n)), backward: doc.run?.mode === 'training', separateRuns });
}

test('examples at the default 8 GiB: Llama-3-8B (two layers, training), Mixtral-8x7B tp and Qwen3-30B-A3B at real widths; Mixtral-8x7B ep and DeepSeek-V3 at 1/2', () => {
  const llama = example('examples/llama-3-8b/tp.shardplan.json', [0, 1]);
  assert.equal(llama.factor, 1);
  assert.equal(llama.graph.config.hiddenSize, 4096);
  // Reference, the 8 ranks' shards (each weight split once over the ranks) and the weight gradients: 3 × 2 layers × 218M fp32.
  const layerParams = 4096 * (4096 + 1024 + 1024 + 4096) + 3 * 4096 * 14336 + 2 * 4096;
  assert.ok(Math.abs(llama.fit.estimate.referenceWeights - 2 * layerParams * 4) < 1e6);
  assert.ok(Math.abs(llama.fit.estimate.shardedWeights - 2 * (layerParams + 7 * 2 * 4096) * 4) < 1e6);
  assert.ok(llama.fit.estimate.total < 8 * GiB && llama.fit.estimate.total > 5 * GiB);
  assert.match(llama.notes[0], /^real widths: 5\.\d GiB estimated peak of the 8\.0 GiB budget$/);

  const qwen = example('examples/qwen3-30b-a3b/tp.shardplan.json');
  assert.equal(qwen.factor, 1);
  // 8 tokens × top-8 reach at most 64 of the 128 experts; one at a time is held, each split over the 4 ranks.
  assert.equal(qwen.fit.estimate.routedExperts, 64);
  assert.ok(Math.abs(qwen.fit.estimate.referenceWeights - qwen.fit.estimate.shardedWeights) < 2e7);

  // Mixtral's experts are generated one at a time: split over the ranks (tp), real widths fit; whole on
  // each of the 8 ranks at once (ep), with the GEMMs' transposed working copies, they do not.
  const mixtral = example('examples/mixtral-8x7b/tp.shardplan.json');
  assert.equal(mixtral.factor, 1);
  const expert = 3 * 4096 * 14336 * 4;
  assert.ok(Math.abs(mixtral.fit.estimate.shardedWeights - mixtral.fit.estimate.referenceWeights) < 1e7);
  const mixtralEp = example('examples/mixtral-8x7b/ep.shardplan.json');
  assert.equal(mixtralEp.factor, 2);
  assert.equal(mixtralEp.graph.config.hiddenSize, 2048);
  assert.equal(mixtralEp.graph.config.numExperts, 8);
  // Each of the 8 ranks may hold its whole expert at once: 7 experts more than the split plan.
  assert.ok(Math.abs(mixtralEp.fit.realEstimate.shardedWeights - mixtral.fit.estimate.shardedWeights - 7 * expert) < 1e7);
  // The transposed working copy of the larger expert weight (gate_up), on the reference and all 8 ranks.
  assert.ok(Math.abs(mixtralEp.fit.realEstimate.workingCopies - 9 * (2 / 3) * expert) < 1e7);
  assert.match(mixtralEp.notes[0], /^widths scaled by 1\/2 to fit 8\.0 GiB \(1\d\.\d GiB estimated at real widths, 2\.\d GiB at 1\/2\): hidden 2048, intermediate 7168, head dim 64;.*experts generated one at a time, at most 8 per MoE layer/);

  const ds = example('examples/deepseek-v3/ep.shardplan.json');
  assert.equal(ds.factor, 2);
  const c = ds.graph.config;
  assert.deepEqual([c.hiddenSize, c.kvLoraRank, c.qLoraRank, c.qkRopeHeadDim, c.qkNopeHeadDim, c.vHeadDim, c.numHeads, c.numExperts], [3584, 256, 768, 32, 64, 64, 128, 256]);
  assert.ok(ds.fit.realEstimate.total > 8 * GiB && ds.fit.estimate.total <= 8 * GiB);
  assert.match(ds.notes[0], /widths scaled by 1\/2 to fit 8\.0 GiB \(10\.\d GiB estimated at real widths, 2\.\d GiB at 1\/2\): hidden 3584, intermediate 1024, kv_lora_rank 256, rope 32, nope 64, v 64; head and expert counts as in the model, every width the 8 ranks split still divides; experts generated one at a time, at most 64 per MoE layer/);
});

test('on the native executor (reference and sharded run one after the other) DeepSeek-V3 fits at real widths', () => {
  const ds = example('examples/deepseek-v3/ep.shardplan.json', undefined, true);
  assert.equal(ds.factor, 1);
  const e = ds.fit.estimate;
  // The sharded run is the larger one: 8 ranks' shards (q_a/kv_a replicated), 8 experts at once.
  assert.ok(e.shardedWeights > e.referenceWeights);
  assert.ok(e.total < 8 * GiB && e.total > e.shardedWeights);
  assert.match(ds.notes[0], /^real widths: 6\.\d GiB estimated peak of the 8\.0 GiB budget; experts generated one at a time, at most 64 per MoE layer/);
  // Mixtral-8x7B ep still does not: 8 whole experts and their working copies at once.
  assert.equal(example('examples/mixtral-8x7b/ep.shardplan.json', undefined, true).factor, 2);
});

test('copies per parameter come from the binding: split weights once, replicated norms once per rank', () => {
  const file = 'examples/llama-3-8b/tp.shardplan.json';
  const doc = parsePlanSource(file, readFileSync(file, 'utf8'));
  const graph = loadModel('examples/llama-3-8b/config.json');
  const bound = bindPlan(graph, planInputsFromDocument(doc, graph), { dims: [{ name: 'tp', size: 8 }] }, { run: { batch: 1, seqLen: 8, mode: 'inference' } });
  const copies = copiesFromLocalShapes(bound.params, 8);
  assert.equal(copies('model.layers.0.self_attn.q_proj.weight'), 1);
  assert.equal(copies('model.layers.0.mlp.down_proj.weight'), 1);
  assert.equal(copies('model.layers.0.input_layernorm.weight'), 8);
  // A name the binding does not know is counted as replicated (the bound).
  assert.equal(copies('no.such.param'), 8);
});

test('a forced width is lowered to the largest admissible factor; a budget nothing fits says so at the largest factor', () => {
  const cfg = graphFromConfig(JSON.parse(readFileSync('examples/deepseek-v3/config.json', 'utf8'))).config;
  // qk_rope_head_dim 64 must stay even: 1/32 is the floor (rope 2).
  const tiny = fitWidths(cfg, [0, 3], 8, 8, { budgetBytes: 1024 });
  assert.equal(tiny.fits, false);
  assert.equal(tiny.factor, 32);
  assert.equal(tiny.maxFactor, 32);
  assert.equal(tiny.raw.qk_rope_head_dim, 2);
  const forced = fitWidths(cfg, [0], 8, 8, { factor: 48 });
  assert.equal(forced.factor, 32);
  // Layer 0 split once over the ranks fits at real widths; replicated on all 8 (the default bound) it does not.
  const real = fitWidths(cfg, [0], 8, 8, { factor: 1, copies: () => 1 });
  assert.equal(real.factor, 1);
  assert.equal(real.fits, true);
  assert.equal(fitWidths(cfg, [0], 8, 8, { factor: 1 }).fits, false);
  assert.equal(fitWidths(cfg, [0, 3], 8, 8, { factor: 1, budgetBytes: 2 ** 30 }).fits, false);
  // Llama-3-8B on 3 ranks: intermediate 14336 = 2^11·7 is no multiple of 3, hidden 4096 neither; only evenness binds.
  const llama = graphFromConfig(JSON.parse(readFileSync('examples/llama-3-8b/config.json', 'utf8'))).config;
  assert.equal(scaleWidths(llama.raw, llama, 64, 3)?.head_dim, 2);
  // On 16 ranks, 14336/2^f stays a multiple of 16 up to f = 2^7 but head_dim 128/128 = 1 is odd: 64 is the floor.
  assert.equal(scaleWidths(llama.raw, llama, 64, 16)?.intermediate_size, 224);
  assert.equal(scaleWidths(llama.raw, llama, 128, 16), undefined);
});

test('a memory budget bounds what the rehearsal declares, and the verdict says the scale', async () => {
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { layers: [0], backward: false, budgetBytes: 512 * 2 ** 20 });
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.equal(r.widthScale, 4);
  assert.ok(r.declaredBytes > 0 && r.declaredBytes < 512 * 2 ** 20 - 256 * 2 ** 20, String(r.declaredBytes));
  assert.ok(r.notes.some((n) => /widths scaled by 1\/4 to fit 512 MiB \(\d\.\d GiB estimated at real widths/.test(n)), r.notes.join('\n'));
});

// Random decoder configs (dense, MoE, MLA) on random rank counts and budgets.
const configArb = fc
  .record({
    kind: fc.constantFrom('llama', 'mixtral', 'deepseek_v3'),
    heads: fc.constantFrom(4, 8, 16, 32, 64),
    headDim: fc.constantFrom(32, 64, 96, 128, 256),
    hiddenMul: fc.integer({ min: 1, max: 6 }),
    inter: fc.integer({ min: 1, max: 64 }).map((k) => k * 256),
    experts: fc.constantFrom(4, 8, 16, 64),
    topk: fc.integer({ min: 1, max: 4 }),
    ranks: fc.constantFrom(1, 2, 3, 4, 8, 16),
    budgetMiB: fc.integer({ min: 16, max: 16384 }),
    layers: fc.constantFrom<number[]>([0], [0, 1]),
    backward: fc.boolean(),
  })
  .map((a) => {
    const hidden = a.heads * a.headDim * a.hiddenMul;
    const base = { hidden_size: hidden, intermediate_size: a.inter, num_hidden_layers: 2, num_attention_heads: a.heads, num_key_value_heads: a.heads / 2, vocab_size: 32000, head_dim: a.headDim };
    const raw =
      a.kind === 'llama'
        ? { model_type: 'llama', ...base }
        : a.kind === 'mixtral'
          ? { model_type: 'mixtral', ...base, num_local_experts: a.experts, num_experts_per_tok: Math.min(a.topk, a.experts) }
          : { model_type: 'deepseek_v3', ...base, head_dim: undefined, num_key_value_heads: a.heads, moe_intermediate_size: a.inter / 4, n_routed_experts: a.experts, num_experts_per_tok: Math.min(a.topk, a.experts), n_shared_experts: 1, first_k_dense_replace: 1, kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, qk_nope_head_dim: a.headDim, v_head_dim: a.headDim };
    return { ...a, raw };
  });

test('property: the chosen scale keeps every divisibility and fits the budget, and no smaller admissible scale fits', () => {
  fc.assert(
    fc.property(configArb, (a) => {
      const cfg = graphFromConfig(a.raw).config;
      const tokens = a.ranks * 2;
      const budget = a.budgetMiB * 2 ** 20;
      const fit = fitWidths(cfg, a.layers, tokens, a.ranks, { budgetBytes: budget, backward: a.backward });
      const f = fit.factor;
      assert.ok([1, 2, 4, 8, 16, 32, 64].includes(f));
      for (const k of SHARDABLE_WIDTHS) {
        const v = a.raw[k as keyof typeof a.raw];
        if (typeof v !== 'number') continue;
        assert.equal(fit.raw[k], v / f);
        assert.ok(Number.isInteger(v / f) && v / f >= 1);
        if (v % a.ranks === 0) assert.equal((v / f) % a.ranks, 0, `${k} ${v}/${f} on ${a.ranks} ranks`);
      }
      for (const k of HEAD_WIDTHS) {
        const v = fit.raw[k];
        if (typeof v === 'number') assert.ok(Number.isInteger(v) && v % 2 === 0 && v >= 2, `${k} = ${v}`);
      }
      // The scaled model still builds, with the model's head and expert counts.
      const scaled = graphFromConfig(fit.raw).config;
      assert.equal(scaled.numHeads, cfg.numHeads);
      assert.equal(scaled.numExperts, cfg.numExperts);
      if (fit.fits) assert.ok(fit.estimate.total <= budget);
      else assert.equal(f, fit.maxFactor);
      // Minimal: the next smaller admissible factor does not fit.
      for (let g = f / 2; g >= 1; g /= 2) {
        const raw = scaleWidths(cfg.raw, cfg, g, a.ranks);
        if (!raw) continue;
        const e = estimateMemory(g === 1 ? graphFromConfig(cfg.raw) : graphFromConfig(raw), a.layers, tokens, a.ranks, { backward: a.backward });
        assert.ok(e.total > budget, `1/${g} would fit: ${e.total} ≤ ${budget}`);
        break;
      }
    }),
    { numRuns: 150 },
  );
});

test('property: the estimate shrinks as the widths do', () => {
  fc.assert(
    fc.property(configArb, (a) => {
      const cfg = graphFromConfig(a.raw).config;
      let prev = Infinity;
      for (let f = 1; f <= 64; f *= 2) {
        const raw = scaleWidths(cfg.raw, cfg, f, a.ranks);
        if (!raw) continue;
        const e = estimateMemory(graphFromConfig(raw), a.layers, a.ranks * 2, a.ranks);
        assert.ok(e.total < prev);
        prev = e.total;
      }
    }),
    { numRuns: 60 },
  );
});
