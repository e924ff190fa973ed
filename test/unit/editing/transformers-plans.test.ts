// transformers' own plans (base_model_tp_plan / base_model_ep_plan and the CausalLM class plan) for the
// architectures Shardscope models, checked against their real checkpoint configs and against the
// configuration classes' own defaults: none of them may show an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../extension/core/editing';

const ROOT = 'test/fixtures/editing/transformers';
const ctx = { readFile: (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } } };
const ARCHS = ['llama', 'mistral', 'qwen2', 'qwen3', 'mixtral', 'qwen3_moe', 'deepseek_v3', 'gpt_oss'];

test('fixtures hold every architecture', () => {
  assert.deepEqual(readdirSync(ROOT).sort(), [...ARCHS].sort());
});

for (const arch of ARCHS) {
  test(`${arch}: transformers' plans on the checkpoint config give no error and no warning`, () => {
    const files = readdirSync(join(ROOT, arch)).filter((f) => f.endsWith('.shardplan.json'));
    assert.ok(files.length >= 1);
    for (const f of files) {
      const path = join(ROOT, arch, f);
      const text = readFileSync(path, 'utf8');
      const a = analyzeDocument(path, text, ctx);
      assert.equal(a.graph?.modelType, arch, `${path}: model from ${a.modelSource}`);
      assert.ok(a.sharded, `${path}: bound`);
      const bad = a.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
      // An EP-only plan leaves lm_head to the CausalLM class plan of TP mode: the warning says so, and is the only one.
      const allowed = f.startsWith('ep') ? ['SS311'] : [];
      assert.deepEqual(bad.filter((d) => !allowed.includes(d.code)).map((d) => `${d.code} ${d.message}`), [], path);
    }
  });

  test(`${arch}: the configuration class with its defaults gives no error`, () => {
    const path = join(ROOT, arch, `configuration_${arch}.py`);
    const text = readFileSync(path, 'utf8');
    // Qwen3-MoE's defaults have 4 KV heads: transformers' TP plan works up to tp=4 there.
    const a = analyzeDocument(path, text, { ...ctx, defaultMesh: arch === 'qwen3_moe' ? 'tp=4' : 'tp=8' });
    assert.equal(a.modelSource, 'this file’s config class');
    assert.equal(a.graph?.modelType, arch);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`), [], path);
    const pp = a.doc.plans.find((p) => p.kind === 'pp');
    assert.ok(pp && pp.entries.length === 0 && (pp.ppEntries?.length ?? 0) >= 3, 'the pp plan is read as inputs/outputs, never as styles');
  });
}

test('Qwen3-MoE defaults at tp=8: the KV-head error fires on k_proj and v_proj, exactly', () => {
  const path = join(ROOT, 'qwen3_moe', 'configuration_qwen3_moe.py');
  const text = readFileSync(path, 'utf8');
  const errs = analyzeDocument(path, text, { ...ctx, defaultMesh: 'tp=8' }).diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errs.map((d) => [d.code, text.slice(d.range.start, d.range.end)]), [['SS202', '"layers.*.self_attn.k_proj"'], ['SS202', '"layers.*.self_attn.v_proj"']]);
  assert.match(errs[0].message, /4 key\/value heads are not divisible by tp=8/);
});

test('gpt-oss: the same EP plan without expert_parallel is never applied (SS109), and the fix turns it on', () => {
  const path = join(ROOT, 'gpt_oss', 'ep.shardplan.json');
  const text = readFileSync(path, 'utf8').replace(/\n  "expert_parallel": \[\n    "tp"\n  \],/, '');
  assert.ok(!text.includes('expert_parallel'));
  const a = analyzeDocument(path, text, ctx);
  const d = a.diagnostics.find((x) => x.code === 'SS109')!;
  assert.equal(text.slice(d.range.start, d.range.end), '"ep_plan"');
  assert.ok(a.diagnostics.some((x) => x.code === 'SS401'), 'the experts are replicated then');
  const e = d.fixes![0].edits[0];
  const fixed = text.slice(0, e.range.start) + e.newText + text.slice(e.range.end);
  assert.ok(fixed.includes('  "expert_parallel": ["tp"],\n  "ep_plan": {'));
  const b = analyzeDocument(path, fixed, ctx);
  assert.deepEqual(b.diagnostics.filter((x) => ['SS109', 'SS401'].includes(x.code)), []);
});
