import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeDocument, complete, hover, codeLenses, CODES } from '../../../extension/core/editing';
import type { Diagnostic, QuickFix } from '../../../extension/core/plan';

const ctx = { readFile: (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } } };

function applyFix(text: string, fix: QuickFix): string {
  const edits = [...fix.edits].sort((a, b) => b.range.start - a.range.start);
  for (const e of edits) text = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
  return text;
}
const at = (text: string, d: Diagnostic) => text.slice(d.range.start, d.range.end);

const shardplan = (plan: Record<string, string>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'mixtral-8x7b', mesh: { tp: 8 }, plan, ...extra }, null, 2) + '\n';
const MIXTRAL = JSON.parse(readFileSync('examples/mixtral-8x7b/tp.shardplan.json', 'utf8').replace(/^\/\/.*\n/, '')).plan as Record<string, string>;

test('every example and its Python files: no errors', () => {
  for (const f of ['examples/llama-3-8b/tp.shardplan.json', 'examples/llama-3-8b/tp-sp.shardplan.json', 'examples/mixtral-8x7b/tp.shardplan.json', 'examples/mixtral-8x7b/ep.shardplan.json', 'examples/qwen3-30b-a3b/tp.shardplan.json', 'examples/deepseek-v3/ep.shardplan.json', 'examples/llama-3-8b/configuration_llama.py', 'examples/mixtral-8x7b/train_tp.py']) {
    const a = analyzeDocument(f, readFileSync(f, 'utf8'), ctx);
    assert.ok(a.graph, `${f}: a model (${a.modelSource})`);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], f);
  }
});

test('unknown style: on the value, with the nearest name as a quick fix', () => {
  const text = shardplan({ ...MIXTRAL, 'layers.*.self_attn.q_proj': 'colwsie' });
  const d = analyzeDocument('/w/a.shardplan.json', text).diagnostics.find((x) => x.code === 'SS101')!;
  assert.equal(at(text, d), '"colwsie"');
  assert.match(d.message, /did you mean 'colwise'/);
  const fixed = applyFix(text, d.fixes![0]);
  assert.ok(fixed.includes('"layers.*.self_attn.q_proj": "colwise"'));
  assert.equal(analyzeDocument('/w/a.shardplan.json', fixed).diagnostics.filter((x) => x.severity === 'error').length, 0);
  // A name of another generation says where it is valid.
  const g3 = shardplan({ ...MIXTRAL, 'layers.*.self_attn.o_proj': 'rowwise_allreduce', 'layers.*.mlp.experts': 'moe_tp_experts' });
  const py = `base_model_tp_plan = {\n    "layers.*.self_attn.o_proj": "rowwise_allreduce",\n}\n`;
  const d2 = analyzeDocument('/w/configuration_x.py', py, { model: 'llama-3-8b', transformersVersion: '5.18.0' }).diagnostics.find((x) => x.code === 'SS101')!;
  assert.match(d2.message, /valid in transformers TPStyle era/);
  assert.equal(at(py, d2), '"rowwise_allreduce"');
  assert.equal(applyFix(py, d2.fixes![0]).includes('"rowwise"'), true);
  void g3;
});

test('fused gate_up_proj with plain colwise: error with packed_colwise as the fix; not with packed_colwise', () => {
  const text = shardplan({ ...MIXTRAL, 'layers.*.mlp.experts.gate_up_proj': 'colwise' });
  const d = analyzeDocument('/w/b.shardplan.json', text).diagnostics.find((x) => x.code === 'SS105')!;
  assert.equal(at(text, d), '"colwise"');
  assert.equal(applyFix(text, d.fixes![0]).includes('"layers.*.mlp.experts.gate_up_proj": "packed_colwise"'), true);
  assert.equal(analyzeDocument('/w/b2.shardplan.json', shardplan(MIXTRAL)).diagnostics.some((x) => x.code === 'SS105'), false);
});

test('a pattern that matches nothing: the nearest real path (after the fused-experts rename)', () => {
  const text = shardplan({ ...MIXTRAL, 'layers.*.block_sparse_moe.experts.*.w1': 'colwise' });
  const d = analyzeDocument('/w/c.shardplan.json', text).diagnostics.find((x) => x.code === 'SS102')!;
  assert.equal(at(text, d), '"layers.*.block_sparse_moe.experts.*.w1"');
  assert.match(d.message, /nearest real path is 'layers\.\*\.mlp\.experts/);
});

test('experts no entry shards: the GiB per rank, and the fix adds the expert entries', () => {
  const { ['layers.*.mlp.experts.gate_up_proj']: _a, ['layers.*.mlp.experts.down_proj']: _b, ['layers.*.mlp.experts']: _c, ...rest } = MIXTRAL;
  const text = shardplan(rest);
  const a = analyzeDocument('/w/d.shardplan.json', text);
  const d = a.diagnostics.find((x) => x.code === 'SS401')!;
  assert.match(d.message, /84\.0 GiB of expert weights on every rank/);
  const fixed = applyFix(text, d.fixes![0]);
  const b = analyzeDocument('/w/d.shardplan.json', fixed);
  assert.deepEqual(b.diagnostics.map((x) => x.code), []);
  assert.ok(JSON.parse(fixed).plan['layers.*.mlp.experts.gate_up_proj'] === 'packed_colwise');
});

test('KV heads, lm_head and missing rowwise', () => {
  const q = JSON.stringify({ model: 'qwen3-30b-a3b', mesh: { tp: 8 }, plan: JSON.parse(readFileSync('examples/qwen3-30b-a3b/tp.shardplan.json', 'utf8').replace(/^\/\/.*\n/, '')).plan }, null, 2);
  const kv = analyzeDocument('/w/q.shardplan.json', q).diagnostics.filter((x) => x.code === 'SS202');
  assert.equal(kv.length, 2);
  assert.equal(at(q, kv[0]), '"layers.*.self_attn.k_proj"');
  assert.equal(analyzeDocument('/w/q4.shardplan.json', q.replace('"tp": 8', '"tp": 4')).diagnostics.filter((x) => x.code === 'SS202').length, 0);
  const { lm_head: _l, ...noHead } = MIXTRAL;
  const t = shardplan(noHead);
  const d = analyzeDocument('/w/e.shardplan.json', t).diagnostics.find((x) => x.code === 'SS311')!;
  assert.ok(JSON.parse(applyFix(t, d.fixes![0])).plan.lm_head === 'colwise_gather_output');
  const { ['layers.*.self_attn.o_proj']: _o, ...noO } = MIXTRAL;
  const t2 = shardplan(noO);
  const d2 = analyzeDocument('/w/f.shardplan.json', t2).diagnostics.find((x) => x.code === 'SS301')!;
  assert.ok(d2, 'the colwise q/k/v output is never reduced');
  const fixed = JSON.parse(applyFix(t2, d2.fixes![0])).plan;
  assert.equal(fixed['layers.*.self_attn.o_proj'], 'rowwise');
});

test('sequence parallel: a norm without its gather, uneven sequence, and SP on transformers 5.x', () => {
  const sp = JSON.parse(readFileSync('examples/llama-3-8b/tp-sp.shardplan.json', 'utf8').replace(/^\/\/.*\n/, ''));
  const { ['layers.*.mlp']: _m, ...noGather } = sp.plan;
  const t = JSON.stringify({ ...sp, model: 'llama-3-8b', plan: noGather }, null, 2);
  assert.ok(analyzeDocument('/w/g.shardplan.json', t).diagnostics.some((x) => x.code === 'SS304'));
  const t2 = JSON.stringify({ ...sp, model: 'llama-3-8b', run: { seq_len: 4097 } }, null, 2);
  assert.ok(analyzeDocument('/w/h.shardplan.json', t2).diagnostics.some((x) => x.code === 'SS303'));
  const py = 'base_model_tp_plan = {\n    "layers.*.input_layernorm": "sequence_parallel",\n}\n';
  const d = analyzeDocument('/w/configuration_y.py', py, { model: 'llama-3-8b' }).diagnostics.find((x) => x.code === 'SS106');
  assert.ok(d && at(py, d) === '"sequence_parallel"');
});

test('memory above the GPU', () => {
  const t = shardplan(MIXTRAL, { run: { gpu_memory_gib: 8 } });
  const d = analyzeDocument('/w/i.shardplan.json', t).diagnostics.find((x) => x.code === 'SS402');
  assert.ok(d && /but the GPU has 8\.00 GiB/.test(d.message));
  assert.equal(analyzeDocument('/w/j.shardplan.json', shardplan(MIXTRAL, { run: { gpu_memory_gib: 80 } })).diagnostics.some((x) => x.code === 'SS402'), false);
});

test('completion: style names with docs, module patterns segment by segment, shardplan keys', () => {
  const text = '{\n  "model": "mixtral-8x7b",\n  "mesh": {"tp": 8},\n  "plan": {\n    "layers.*.mlp.experts.gate_up_proj": "pac",\n    "layers.*.mlp.ex": "colwise"\n  }\n}\n';
  const a = analyzeDocument('/w/k.shardplan.json', text);
  const styles = complete(a, text.indexOf('"pac"') + 4);
  const packed = styles.find((s) => s.label === 'packed_colwise')!;
  assert.match(packed.documentation!, /_StridedShard/);
  assert.deepEqual(packed.range, { start: text.indexOf('"pac"') + 1, end: text.indexOf('"pac"') + 4 });
  assert.ok(!styles.some((s) => s.label === 'rowwise_allreduce'), 'only the generation in use');
  const mods = complete(a, text.indexOf('"layers.*.mlp.ex"') + '"layers.*.mlp.ex'.length).map((c) => c.label);
  assert.ok(mods.includes('experts') && mods.includes('experts.') && mods.includes('gate'), mods.join());
  const first = complete(a, text.indexOf('"layers.*.mlp.ex"') + 1).map((c) => c.label);
  assert.ok(first.includes('layers.*.') && first.includes('embed_tokens') && first.includes('norm'), first.join());
  const top = '{\n  "mo\n}';
  assert.ok(complete(analyzeDocument('/w/l.shardplan.json', top), 5).some((c) => c.label === 'model'));
  const mesh = '{"model": "llama-3-8b", "mesh": {"t": 2}}';
  assert.ok(complete(analyzeDocument('/w/m.shardplan.json', mesh), mesh.indexOf('"t"') + 2).some((c) => c.label === 'tp'));
  const py = 'base_model_tp_plan = {\n    "layers.*.self_attn.q_proj": "col",\n}\n';
  assert.ok(complete(analyzeDocument('/w/configuration_z.py', py, { model: 'llama-3-8b' }), py.indexOf('"col"') + 4).some((c) => c.label === 'colwise'));
});

test('hover: style semantics; pattern shapes, bytes and collectives', () => {
  const f = 'examples/mixtral-8x7b/tp.shardplan.json';
  const text = readFileSync(f, 'utf8');
  const a = analyzeDocument(f, text, ctx);
  const onKey = hover(a, text.indexOf('"layers.*.mlp.experts.gate_up_proj"') + 5)!;
  assert.match(onKey.markdown, /Matches 32 modules on tp=8/);
  assert.match(onKey.markdown, /\[8, 28672, 4096\] _StridedShard\(dim=1, sf=2\) → rank 0 \[8, 3584, 4096\]; the same on every rank/);
  const moe = hover(a, text.indexOf('"layers.*.mlp.experts"') + 5)!;
  assert.match(moe.markdown, /32× forward all_reduce \(1\.00 GiB\)/);
  const onValue = hover(a, text.indexOf('"packed_colwise"') + 3)!;
  assert.match(onValue.markdown, /\*\*packed_colwise\*\*/);
  assert.match(onValue.markdown, /\[transformers tensor parallelism\]\(https:\/\/huggingface.co\/docs\/transformers\//);
});

test('CodeLens above each plan; codes table is complete', () => {
  const f = 'examples/llama-3-8b/configuration_llama.py';
  const text = readFileSync(f, 'utf8');
  const lenses = codeLenses(analyzeDocument(f, text, ctx));
  assert.deepEqual(lenses.map((l) => l.command), ['shardscope.showShapes', 'shardscope.showCollectives', 'shardscope.rehearse']);
  assert.equal(text[lenses[0].range.start], '{');
  assert.match(lenses[0].title, /Shapes: 225 sharded params/);
  const codes = new Set(CODES.map((c) => c.code));
  for (const c of ['SS101', 'SS102', 'SS103', 'SS105', 'SS201', 'SS202', 'SS301', 'SS304', 'SS311', 'SS312', 'SS401', 'SS402']) assert.ok(codes.has(c), c);
});

test('keys that can never be used: indexed keys on older matchers, parameter keys hiding module keys', () => {
  const py = 'base_model_tp_plan = {\n    "layers.*.mlp.gate_proj": "colwise",\n    "layers.3.mlp.up_proj": "colwise",\n}\n';
  const g2 = analyzeDocument('/w/configuration_a.py', py, { model: 'llama-3-8b', generation: 'g2' }).diagnostics.find((x) => x.code === 'SS107')!;
  assert.equal(at(py, g2), '"layers.3.mlp.up_proj"');
  assert.equal(analyzeDocument('/w/configuration_b.py', py, { model: 'llama-3-8b', generation: 'g4' }).diagnostics.some((x) => x.code === 'SS107'), false);
  const hide = shardplan({ ...MIXTRAL, 'layers.*.self_attn.q_proj.weight': 'rowwise' });
  const d = analyzeDocument('/w/n.shardplan.json', hide).diagnostics.find((x) => x.code === 'SS108')!;
  assert.equal(at(hide, d), '"layers.*.self_attn.q_proj.weight"');
});

test('config values from a 4.x __init__, and from_pretrained("./") resolved to the folder', () => {
  const py = 'class MyConfig(PretrainedConfig):\n    model_type = "llama"\n    base_model_tp_plan = {"layers.*.self_attn.k_proj": "colwise"}\n    def __init__(self, num_key_value_heads=4, num_attention_heads=32, **kw):\n        super().__init__(**kw)\n';
  const a = analyzeDocument('/w/configuration_c.py', py, { defaultMesh: 'tp=8' });
  assert.equal(a.graph?.config.numKvHeads, 4);
  assert.ok(a.diagnostics.some((x) => x.code === 'SS202'), 'tp=8 over 4 KV heads');
  const train = analyzeDocument('examples/mixtral-8x7b/train_tp.py', readFileSync('examples/mixtral-8x7b/train_tp.py', 'utf8'), ctx);
  assert.equal(train.graph?.modelType, 'mixtral');
  assert.ok(train.sharded!.params.find((p) => p.name === 'model.layers.0.mlp.experts.gate_up_proj')!.placements.length === 1, 'tp_plan="auto" applies the built-in plan');
});
