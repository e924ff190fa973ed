// transformers' own plans (base_model_tp_plan / base_model_ep_plan and the CausalLM class plan) for the
// described architectures: checked on the presets' checkpoint configs as the catalog records the plans,
// and in transformers' own configuration files, read from the local wheel mirror: none may show an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeDocument } from '../../../extension/core/editing';
import { writeOwnPlanFiles, OWN_PLAN_PRESETS } from '../helpers/own-plans';
import { mirrorWheels, readZipTexts } from '../helpers/wheels';

const files = writeOwnPlanFiles();
const ARCHS = ['llama', 'mistral', 'qwen2', 'qwen3', 'mixtral', 'qwen3_moe', 'deepseek_v3', 'gpt_oss'];

test('every described architecture has its own plan file', () => {
  assert.deepEqual([...new Set(files.map((f) => f.modelType))].sort(), [...ARCHS].sort());
  assert.equal(OWN_PLAN_PRESETS.length, ARCHS.length);
});

for (const f of files) {
  test(`${f.preset} ${f.kind}: transformers' plan on the checkpoint config gives no error and no warning`, () => {
    const text = readFileSync(f.path, 'utf8');
    const a = analyzeDocument(f.path, text, {});
    assert.equal(a.graph?.modelType, f.modelType, `${f.path}: model from ${a.modelSource}`);
    assert.ok(a.sharded, `${f.path}: bound`);
    const bad = a.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
    // Under expert parallelism transformers applies the EP plan alone: lm_head stays unsharded, and the warning says so.
    const allowed = f.kind === 'ep' ? ['SS311'] : [];
    // DeepSeek-V3 (671B) does not fit 80 GiB per rank at tp=8: a warning, as that GPU size is only assumed.
    const assumedMemory = (d: { code: string; message: string }) => d.code === 'SS402' && f.preset === 'deepseek-v3' && /at the assumed 80 GiB per GPU/.test(d.message);
    assert.deepEqual(bad.filter((d) => !allowed.includes(d.code) && !assumedMemory(d)).map((d) => `${d.code} ${d.message}`), [], f.path);
  });
}

/** transformers 5.18.0's own configuration files, by model_type; undefined without the mirror. */
async function realConfigFiles(): Promise<{ root: string; texts: Map<string, string> } | undefined> {
  const wheel = mirrorWheels('transformers').find((w) => w.version === '5.18.0');
  if (!wheel) return undefined;
  return { root: '/mirror/transformers-5.18.0/', texts: await readZipTexts(wheel.path, (n) => /^transformers\/models\/[^/]+\/configuration_[^/]+\.py$/.test(n)) };
}
const real = realConfigFiles();
const readerOf = (r: { root: string; texts: Map<string, string> }) => (p: string) => (p.startsWith(r.root) ? r.texts.get(p.slice(r.root.length)) : undefined);

for (const arch of ARCHS) {
  test(`${arch}: transformers' configuration class with its defaults gives no error`, async () => {
    const r = await real;
    if (!r) return void console.log('skipped: no local wheel mirror (transformers 5.18.0 wheel absent)');
    const name = `transformers/models/${arch}/configuration_${arch}.py`;
    const text = r.texts.get(name)!;
    // Qwen3-MoE's defaults have 4 KV heads: transformers' TP plan works up to tp=4 there.
    const a = analyzeDocument(r.root + name, text, { readFile: readerOf(r), transformersVersion: '5.18.0', defaultMesh: arch === 'qwen3_moe' ? 'tp=4' : 'tp=8' });
    assert.equal(a.modelSource, 'this file’s config class');
    assert.equal(a.graph?.modelType, arch);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`), [], name);
    const pp = a.doc.plans.find((p) => p.kind === 'pp');
    assert.ok(pp && pp.entries.length === 0 && (pp.ppEntries?.length ?? 0) >= 3, 'the pp plan is read as inputs/outputs, never as styles');
  });
}

test('Qwen3-MoE defaults at a picked tp=8: the KV-head error fires on k_proj and v_proj, exactly', async () => {
  const r = await real;
  if (!r) return void console.log('skipped: no local wheel mirror (transformers 5.18.0 wheel absent)');
  const name = 'transformers/models/qwen3_moe/configuration_qwen3_moe.py';
  const text = r.texts.get(name)!;
  const errs = analyzeDocument(r.root + name, text, { readFile: readerOf(r), transformersVersion: '5.18.0', defaultMesh: 'tp=8', meshChosen: true }).diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errs.map((d) => [d.code, text.slice(d.range.start, d.range.end)]), [['SS202', '"layers.*.self_attn.k_proj"'], ['SS202', '"layers.*.self_attn.v_proj"']]);
  assert.match(errs[0].message, /4 key\/value heads are not divisible by tp=8/);
});

test('gpt-oss: the same EP plan without expert_parallel is never applied (SS109), and the fix turns it on', () => {
  const path = files.find((f) => f.modelType === 'gpt_oss' && f.kind === 'ep')!.path;
  const text = readFileSync(path, 'utf8').replace(/\n  "expert_parallel": \[\n    "tp"\n  \],/, '');
  assert.ok(!text.includes('expert_parallel'));
  const ctx = {};
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
