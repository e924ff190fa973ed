import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, plansOf } from '../../../extension/core/models';
import type { ModelGraph, ModuleNode, ParamInfo, FlowStep } from '../../../extension/core/models';
import { bindPlan, entryFromRef, autoPlanInputs, planInputsFromDocument, memoryPerRankText } from '../../../extension/core/analysis';
import type { PlanInput } from '../../../extension/core/analysis';
import { parseMesh, computeLayout, placementRepr } from '../../../extension/core/sharding';
import { parsePlanSource } from '../../../extension/core/plan';
import { readFileSync } from 'node:fs';
import type { StyleRef } from '../../../extension/core/styles';

const names = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => entryFromRef(k, { kind: 'name', name: v }));
const base = (o: Record<string, string>): PlanInput => ({ scope: 'base', entries: names(o) });
const lmHead: PlanInput = { scope: 'class', entries: names({ lm_head: 'colwise_gather_output' }) };
const fromFile = (path: string) => {
  const doc = parsePlanSource(path, readFileSync(path, 'utf8'));
  const graph = loadModel(doc.model!.ref as string, path.slice(0, path.lastIndexOf('/')));
  return { doc, graph, plans: planInputsFromDocument(doc, graph) };
};

test('Llama-3-8B on tp=8: every parameter’s local shape', () => {
  const g = loadModel('llama-3-8b');
  const s = bindPlan(g, autoPlanInputs(g), parseMesh('tp=8'));
  const expect: [RegExp, number[], string[]][] = [
    [/q_proj\.weight$/, [512, 4096], ['Shard(dim=0)']],
    [/[kv]_proj\.weight$/, [128, 4096], ['Shard(dim=0)']],
    [/o_proj\.weight$/, [4096, 512], ['Shard(dim=1)']],
    [/(gate|up)_proj\.weight$/, [1792, 4096], ['Shard(dim=0)']],
    [/down_proj\.weight$/, [4096, 1792], ['Shard(dim=1)']],
    [/layernorm\.weight$|^model\.norm\.weight$/, [4096], []],
    [/^model\.embed_tokens\.weight$/, [128256, 4096], []],
    [/^lm_head\.weight$/, [16032, 4096], ['Shard(dim=0)']],
  ];
  let checked = 0;
  for (const p of s.params) {
    const e = expect.find(([re]) => re.test(p.name));
    assert.ok(e, `unexpected parameter ${p.name}`);
    assert.deepEqual(p.placements.map(placementRepr), e[2], p.name);
    for (let r = 0; r < 8; r++) assert.deepEqual(p.localShapes[r], e[1], `${p.name} rank ${r}`);
    checked++;
  }
  assert.equal(checked, 291);
  assert.deepEqual(s.findings, []);
});

test('Mixtral packed gate_up_proj: each rank holds matching gate and up rows', () => {
  const g = loadModel('mixtral-8x7b');
  const s = bindPlan(g, autoPlanInputs(g), parseMesh('tp=8'));
  const p = s.params.find((x) => x.name === 'model.layers.0.mlp.experts.gate_up_proj')!;
  assert.deepEqual(p.placements.map(placementRepr), ['_StridedShard(dim=1, sf=2)']);
  const I = 14336;
  for (let r = 0; r < 8; r++) {
    const l = computeLayout(p.globalShape, [8], p.placements, r);
    const rows = l.ranges.map((box) => box[1]);
    assert.equal(rows.length, 2, 'a gate block and an up block');
    const [gate, up] = rows;
    assert.deepEqual(gate, [r * 1792, (r + 1) * 1792]);
    assert.deepEqual([up[0] - I, up[1] - I], gate, `rank ${r}: up rows mirror gate rows`);
  }
  // The same weight with plain colwise is the classic fault.
  const bad = bindPlan(g, [base({ ...plansOf(g)!.tp!, 'layers.*.mlp.experts.gate_up_proj': 'colwise' }), lmHead], parseMesh('tp=8'));
  const f = bad.findings.find((x) => x.code === 'SS105');
  assert.ok(f, JSON.stringify(bad.findings));
  assert.equal(f.suggestion, 'packed_colwise');
});

test('DeepSeek-V3 experts on dp=8,tp=8 with experts over all 64 ranks', () => {
  const { graph, plans, doc } = fromFile('examples/deepseek-v3/ep.shardplan.json');
  const s = bindPlan(graph, plans, parseMesh('dp=8,tp=8'), { expertParallel: doc.expertParallel });
  const gu = s.params.find((x) => x.name === 'model.layers.3.mlp.experts.gate_up_proj')!;
  assert.deepEqual(gu.placements.map(placementRepr), ['Shard(dim=0)', 'Shard(dim=0)']);
  for (let r = 0; r < 64; r++) assert.deepEqual(gu.localShapes[r], [4, 4096, 7168]);
  // Rank r owns experts 4r..4r+3.
  assert.deepEqual(computeLayout(gu.globalShape, [8, 8], gu.placements, 37).ranges[0][0], [148, 152]);
  const qb = s.params.find((x) => x.name === 'model.layers.0.self_attn.q_b_proj.weight')!;
  assert.deepEqual(qb.localShapes[9], [3072, 1536]);
  const a2a = s.collectives.filter((c) => c.op === 'all_to_all' && c.layer === 3 && c.pass === 'forward');
  assert.equal(a2a.length, 2);
  assert.equal(a2a[0].group.length, 64);
  assert.equal(a2a[0].bytes, 4096 * 8 * 7168 * 2);
  assert.deepEqual(s.findings.filter((f) => f.severity === 'error'), []);
});

test('standard Llama SP plan: 2 all-gathers and 2 reduce-scatters per layer, forward and backward', () => {
  const { graph, plans } = fromFile('examples/llama-3-8b/tp-sp.shardplan.json');
  const s = bindPlan(graph, plans, parseMesh('tp=8'), { run: { batch: 1, seqLen: 4096, mode: 'training' } });
  const layer = (pass: string, op: string) => s.collectives.filter((c) => c.layer === 5 && c.pass === pass && c.op === op).length;
  assert.equal(layer('forward', 'all_gather'), 2);
  assert.equal(layer('forward', 'reduce_scatter'), 2);
  assert.equal(layer('backward', 'all_gather'), 2);
  assert.equal(layer('backward', 'reduce_scatter'), 2);
  assert.equal(layer('backward', 'all_reduce'), 0);
  assert.equal(layer('optimizer', 'all_reduce'), 2, 'the two norm weights’ partial gradients');
  const ag = s.collectives.find((c) => c.layer === 5 && c.op === 'all_gather')!;
  assert.equal(ag.bytes, 1 * 4096 * 4096 * 2, 'nccl-tests S: the gathered [1, 4096, 4096] bf16 output');
  assert.deepEqual(s.totals.forward, { reduce_scatter: 65, all_gather: 65, all_reduce: 3 });
  assert.deepEqual(s.findings, []);
  // The residual stream is sequence-sharded: [1, 512, 4096] on each rank.
  const x = s.activations.find((a) => a.name === 'model.layers.0:h1')!;
  assert.deepEqual(x.localShapes[3], [1, 512, 4096]);
});

// PyTorch's own anchor: test_tp_examples.py::test_transformer_training on its toy Transformer
// (2 layers, LayerNorm with bias, w1 → gelu → w2, learned positions), counted with CommDebugMode.
function toyTransformer(): ModelGraph {
  const V = 32, H = 16, S = 8, F = 64;
  const modules = new Map<string, ModuleNode>();
  const params: ParamInfo[] = [];
  const mk = (path: string, kind: ModuleNode['kind'], ps: [string, number[]][] = [], attrs?: ModuleNode['attrs']): ModuleNode => {
    const n: ModuleNode = { path, className: kind, kind, params: ps.map(([l, s]) => ({ name: `${path}.${l}`, local: l, shape: s, dtype: 'float32' })), children: [], attrs };
    params.push(...n.params);
    modules.set(path, n);
    return n;
  };
  const root = mk('', 'model');
  root.children.push(mk('tok_embeddings', 'embedding', [['weight', [V, H]]]), mk('pos_embeddings', 'embedding', [['weight', [S, H]]]));
  for (let i = 0; i < 2; i++) {
    const p = `layers.${i}`;
    mk(p, 'decoder_layer');
    mk(`${p}.attention_norm`, 'norm', [['weight', [H]], ['bias', [H]]], { size: H });
    mk(`${p}.attention`, 'attention');
    for (const w of ['wq', 'wk', 'wv']) mk(`${p}.attention.${w}`, 'linear', [['weight', [H, H]], ['bias', [H]]]);
    mk(`${p}.attention.wo`, 'linear', [['weight', [H, H]], ['bias', [H]]]);
    mk(`${p}.ffn_norm`, 'norm', [['weight', [H]], ['bias', [H]]], { size: H });
    mk(`${p}.feed_forward`, 'mlp');
    mk(`${p}.feed_forward.w1`, 'linear', [['weight', [F, H]], ['bias', [F]]]);
    mk(`${p}.feed_forward.w2`, 'linear', [['weight', [H, F]], ['bias', [H]]]);
  }
  mk('norm', 'norm', [['weight', [H]], ['bias', [H]]], { size: H });
  mk('output', 'linear', [['weight', [V, H]]]);
  const step = (module: string, op: FlowStep['op'], inputs: string[], output: string, outputShape: FlowStep['outputShape'] = ['B', 'S', H]): FlowStep => ({ module, op, inputs, output, outputShape });
  const dense: FlowStep[] = [
    step('attention_norm', 'norm', ['x'], 'n1'),
    step('attention', 'module_boundary', ['n1'], 'a_in'),
    step('attention.wq', 'linear', ['a_in'], 'q'),
    step('attention.wk', 'linear', ['a_in'], 'k'),
    step('attention.wv', 'linear', ['a_in'], 'v'),
    step('attention', 'attention_core', ['q', 'k', 'v'], 'ctx'),
    step('attention.wo', 'linear', ['ctx'], 'a_out'),
    step('', 'residual_add', ['x', 'a_out'], 'h1'),
    step('ffn_norm', 'norm', ['h1'], 'n2'),
    step('feed_forward.w1', 'linear', ['n2'], 'f1', ['B', 'S', F]),
    step('feed_forward.w2', 'linear', ['f1'], 'f2'),
    step('', 'residual_add', ['h1', 'f2'], 'y'),
  ];
  return {
    modelType: 'toy', basePrefix: '', root, params, modules, origin: 'test',
    config: { modelType: 'toy', hiddenSize: H, numLayers: 2, numHeads: 4, numKvHeads: 4, headDim: 4, intermediateSize: F, vocabSize: V, tieWordEmbeddings: true, rmsNormEps: 1e-5, dtype: 'float32', raw: {} },
    flow: {
      dense,
      head: [step('tok_embeddings', 'embedding', ['ids'], 'tok'), step('pos_embeddings', 'embedding', ['ids'], 'pos'), step('', 'residual_add', ['tok', 'pos'], 'x')],
      tail: [step('norm', 'norm', ['y'], 'yn'), step('output', 'lm_head', ['yn'], 'logits', ['B', 'S', V])],
    },
  };
}

const torch = (className: string, kwargs: Record<string, unknown> = {}): StyleRef => ({ kind: 'torch', call: { className, kwargs: kwargs as never, args: [] } });
const S1 = { kind: 'shard', dim: 1 };
const S0 = { kind: 'shard', dim: 0 };
const R = { kind: 'replicate' };
function torchPlan(sp: boolean): PlanInput {
  const e: [string, StyleRef][] = sp
    ? [
        ['tok_embeddings', torch('RowwiseParallel', { input_layouts: R, output_layouts: S1 })],
        ['pos_embeddings', torch('RowwiseParallel', { input_layouts: R, output_layouts: S0 })],
        ['norm', torch('SequenceParallel')],
        ['output', torch('ColwiseParallel', { input_layouts: S1, output_layouts: R })],
      ]
    : [
        ['tok_embeddings', torch('RowwiseParallel', { input_layouts: R, output_layouts: R })],
        ['pos_embeddings', torch('RowwiseParallel', { input_layouts: R, output_layouts: R })],
        ['output', torch('ColwiseParallel', { output_layouts: R })],
      ];
  for (let i = 0; i < 2; i++) {
    const p = `layers.${i}`;
    if (sp) {
      e.push([`${p}.attention`, torch('PrepareModuleInput', { input_layouts: [S1, null], desired_input_layouts: [R, null] })]);
      e.push([`${p}.attention_norm`, torch('SequenceParallel')], [`${p}.ffn_norm`, torch('SequenceParallel')]);
    }
    for (const w of ['wq', 'wk', 'wv']) e.push([`${p}.attention.${w}`, torch('ColwiseParallel')]);
    e.push([`${p}.attention.wo`, torch('RowwiseParallel', sp ? { output_layouts: S1 } : {})]);
    e.push([`${p}.feed_forward.w1`, torch('ColwiseParallel', sp ? { input_layouts: S1 } : {})]);
    e.push([`${p}.feed_forward.w2`, torch('RowwiseParallel', sp ? { output_layouts: S1 } : {})]);
  }
  return { scope: 'root', entries: e.map(([k, s]) => entryFromRef(k, s)) };
}

test('PyTorch’s TP transformer anchor: CommDebugMode counts, with and without SP', () => {
  const g = toyTransformer();
  const noSp = bindPlan(g, [torchPlan(false)], parseMesh('tp=4'), { run: { batch: 2, seqLen: 8, mode: 'training' } });
  assert.deepEqual(noSp.totals.forward, { all_reduce: 6, all_gather: 1 });
  assert.deepEqual(noSp.totals.backward, { all_reduce: 9 });
  const sp = bindPlan(g, [torchPlan(true)], parseMesh('tp=4'), { run: { batch: 2, seqLen: 8, mode: 'training' } });
  assert.deepEqual(sp.totals.forward, { reduce_scatter: 6, all_gather: 6 });
  assert.deepEqual(sp.totals.backward, { all_gather: 6, reduce_scatter: 5 });
  // Partial LayerNorm gradients: 5 norms × weight and bias, reduced at the optimizer step.
  assert.equal(sp.totals.optimizer.all_reduce, 10);
});

test('plan faults are found where they are', () => {
  const g = loadModel('llama-3-8b');
  const mesh = parseMesh('tp=8');
  const codes = (o: Record<string, string>) => bindPlan(g, [base(o), lmHead], mesh).findings.map((f) => f.code);
  const llama = plansOf(loadModel('llama-3-8b'))!.tp!;
  // A missing rowwise after colwise.
  const { ['layers.*.mlp.down_proj']: _d, ...noDown } = llama;
  assert.ok(codes(noDown).includes('SS301'));
  // Rowwise with nothing colwise before it.
  const { ['layers.*.self_attn.q_proj']: _q, ['layers.*.self_attn.k_proj']: _k, ['layers.*.self_attn.v_proj']: _v, ...noQkv } = llama;
  assert.ok(codes(noQkv).includes('SS302'));
  // Unknown style with the nearest name.
  const bad = bindPlan(g, [base({ ...llama, 'layers.*.mlp.up_proj': 'colwsie' })], mesh).findings.find((f) => f.code === 'SS101')!;
  assert.equal(bad.suggestion, 'colwise');
  // A pattern that matches nothing, with the nearest real path.
  const miss = bindPlan(g, [base({ ...llama, 'layers.*.mlp.experts.gate_up_proj': 'packed_colwise', 'layers.*.self_attn.qproj': 'colwise' })], mesh).findings.filter((f) => f.code === 'SS102');
  assert.ok(miss.some((f) => f.suggestion === 'layers.*.self_attn.q_proj'), JSON.stringify(miss));
  // Duplicate keys.
  const dup = bindPlan(g, [{ scope: 'base', entries: [...names(llama), ...names({ 'layers.*.mlp.up_proj': 'rowwise' })] }], mesh).findings;
  assert.ok(dup.some((f) => f.code === 'SS103'));
  // A sequence-parallel norm without the gather before attention.
  const sp = JSON.parse(readFileSync('examples/llama-3-8b/tp-sp.shardplan.json', 'utf8').replace(/^\/\/.*\n/, '')).plan as Record<string, string>;
  const { ['layers.*.self_attn']: _a, ...noGather } = sp;
  assert.ok(bindPlan(g, [base(noGather)], mesh).findings.some((f) => f.code === 'SS304'));
  // TP degree above the KV-head count.
  const q = loadModel('qwen3-30b-a3b');
  const f = bindPlan(q, autoPlanInputs(q), parseMesh('tp=8')).findings.find((x) => x.code === 'SS202');
  assert.ok(f && /crashes in the first forward/.test(f.message));
  // Experts no entry shards: replicated, with the cost.
  const mix = loadModel('mixtral-8x7b');
  const rep = bindPlan(mix, [base({ 'layers.*.self_attn.q_proj': 'colwise' })], mesh).findings.find((x) => x.code === 'SS401');
  assert.ok(rep && /84\.0 GiB of expert weights on every rank/.test(rep.message), rep?.message);
  // lm_head gathering a colwise output over a vocabulary tp does not divide.
  const odd = loadModel({ ...g.config.raw, vocab_size: 128257 });
  assert.ok(bindPlan(odd, autoPlanInputs(odd), mesh).findings.some((x) => x.code === 'SS205' && x.severity === 'error'));
  // Tied embeddings: transformers' own plan adds embed_tokens: embedding_rowwise, so no N× vocabulary logits;
  // a plan that leaves the tied embedding unsharded under a gathering lm_head gets them.
  const tied = loadModel({ ...g.config.raw, tie_word_embeddings: true });
  const auto = bindPlan(tied, autoPlanInputs(tied), mesh);
  assert.ok(!auto.findings.some((x) => x.code === 'SS312'), 'transformers adds the tied-embedding entry');
  assert.equal(auto.params.find((p) => p.name === 'model.embed_tokens.weight')?.entry?.styleText, 'embedding_rowwise');
  const own = autoPlanInputs(tied).map((p) => ({ ...p, entries: p.entries.filter((e) => e.key !== 'embed_tokens') }));
  assert.ok(bindPlan(tied, own, mesh).findings.some((x) => x.code === 'SS312'));
});

test('transformers’ own plans give no error on their real checkpoint configs', () => {
  for (const [preset, mesh] of [['llama-3-8b', 'tp=8'], ['mistral-7b', 'tp=8'], ['qwen2-7b', 'tp=4'], ['qwen3-8b', 'tp=8'], ['mixtral-8x7b', 'tp=8'], ['qwen3-30b-a3b', 'tp=4'], ['deepseek-v3', 'tp=8'], ['gpt-oss-20b', 'tp=8']]) {
    const g = loadModel(preset);
    for (const ep of [false, true]) {
      const s = bindPlan(g, autoPlanInputs(g, 'g4', ep), parseMesh(mesh));
      assert.deepEqual(s.findings.filter((f) => f.severity === 'error').map((f) => f.message), [], `${preset} ep=${ep}`);
    }
  }
});

test('memory per rank text: one figure when every rank prints the same, else consecutive ranks grouped', () => {
  assert.equal(memoryPerRankText([3 * 2 ** 30, 3 * 2 ** 30 + 5]), '3.00 GiB on every rank');
  assert.equal(memoryPerRankText([2 * 2 ** 30, 2 * 2 ** 30, 2 ** 30]), 'ranks 0-1 2.00 GiB · rank 2 1.00 GiB');
  assert.equal(memoryPerRankText([2 ** 20, 2 ** 30, 2 ** 20]), 'rank 0 1.00 MiB · rank 1 1.00 GiB · rank 2 1.00 MiB');
});
