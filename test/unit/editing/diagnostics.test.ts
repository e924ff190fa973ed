// Each diagnostic fires on the exact key or value it is about, and stays quiet on the plan that is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeDocument, CODES } from '../../../extension/core/editing';
import type { Diagnostic, QuickFix } from '../../../extension/core/plan';
import type { EditingContext } from '../../../extension/core/editing';

const LLAMA: Record<string, string> = {
  'layers.*.self_attn.q_proj': 'colwise',
  'layers.*.self_attn.k_proj': 'colwise',
  'layers.*.self_attn.v_proj': 'colwise',
  'layers.*.self_attn.o_proj': 'rowwise',
  'layers.*.mlp.gate_proj': 'colwise',
  'layers.*.mlp.up_proj': 'colwise',
  'layers.*.mlp.down_proj': 'rowwise',
  lm_head: 'colwise_gather_output',
};
const MIXTRAL = JSON.parse(readFileSync('examples/mixtral-8x7b/tp.shardplan.json', 'utf8').replace(/^\/\/.*\n/, '')).plan as Record<string, string>;
const without = (o: Record<string, string>, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const shardplan = (model: unknown, plan: Record<string, string>, extra: Record<string, unknown> = {}) => JSON.stringify({ model, mesh: { tp: 8 }, plan, ...extra }, null, 2) + '\n';
let n = 0;
const analyze = (text: string, ctx: EditingContext = {}, name = 'p.shardplan.json') => analyzeDocument(`/w/${n++}/${name}`, text, ctx).diagnostics;
/** [code, text under the range] of every diagnostic with one of these codes. */
const spans = (text: string, ds: Diagnostic[], ...codes: string[]) => ds.filter((d) => codes.includes(d.code)).map((d) => [d.code, text.slice(d.range.start, d.range.end)]);
const codesOf = (ds: Diagnostic[]) => new Set(ds.map((d) => d.code));
function applyFix(text: string, fix: QuickFix): string {
  for (const e of [...fix.edits].sort((a, b) => b.range.start - a.range.start)) text = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
  return text;
}

test('the codes table: one row per code, SSxyy numbering by family, every code the engine emits is listed', () => {
  const ids = CODES.map((c) => c.code);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(new Set(CODES.map((c) => c.slug)).size, CODES.length);
  for (const c of CODES) assert.match(c.code, /^SS[0-4]\d\d$/);
  const sources = ['extension/core/editing/analyze.ts', 'extension/core/analysis/checks.ts', 'extension/core/analysis/flow.ts', 'extension/core/analysis/match.ts', 'extension/core/analysis/params.ts', 'extension/core/plan/json.ts', 'extension/core/plan/python.ts'];
  const emitted = new Set(sources.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/code: '(SS\d{3})'/g)].map((m) => m[1])));
  assert.ok(emitted.size > 20);
  for (const c of emitted) assert.ok(ids.includes(c), `${c} is emitted but not in the table`);
});

test('SS001 syntax: located on the bad token, Python and JSON', () => {
  const json = '{"model": "llama-3-8b", "mesh": {"tp": 2}, "plan": {"lm_head": colwise}}';
  assert.deepEqual(spans(json, analyze(json), 'SS001')[0], ['SS001', 'colwise']);
  const py = 'base_model_tp_plan = {\n    "layers.*.mlp.up_proj": 42,\n}\n';
  const d = analyze(py, { model: 'llama-3-8b' }, 'configuration_a.py');
  assert.deepEqual(spans(py, d, 'SS001'), [['SS001', '42']]);
  assert.equal(codesOf(analyze(shardplan('llama-3-8b', LLAMA))).has('SS001'), false);
});

test('SS002 bad mesh, SS003 no plan, SS004 no model', () => {
  const bad = '{"model": "llama-3-8b", "mesh": {"tp": 0}, "plan": {"lm_head": "colwise_gather_output"}}';
  assert.deepEqual(spans(bad, analyze(bad), 'SS002'), [['SS002', '0']]);
  const none = '{"model": "llama-3-8b", "mesh": {"tp": 2}}';
  assert.deepEqual(spans(none, analyze(none), 'SS003'), [['SS003', '{']]);
  const missing = '{"model": "./nothing/config.json", "mesh": {"tp": 2}, "plan": {"lm_head": "colwise_gather_output"}}';
  const d = analyze(missing).find((x) => x.code === 'SS004')!;
  assert.equal(missing.slice(d.range.start, d.range.end), '"./nothing/config.json"');
  assert.match(d.message, /presets: llama-3-8b/);
  assert.deepEqual([...codesOf(analyze(shardplan('llama-3-8b', LLAMA)))], []);
});

test('SS103 duplicate key: on the first (unused) occurrence; SS107 indexed key on older matchers; SS108 a parameter key hiding its module key', () => {
  const cls = (extra: string) => `class LlamaConfig(PreTrainedConfig):\n    model_type = "llama"\n    base_model_tp_plan = {\n${Object.entries(without(LLAMA, 'lm_head')).map(([k, v]) => `        "${k}": "${v}",\n`).join('')}${extra}    }\n    num_key_value_heads: int = 8\n`;
  const dup = cls('        "layers.*.mlp.up_proj": "colwise",\n');
  const d = analyze(dup, {}, 'configuration_llama.py').filter((x) => x.code === 'SS103');
  assert.equal(d.length, 1);
  assert.equal(d[0].range.start, dup.indexOf('"layers.*.mlp.up_proj"'), 'the first one, which the second overrides');
  assert.match(d[0].message, /appears twice.*'colwise' is never used/);
  assert.equal(codesOf(analyze(cls(''), {}, 'configuration_llama.py')).has('SS103'), false);

  const indexed = cls('        "layers.0.mlp.up_proj": "colwise",\n');
  const old = analyze(indexed, { transformersVersion: '4.57.1' }, 'configuration_llama.py');
  assert.deepEqual(spans(indexed, old, 'SS107'), [['SS107', '"layers.0.mlp.up_proj"']]);
  assert.match(old.find((x) => x.code === 'SS107')!.message, /normalises names to 'layers\.\*\.mlp\.up_proj'/);
  assert.equal(codesOf(analyze(indexed, { transformersVersion: '5.2.0' }, 'configuration_llama.py')).has('SS107'), false, 'the newest matcher looks indexed keys up');

  const hides = cls('        "layers.*.mlp.up_proj.weight": "rowwise",\n');
  assert.deepEqual(spans(hides, analyze(hides, {}, 'configuration_llama.py'), 'SS108'), [['SS108', '"layers.*.mlp.up_proj.weight"']]);
  const agrees = cls('        "layers.*.mlp.up_proj.weight": "colwise",\n');
  assert.equal(codesOf(analyze(agrees, {}, 'configuration_llama.py')).has('SS108'), false);
});

test('SS104 a PyTorch layout that fits no tensor: on the style call of the entry at fault', () => {
  const py = (layout: string) => `from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module\nfrom torch.distributed.tensor import Shard\nparallelize_module(model, mesh, {\n    "model.layers.*.self_attn.q_proj": ColwiseParallel(input_layouts=${layout}),\n    "model.layers.*.self_attn.k_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.v_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.o_proj": RowwiseParallel(),\n})\n`;
  const bad = py('Shard(4)');
  const d = analyze(bad, { model: 'llama-3-8b' }, 'train.py');
  assert.deepEqual(spans(bad, d, 'SS104'), [['SS104', 'ColwiseParallel(input_layouts=Shard(4))']]);
  assert.match(d.find((x) => x.code === 'SS104')!.message, /Shard\(dim=4\) does not fit a tensor of shape \[1, 4096, 4096\]/);
  const ok = py('Replicate()');
  assert.deepEqual(analyze(ok, { model: 'llama-3-8b' }, 'train.py').filter((x) => x.severity === 'error'), []);
});

test('SS201/SS202 heads and KV heads, SS203 uneven dims: tp=3 on Llama-3-8B; tp=16 only the KV heads; tp=8 nothing', () => {
  const t = (tp: number) => JSON.stringify({ model: 'llama-3-8b', mesh: { tp }, plan: LLAMA }, null, 2);
  const d3 = analyze(t(3));
  assert.deepEqual(spans(t(3), d3, 'SS201', 'SS202'), [['SS201', '"layers.*.self_attn.q_proj"'], ['SS202', '"layers.*.self_attn.k_proj"'], ['SS202', '"layers.*.self_attn.v_proj"']]);
  assert.match(d3.find((x) => x.code === 'SS201')!.message, /32 attention heads are not divisible by tp=3/);
  const uneven = d3.filter((x) => x.code === 'SS203');
  assert.ok(uneven.some((x) => /14336\) is not divisible by 3.*\[4779, 4779, 4778\]/.test(x.message)), uneven.map((x) => x.message).join('\n'));
  const d16 = analyze(t(16));
  assert.deepEqual(spans(t(16), d16, 'SS201', 'SS202'), [['SS202', '"layers.*.self_attn.k_proj"'], ['SS202', '"layers.*.self_attn.v_proj"']]);
  assert.match(d16[0].message, /8 key\/value heads are not divisible by tp=16: a TP degree above the KV-head count loads, then crashes in the first forward/);
  assert.deepEqual([...codesOf(analyze(t(8)))], []);
});

test('SS204 experts not divisible by the expert-parallel size; SS109 an ep_plan nothing applies', () => {
  const ep = { 'layers.*.mlp.gate': 'ep_router', 'layers.*.mlp.experts.gate_up_proj': 'grouped_gemm', 'layers.*.mlp.experts.down_proj': 'grouped_gemm', 'layers.*.mlp.experts': 'moe_tp_experts' };
  const t = (tp: number) => JSON.stringify({ model: 'mixtral-8x7b', mesh: { tp }, expert_parallel: ['tp'], plan: { lm_head: 'colwise_gather_output' }, ep_plan: ep }, null, 2);
  const d = analyze(t(16));
  assert.deepEqual(spans(t(16), d, 'SS204'), [['SS204', '"layers.*.mlp.experts.gate_up_proj"'], ['SS204', '"layers.*.mlp.experts.down_proj"']]);
  assert.match(d.find((x) => x.code === 'SS204')!.message, /8 experts are not divisible by the expert-parallel size 16/);
  assert.equal(codesOf(analyze(t(8))).has('SS204'), false);
  assert.deepEqual(analyze(t(8)).filter((x) => x.severity !== 'info'), []);
  const off = t(8).replace(/\n  "expert_parallel": \[\n    "tp"\n  \],/, '');
  const u = analyze(off);
  assert.deepEqual(spans(off, u, 'SS109'), [['SS109', '"ep_plan"']]);
  assert.deepEqual(JSON.parse(applyFix(off, u.find((x) => x.code === 'SS109')!.fixes![0])).expert_parallel, ['tp']);
});

test('SS205 vocabulary not divisible: the embedding shards unevenly (warning), a gathered lm_head refuses to load (error)', () => {
  const model = { model_type: 'llama', vocab_size: 128257, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8 };
  const t = shardplan(model, { ...LLAMA, embed_tokens: 'embedding_rowwise' });
  const d = analyze(t);
  assert.deepEqual(d.filter((x) => x.code === 'SS205').map((x) => [x.severity, t.slice(x.range.start, x.range.end)]), [['warning', '"embed_tokens"'], ['error', '"lm_head"']]);
  assert.match(d.find((x) => x.severity === 'error')!.message, /lm_head \(128257\) must be divisible by the tensor parallel size \(8\)/);
  assert.equal(codesOf(analyze(shardplan({ ...model, vocab_size: 128256 }, { ...LLAMA, embed_tokens: 'embedding_rowwise' }))).has('SS205'), false);
});

test('SS302 rowwise fed a replicated input: on the key, with rowwise_split_input as the fix', () => {
  const t = shardplan('llama-3-8b', without(LLAMA, 'layers.*.self_attn.q_proj', 'layers.*.self_attn.k_proj', 'layers.*.self_attn.v_proj'));
  const d = analyze(t);
  assert.deepEqual(spans(t, d, 'SS302'), [['SS302', '"layers.*.self_attn.o_proj"']]);
  const fixed = applyFix(t, d.find((x) => x.code === 'SS302')!.fixes![0]);
  assert.equal(JSON.parse(fixed).plan['layers.*.self_attn.o_proj'], 'rowwise_split_input');
  assert.equal(codesOf(analyze(fixed)).has('SS302'), false);
});

test('SS306/SS310 sharded experts nothing combines: on the experts entries, the fix adds moe_tp_experts', () => {
  const t = shardplan('mixtral-8x7b', without(MIXTRAL, 'layers.*.mlp.experts'));
  const d = analyze(t);
  assert.deepEqual(spans(t, d, 'SS310'), [['SS310', '"layers.*.mlp.experts.gate_up_proj"']]);
  assert.ok(d.some((x) => x.code === 'SS306'), 'the partial sum reaches the residual');
  const fixed = applyFix(t, d.find((x) => x.code === 'SS310')!.fixes![0]);
  assert.equal(JSON.parse(fixed).plan['layers.*.mlp.experts'], 'moe_tp_experts');
  assert.deepEqual(analyze(fixed).filter((x) => x.severity === 'error'), []);
});

test('SS307/SS309 an embedding split on the hidden dim reaches the norms and the residual; SS308 q sharded, k/v not', () => {
  const t = shardplan('llama-3-8b', { ...LLAMA, embed_tokens: 'colwise' });
  const d = analyze(t);
  assert.ok(d.some((x) => x.code === 'SS307' && /input_layernorm normalises over the hidden dim, but its input is sharded on that dim/.test(x.message)));
  assert.ok(d.some((x) => x.code === 'SS309'));
  assert.equal(codesOf(analyze(shardplan('llama-3-8b', { ...LLAMA, embed_tokens: 'embedding_rowwise' }))).has('SS307'), false);
  const q = shardplan('llama-3-8b', without(LLAMA, 'layers.*.self_attn.k_proj', 'layers.*.self_attn.v_proj'));
  const dq = analyze(q);
  assert.deepEqual(spans(q, dq, 'SS308'), [['SS308', '"layers.*.self_attn.q_proj"']]);
  assert.match(dq.find((x) => x.code === 'SS308')!.message, /queries are sharded on the last dim but keys\/values are replicated/);
});

test('SS312 lm_head gathering N× the vocabulary when tied to an unsharded embedding; not once the embedding is sharded', () => {
  const model = { model_type: 'qwen3', vocab_size: 151936, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, tie_word_embeddings: true };
  const plan = { ...LLAMA, 'layers.*.self_attn.q_norm': 'replicated_with_grad_allreduce', 'layers.*.self_attn.k_norm': 'replicated_with_grad_allreduce' };
  const t = shardplan(model, plan);
  const d = analyze(t);
  assert.deepEqual(spans(t, d, 'SS312'), [['SS312', '"lm_head"']]);
  assert.match(d.find((x) => x.code === 'SS312')!.message, /all 151936 logits and the all-gather returns 8× the vocabulary/);
  assert.deepEqual(analyze(shardplan(model, { ...plan, embed_tokens: 'embedding_rowwise' })).filter((x) => x.severity === 'error'), []);
});

test('SS311 lm_head with no entry sits on the plan name; SS401 replicated experts sit on the plan name too', () => {
  const t = shardplan('mixtral-8x7b', without(MIXTRAL, 'lm_head'));
  assert.deepEqual(spans(t, analyze(t), 'SS311'), [['SS311', '"plan"']]);
  const py = `base_model_tp_plan = {\n    "layers.*.self_attn.q_proj": "colwise",\n    "layers.*.self_attn.k_proj": "colwise",\n    "layers.*.self_attn.v_proj": "colwise",\n    "layers.*.self_attn.o_proj": "rowwise",\n}\n`;
  const d = analyze(py, { model: 'mixtral-8x7b' }, 'configuration_mixtral.py');
  assert.deepEqual(spans(py, d, 'SS401'), [['SS401', 'base_model_tp_plan']]);
  assert.equal(codesOf(d).has('SS311'), false, "a base plan gets the CausalLM class plan's lm_head");
});

test('SS305 a norm that takes a sequence-sharded input the embedding never scattered; SS103 in JSON too', () => {
  const sp = JSON.parse(readFileSync('examples/llama-3-8b/tp-sp.shardplan.json', 'utf8').replace(/^\/\/.*\n/, ''));
  const t = JSON.stringify({ ...sp, model: 'llama-3-8b', plan: { ...sp.plan, embed_tokens: 'vocab_allreduce' } }, null, 2);
  const d = analyze(t);
  assert.deepEqual(spans(t, d, 'SS305')[0], ['SS305', '"layers.*.input_layernorm"']);
  assert.match(d.find((x) => x.code === 'SS305')!.message, /takes its input as sequence-sharded, but the activation is replicated/);
  assert.equal(codesOf(analyze(JSON.stringify({ ...sp, model: 'llama-3-8b' }, null, 2))).has('SS305'), false);
  const dup = '{"model": "llama-3-8b", "mesh": {"tp": 2}, "plan": {"lm_head": "colwise_gather_output", "lm_head": "colwise"}}';
  assert.deepEqual(spans(dup, analyze(dup), 'SS103'), [['SS103', '"lm_head"']]);
  assert.equal(analyze(dup).find((x) => x.code === 'SS103')!.range.start, dup.indexOf('"lm_head"'));
});
