import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearse, chromeTrace } from '../../../extension/core/rehearse';

// Small widths keep the unit suite quick; the divisibility the plans rely on is kept by the scale.
const small = { budgetElements: 1.5e6 };

const EXAMPLES = ['examples/llama-3-8b/tp.shardplan.json', 'examples/llama-3-8b/tp-sp.shardplan.json', 'examples/mixtral-8x7b/tp.shardplan.json', 'examples/mixtral-8x7b/ep.shardplan.json', 'examples/qwen3-30b-a3b/tp.shardplan.json', 'examples/deepseek-v3/ep.shardplan.json'];

for (const file of EXAMPLES)
  test(`${file} rehearses on the CPU with matching numbers`, async () => {
    const r = await rehearse(file, small);
    assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
    assert.ok(r.maxRelError <= 1e-5, `error ${r.maxRelError}`);
    assert.equal(r.ranks, file.includes('qwen3') ? 4 : 8);
    assert.ok(r.widthScale > 1 && r.notes.some((n) => n.includes(`1/${r.widthScale}`)));
    // Measured and predicted events line up op for op on every rank.
    for (let rank = 0; rank < r.ranks; rank++) {
      const m = r.trace.events.filter((e) => e.rank === rank && e.source === 'measured').map((e) => e.name);
      const p = r.trace.events.filter((e) => e.rank === rank && e.source === 'predicted').map((e) => e.name);
      assert.ok(m.length > 10);
      assert.deepEqual(p, m);
    }
    assert.ok(r.collectives.length > 0 && r.collectives.every((c) => c.count > 0 && c.bytes > 0));
  });

test('DeepSeek-V3: multi-head latent attention sharded by heads matches, on the 64-rank mesh named as a sub-mesh', async () => {
  const r = await rehearse('examples/deepseek-v3/ep.shardplan.json', small);
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.ok(r.maxRelError <= 1e-5, `error ${r.maxRelError}`);
  assert.deepEqual(r.layers, [0, 3]);
  assert.ok(r.modules.some((m) => m.module === 'model.layers.3.self_attn'));
  assert.ok(r.notes.some((n) => /64-rank mesh is rehearsed as one tp group of 8 ranks/.test(n)));
});

test('tensor-parallel all_reduce after rowwise o_proj: collectives carry the entry behind them', async () => {
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', { ...small, layers: [0] });
  const ar = r.trace.events.filter((e) => e.source === 'measured' && e.name === 'all_reduce' && e.rank === 0);
  // Forward: the rowwise outputs; backward (a training plan): the input gradients of every colwise layer.
  assert.deepEqual(ar.filter((e) => e.pass === 'forward').map((e) => e.entry?.key), ['layers.*.self_attn.o_proj', 'layers.*.mlp.down_proj']);
  assert.deepEqual(ar.filter((e) => e.pass === 'backward').map((e) => e.entry?.key), ['layers.*.mlp.up_proj', 'layers.*.mlp.gate_proj', 'layers.*.self_attn.v_proj', 'layers.*.self_attn.k_proj', 'layers.*.self_attn.q_proj']);
  assert.ok(ar.every((e) => e.entry?.line && e.entry.line > 1 && e.group?.length === 8));
  assert.deepEqual(ar.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6]);
  const ct = chromeTrace(r.trace);
  const events = ct.traceEvents as unknown as { ph: string; name: string; pid: number; tid: number; args: { source?: string; name?: string } }[];
  const x = events.filter((e) => e.ph === 'X');
  // Predicted events sit on their own lane: the thread named "predicted" of each rank.
  const predictedLane = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'predicted').map((e) => `${e.pid}/${e.tid}`));
  assert.ok(x.some((e) => predictedLane.has(`${e.pid}/${e.tid}`) && e.args.source === 'predicted'));
  assert.ok(x.filter((e) => e.args.source === 'predicted').every((e) => predictedLane.has(`${e.pid}/${e.tid}`)));
  assert.equal(new Set(x.map((e) => e.pid)).size, 8);
});

test('the sharded run reuses the reference routing and never materialises unrouted experts', async () => {
  const r = await rehearse('examples/mixtral-8x7b/ep.shardplan.json', small);
  assert.equal(r.verdict, 'match');
  const experts = r.modules.find((m) => m.module.endsWith('mlp.experts'));
  assert.ok(experts && experts.relError < 1e-5);
});

// The fault catalogue: each plan fault ends in a located diagnostic or a mismatch naming the module.
const FAULTS: { file: string; verdict: 'error' | 'mismatch'; module: RegExp; entry: string; line: number; tail?: boolean; message?: RegExp }[] = [
  { file: 'fused-colwise', verdict: 'error', module: /mlp\.experts\.gate_up_proj/, entry: 'layers.*.mlp.experts.gate_up_proj', line: 12, message: /fused/ },
  { file: 'missing-rowwise', verdict: 'error', module: /self_attn\.o_proj$/, entry: 'layers.*.self_attn.q_proj', line: 8, message: /sharded on the last dim/ },
  { file: 'sp-norm-no-gather', verdict: 'error', module: /self_attn\.q_proj/, entry: 'layers.*.self_attn.q_proj', line: 11, message: /sequence/ },
  { file: 'experts-wrong-dim', verdict: 'error', module: /mlp\.experts$/, entry: 'layers.*.mlp.experts.gate_up_proj', line: 12, message: /experts 0–7 of gate_up_proj but 0–1 of down_proj/ },
  { file: 'wrong-kv-split', verdict: 'mismatch', module: /layers\.0\.self_attn$/, entry: 'layers.*.self_attn.q_proj', line: 8 },
  { file: 'lm-head-rowwise', verdict: 'error', module: /^lm_head$/, entry: 'lm_head', line: 15, tail: true, message: /rowwise/ },
];

for (const f of FAULTS)
  test(`fault: ${f.file} ends in ${f.verdict} at the right module and plan line`, async () => {
    const r = await rehearse(`test/fixtures/rehearse/${f.file}.shardplan.json`, { ...small, tail: f.tail });
    assert.equal(r.verdict, f.verdict, JSON.stringify(r.error ?? r.firstMismatch));
    const at = f.verdict === 'error' ? r.error! : r.firstMismatch!;
    assert.match(at.module ?? '', f.module);
    assert.equal(at.planEntry, f.entry);
    assert.equal(at.file, `test/fixtures/rehearse/${f.file}.shardplan.json`);
    assert.equal(at.line, f.line);
    if (f.message) assert.match(r.error!.message, f.message);
    if (f.verdict === 'mismatch') assert.ok(r.firstMismatch!.relError > 1e-2);
  });

test('training plans also run backward: input and weight gradient GEMMs, and the binding\'s backward collectives', async () => {
  const r = await rehearse('examples/llama-3-8b/tp-sp.shardplan.json', { ...small, layers: [0] });
  assert.equal(r.verdict, 'match');
  const bw = r.trace.events.filter((e) => e.rank === 0 && e.source === 'measured' && e.pass === 'backward');
  // Seven linears, two GEMMs each.
  assert.equal(bw.filter((e) => e.name === 'gemm').length, 14);
  // Sequence parallel backward: all_gather of the output gradient at o_proj and down_proj, reduce_scatter of the input gradient at self_attn and mlp.
  assert.deepEqual(bw.filter((e) => e.cat === 'collective').map((e) => `${e.name} ${e.entry?.key}`), [
    'all_gather layers.*.mlp.down_proj',
    'reduce_scatter layers.*.mlp',
    'all_gather layers.*.self_attn.o_proj',
    'reduce_scatter layers.*.self_attn',
  ]);
  const pred = r.trace.events.filter((e) => e.rank === 0 && e.source === 'predicted' && e.pass === 'backward');
  assert.deepEqual(pred.map((e) => e.name), bw.map((e) => e.name));
});

for (const file of ['examples/llama-3-8b/tp-sp.shardplan.json', 'examples/mixtral-8x7b/tp.shardplan.json'])
  test(`${file} with the ends: the final norm, lm_head and the loss match, the loss compared last`, async () => {
    const r = await rehearse(file, { ...small, layers: [0], tail: true, backward: false });
    assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
    assert.equal(r.modules.at(-1)!.module, 'loss');
    assert.equal(r.modules.at(-2)!.module, 'lm_head');
    assert.equal(r.modules.at(-3)!.module, 'model.norm');
    assert.ok(r.modules.at(-1)!.relError <= 1e-5 && r.modules.at(-2)!.relError <= 1e-5);
  });

test('a plan whose tp group exceeds the ranks allowed is refused with the counts', async () => {
  await assert.rejects(rehearse('examples/llama-3-8b/tp.shardplan.json', { ranks: 4 }), /tp group has 8 ranks; this run allows 4/);
});

test('all-to-all dispatch (ep_dispatch_experts): numbers match and the verdict says the dispatch ran as all_to_all_v', async () => {
  const r = await rehearse('test/fixtures/rehearse/ep-dispatch.shardplan.json', small);
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.ok(r.notes.some((n) => /all-to-all expert dispatch runs as all_to_all_v/.test(n)), r.notes.join('\n'));
});
