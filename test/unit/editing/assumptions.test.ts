// Findings that rest on a mesh or GPU size nobody chose are warnings that name the assumption and offer
// the pick; named in the plan, the settings, a pick or the command line, they are errors. Checked on the
// unmodified configuration files of the transformers 5.18 wheel in the local mirror.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasWheelMirror, mirrorWheels, readZipTexts } from '../helpers/wheels';
import { analyzeDocument, type EditingContext } from '../../../extension/core/editing';

async function upstream(model: string): Promise<{ uri: string; text: string; readFile: (p: string) => string | undefined } | undefined> {
  if (!hasWheelMirror()) return undefined;
  const w = mirrorWheels('transformers').find((x) => x.version === '5.18.0');
  if (!w) return undefined;
  const name = `transformers/models/${model}/configuration_${model}.py`;
  const texts = await readZipTexts(w.path, (n) => n === name);
  const root = `/mirror/transformers-${w.version}/`;
  return { uri: root + name, text: texts.get(name)!, readFile: (p) => (p.startsWith(root) ? texts.get(p.slice(root.length)) : undefined) };
}

const ctx = (extra: EditingContext) => ({ transformersVersion: '5.18.0', ...extra });

test('qwen3_moe at the default tp=8: SS202 is a warning naming the assumed mesh, with the pick as its fix', async (t) => {
  const f = await upstream('qwen3_moe');
  if (!f) return t.skip('no transformers 5.18.0 wheel in the local mirror');
  const a = analyzeDocument(f.uri, f.text, ctx({ readFile: f.readFile, defaultMesh: 'tp=8' }));
  const d = a.diagnostics.find((x) => x.code === 'SS202');
  assert.ok(d, `diagnostics: ${a.diagnostics.map((x) => x.code).join(', ')}`);
  assert.equal(d.severity, 'warning');
  assert.match(d.message, /at the assumed tp=8; pick a mesh/);
  assert.ok(d.fixes?.some((x) => x.command === 'shardscope.pickMesh' && x.edits.length === 0));
  assert.equal(a.assumed.meshAssumed, true);
  assert.ok(!a.diagnostics.some((x) => x.severity === 'error'), a.diagnostics.filter((x) => x.severity === 'error').map((x) => x.message).join('\n'));
});

test('qwen3_moe: the same finding is an error once the mesh is picked, set or given on the command line', async (t) => {
  const f = await upstream('qwen3_moe');
  if (!f) return t.skip('no transformers 5.18.0 wheel in the local mirror');
  for (const named of [{ defaultMesh: 'tp=8', meshChosen: true }, { meshOverride: 'tp=8' }] as EditingContext[]) {
    const a = analyzeDocument(f.uri, f.text, ctx({ readFile: f.readFile, ...named }));
    const d = a.diagnostics.find((x) => x.code === 'SS202');
    assert.equal(d?.severity, 'error', JSON.stringify(named));
    assert.doesNotMatch(d!.message, /assumed/);
    assert.ok(!d!.fixes?.some((x) => x.command));
  }
});

test('DeepSeek-V3 at the default 80 GiB: SS402 is a warning naming the assumption; named GPU memory makes it an error', async (t) => {
  const f = await upstream('deepseek_v3');
  if (!f) return t.skip('no transformers 5.18.0 wheel in the local mirror');
  const assumed = analyzeDocument(f.uri, f.text, ctx({ readFile: f.readFile, meshOverride: 'tp=8' }));
  const w = assumed.diagnostics.find((x) => x.code === 'SS402');
  assert.ok(w, `diagnostics: ${assumed.diagnostics.map((x) => x.code).join(', ')}`);
  assert.equal(w.severity, 'warning');
  assert.match(w.message, /at the assumed 80 GiB per GPU/);
  assert.ok(w.fixes?.some((x) => x.command === 'shardscope.pickGpuMemory'));
  const named = analyzeDocument(f.uri, f.text, ctx({ readFile: f.readFile, meshOverride: 'tp=8', gpuMemoryGiB: 80 }));
  const e = named.diagnostics.find((x) => x.code === 'SS402');
  assert.equal(e?.severity, 'error');
  assert.doesNotMatch(e!.message, /assumed/);
  // Enough memory named: no finding at all.
  const big = analyzeDocument(f.uri, f.text, ctx({ readFile: f.readFile, meshOverride: 'tp=8', gpuMemoryGiB: 100000 }));
  assert.ok(!big.diagnostics.some((x) => x.code === 'SS402'));
});

test('a *.shardplan.json naming its mesh and run.gpu_memory_gib assumes nothing', () => {
  const text = JSON.stringify({ model: 'deepseek-v3', mesh: { tp: 8 }, plan: { 'layers.*.self_attn.o_proj': 'rowwise' }, run: { gpu_memory_gib: 40 } });
  const a = analyzeDocument('/w/x.shardplan.json', text, {});
  assert.deepEqual(a.assumed, { meshAssumed: false, gpuMemoryGiB: 40, gpuAssumed: false });
  const d = a.diagnostics.find((x) => x.code === 'SS402');
  assert.equal(d?.severity, 'error');
});
