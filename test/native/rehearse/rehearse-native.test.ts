// The product's rehearsal path: rehearse() with nativeExecutor(), so the sharded programs and the
// reference run on the addon in the runtime child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childPath, addonBuilt } from '../runtime/helpers';
import { nativeExecutor } from '../../../extension/runtime';
import { rehearse, type RehearseOptions } from '../../../extension/core/rehearse';
import { EXAMPLES } from './helpers';

const skip = !addonBuilt() && 'the addon is not built';
const native = () => nativeExecutor({ childPath: childPath() });
// Small widths keep the suite quick; the divisibility the plans rely on is kept by the scale.
const small: RehearseOptions = { budgetElements: 1.5e6, widthScale: undefined };

for (const file of EXAMPLES)
  test(`${file} rehearses through the addon with matching numbers`, { skip }, async () => {
    const lines: string[] = [];
    const r = await rehearse(file, { ...small, executor: native(), onLog: (l) => lines.push(l) });
    assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
    assert.ok(r.maxRelError <= 1e-5, `error ${r.maxRelError}`);
    assert.ok(lines.some((l) => l.includes('the native addon')), lines.join('\n'));
    assert.ok(!r.notes.some((n) => /JS interpreter/.test(n)), r.notes.join('\n'));
    // Measured events (from the addon) and predicted events line up op for op on every rank.
    for (let rank = 0; rank < r.ranks; rank++) {
      const m = r.trace.events.filter((e) => e.rank === rank && e.source === 'measured');
      const p = r.trace.events.filter((e) => e.rank === rank && e.source === 'predicted');
      assert.ok(m.length > 10);
      assert.deepEqual(p.map((e) => e.name), m.map((e) => e.name));
      assert.ok(m.every((e) => e.ts >= 0 && e.dur >= 0));
    }
    assert.ok(r.collectives.length > 0 && r.collectives.every((c) => c.count > 0 && c.bytes > 0));
  });

for (const file of ['examples/llama-3-8b/tp-sp.shardplan.json', 'examples/mixtral-8x7b/tp.shardplan.json'])
  test(`${file} with the ends through the addon: the embedding, final norm, lm_head and loss match`, { skip }, async () => {
    const r = await rehearse(file, { ...small, executor: native(), layers: [0], tail: true, backward: false });
    assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
    assert.deepEqual(r.modules.slice(-3).map((m) => m.module), ['model.norm', 'lm_head', 'loss']);
    assert.ok(r.modules.some((m) => m.module === 'model.embed_tokens'), r.modules.map((m) => m.module).join(', '));
    for (const m of r.modules.slice(-3)) assert.ok(m.relError <= 1e-5, `${m.module}: ${m.relError}`);
  });

test('an expert-parallel plan with all-to-all dispatch runs that dispatch through the addon with matching numbers', { skip }, async () => {
  const r = await rehearse('test/fixtures/rehearse/ep-dispatch.shardplan.json', { ...small, executor: native() });
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  const experts = r.modules.find((m) => m.module.endsWith('mlp.experts'));
  assert.ok(experts && experts.relError <= 1e-5);
  // The plan's own dispatch ran: token rows all-to-all with the reference's counts, there and back.
  assert.ok(r.notes.some((n) => /all-to-all expert dispatch runs as all_to_all_v/.test(n)), r.notes.join('\n'));
  const a2a = r.trace.events.filter((e) => e.source === 'measured' && e.rank === 0 && e.name === 'all_to_all_v');
  assert.ok(a2a.length >= 2, `${a2a.length} all_to_all_v events`);
});

// The fault catalogue (as in test/unit/lower/rehearse.test.ts), run on the addon.
const FAULTS: { file: string; verdict: 'error' | 'mismatch'; module: RegExp; entry: string; line: number; tail?: boolean }[] = [
  { file: 'fused-colwise', verdict: 'error', module: /mlp\.experts\.gate_up_proj/, entry: 'layers.*.mlp.experts.gate_up_proj', line: 12 },
  { file: 'missing-rowwise', verdict: 'error', module: /self_attn\.o_proj$/, entry: 'layers.*.self_attn.q_proj', line: 8 },
  { file: 'sp-norm-no-gather', verdict: 'error', module: /self_attn\.q_proj/, entry: 'layers.*.self_attn.q_proj', line: 11 },
  { file: 'experts-wrong-dim', verdict: 'error', module: /mlp\.experts$/, entry: 'layers.*.mlp.experts.gate_up_proj', line: 12 },
  { file: 'wrong-kv-split', verdict: 'mismatch', module: /layers\.0\.self_attn$/, entry: 'layers.*.self_attn.q_proj', line: 8 },
  { file: 'lm-head-rowwise', verdict: 'error', module: /^lm_head$/, entry: 'lm_head', line: 15, tail: true },
];

for (const f of FAULTS)
  test(`fault through the addon: ${f.file} ends in ${f.verdict} at the right module and plan line`, { skip }, async () => {
    const r = await rehearse(`test/fixtures/rehearse/${f.file}.shardplan.json`, { ...small, executor: native(), tail: f.tail });
    assert.equal(r.verdict, f.verdict, JSON.stringify(r.error ?? r.firstMismatch));
    const at = f.verdict === 'error' ? r.error! : r.firstMismatch!;
    assert.match(at.module ?? '', f.module);
    assert.equal(at.planEntry, f.entry);
    assert.equal(at.file, `test/fixtures/rehearse/${f.file}.shardplan.json`);
    assert.equal(at.line, f.line);
    if (f.verdict === 'mismatch') assert.ok(r.firstMismatch!.relError > 1e-2);
  });

test('tracing on and off gives the same numbers through the addon; off records no event', { skip }, async () => {
  const file = 'examples/mixtral-8x7b/ep.shardplan.json';
  let streamed = 0;
  const on = await rehearse(file, { ...small, executor: native(), onEvent: () => streamed++ });
  const off = await rehearse(file, { ...small, executor: native(), trace: false, onEvent: () => streamed++ });
  assert.equal(on.verdict, 'match');
  assert.equal(off.verdict, 'match');
  assert.deepEqual(off.modules.map((m) => m.relError), on.modules.map((m) => m.relError));
  const measured = on.trace.events.filter((e) => e.source === 'measured').length;
  assert.ok(measured > 0);
  // Every measured event reached onEvent exactly once (streamed, or delivered with the result).
  assert.equal(streamed, measured);
  assert.equal(off.trace.events.filter((e) => e.source === 'measured').length, 0);
});

test('the CUDA backend goes to the runtime, whose answer (discovery\'s reason here) is the verdict', { skip }, async () => {
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { ...small, layers: [0], backend: 'cuda', executor: nativeExecutor({ childPath: childPath(), libraryDirs: ['/nonexistent'], env: { ...process.env, LD_LIBRARY_PATH: '' } }) });
  assert.equal(r.verdict, 'error');
  assert.match(r.error!.message, /CUDA backend/);
  assert.equal(r.backend, 'cuda');
});

test('without the addon the JS interpreter runs and the notes say so', async () => {
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { ...small, layers: [0], executor: nativeExecutor({ childPath: '/nonexistent/runtime-child.js' }) });
  assert.equal(r.verdict, 'match');
  assert.ok(r.notes.some((n) => /JS interpreter.*runtime child \/nonexistent\/runtime-child\.js is not built/.test(n)), r.notes.join('\n'));
});

test('cancelling a rehearsal through the addon ends it with a cancelled verdict', { skip }, async () => {
  const abort = new AbortController();
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { ...small, executor: native(), signal: abort.signal, onEvent: () => abort.abort() });
  assert.equal(r.verdict, 'error');
  assert.match(r.error!.message, /cancel/);
});
