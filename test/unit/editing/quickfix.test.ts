// Quick fixes applied to the text give the plan that is right, in Python and in JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument, quickFixes, applyFix } from '../../../extension/core/editing';

const MIXTRAL_PY = (entries: string) => `class MixtralConfig(PreTrainedConfig):
    model_type = "mixtral"
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "colwise",
        "layers.*.self_attn.k_proj": "colwise",
        "layers.*.self_attn.v_proj": "colwise",
        "layers.*.self_attn.o_proj": "rowwise",
${entries}    }
`;
let n = 0;
const analyze = (text: string, name = 'configuration_mixtral.py') => analyzeDocument(`/fix/${n++}/${name}`, text, { defaultMesh: 'tp=8' });

test("nearest pattern: Mixtral's checkpoint names of the experts become the fused parameter", () => {
  const text = MIXTRAL_PY(`        'layers.*.block_sparse_moe.experts.*.w1': 'colwise',\n`);
  const a = analyze(text);
  const at = text.indexOf("'layers.*.block_sparse_moe") + 3;
  const fixes = quickFixes(a, { start: at, end: at });
  assert.equal(fixes[0].code, 'SS102');
  assert.equal(fixes[0].title, "Change to 'layers.*.mlp.experts.gate_up_proj'");
  assert.match(a.diagnostics.find((d) => d.code === 'SS102')!.message, /nearest real path is 'layers\.\*\.mlp\.experts\.gate_up_proj'/);
  const fixed = applyFix(text, fixes[0]);
  assert.ok(fixed.includes(`        'layers.*.mlp.experts.gate_up_proj': 'colwise',\n`), 'the quote style is kept');
  // The renamed key is fused: plain colwise there is the next thing to fix, and its fix is packed_colwise.
  const b = analyze(fixed);
  const packed = b.diagnostics.find((d) => d.code === 'SS105')!;
  assert.equal(fixed.slice(packed.range.start, packed.range.end), "'colwise'");
  assert.ok(applyFix(fixed, packed.fixes![0]).includes(`'layers.*.mlp.experts.gate_up_proj': 'packed_colwise',`));
  const w2 = MIXTRAL_PY(`        "layers.*.block_sparse_moe.experts.*.w2": "rowwise",\n`);
  assert.equal(quickFixes(analyze(w2), { start: 0, end: w2.length }).find((f) => f.code === 'SS102')?.title, "Change to 'layers.*.mlp.experts.down_proj'");
});

test('nearest style: the typo becomes the name of the generation in use', () => {
  const text = MIXTRAL_PY(`        "layers.*.mlp.experts.gate_up_proj": "packed_colwsie",\n        "layers.*.mlp.experts.down_proj": "rowwise",\n        "layers.*.mlp.experts": "moe_tp_experts",\n`);
  const a = analyze(text);
  const d = a.diagnostics.find((x) => x.code === 'SS101')!;
  assert.equal(text.slice(d.range.start, d.range.end), '"packed_colwsie"');
  const fixes = quickFixes(a, { start: d.range.start + 2, end: d.range.start + 2 });
  assert.equal(fixes.length, 1);
  const fixed = applyFix(text, fixes[0]);
  assert.equal(fixed, text.replace('packed_colwsie', 'packed_colwise'));
  assert.deepEqual(analyze(fixed).diagnostics.filter((x) => x.severity !== 'info'), []);
});

test('add the missing experts entries: Python keeps a trailing comma, the result has no warning left', () => {
  const text = MIXTRAL_PY('');
  const a = analyze(text);
  const d = a.diagnostics.find((x) => x.code === 'SS401')!;
  assert.equal(text.slice(d.range.start, d.range.end), 'base_model_tp_plan');
  const fixed = applyFix(text, quickFixes(a, d.range)[0]);
  assert.equal(fixed, MIXTRAL_PY(`        "layers.*.mlp.experts.gate_up_proj": "packed_colwise",\n        "layers.*.mlp.experts.down_proj": "rowwise",\n        "layers.*.mlp.experts": "moe_tp_experts",\n`));
  assert.deepEqual(analyze(fixed).diagnostics.filter((x) => x.severity !== 'info'), []);
});

test('add the missing lm_head entry to a JSON plan on one line and to a multi-line one', () => {
  const one = '{"model": "llama-3-8b", "mesh": {"tp": 2}, "plan": {"layers.*.self_attn.q_proj": "colwise", "layers.*.self_attn.k_proj": "colwise", "layers.*.self_attn.v_proj": "colwise", "layers.*.self_attn.o_proj": "rowwise"}}';
  const a = analyze(one, 'x.shardplan.json');
  const d = a.diagnostics.find((x) => x.code === 'SS311')!;
  const fixed = applyFix(one, quickFixes(a, d.range)[0]);
  assert.equal(fixed, one.replace('"rowwise"}}', '"rowwise", "lm_head": "colwise_gather_output"}}'));
  const multi = JSON.stringify(JSON.parse(one), null, 2);
  const b = analyze(multi, 'y.shardplan.json');
  const fixedMulti = applyFix(multi, quickFixes(b, b.diagnostics.find((x) => x.code === 'SS311')!.range)[0]);
  assert.equal(fixedMulti, JSON.stringify({ ...JSON.parse(one), plan: { ...JSON.parse(one).plan, lm_head: 'colwise_gather_output' } }, null, 2));
});

test('quickFixes: nothing away from a diagnostic; the preferred fix first', () => {
  const text = MIXTRAL_PY(`        "layers.*.mlp.experts.gate_up_proj": "packed_colwise",\n        "layers.*.mlp.experts.down_proj": "rowwise",\n        "layers.*.mlp.experts": "moe_tp_experts",\n`);
  const a = analyze(text);
  assert.deepEqual(quickFixes(a, { start: 0, end: 10 }), []);
  assert.deepEqual(quickFixes(a, { start: text.indexOf('"colwise"'), end: text.indexOf('"colwise"') }), []);
});
