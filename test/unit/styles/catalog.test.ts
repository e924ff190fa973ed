import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  listStyles, lookupStyle, styleGenerations, nearestStyle, resolveStyleRef, detectGeneration, placementRepr, describeStyle,
  type StyleSemantics, type Generation,
} from '../../../extension/core/styles';

const plans = JSON.parse(readFileSync('test/fixtures/styles/transformers_plans.json', 'utf8')) as Record<string, Record<string, Record<string, string> | string>>;

function sem(name: string, g: Generation = 'g4'): StyleSemantics {
  const r = resolveStyleRef({ kind: 'name', name }, g);
  assert.ok(!('error' in r), `${name} in ${g}: ${'error' in r ? r.error : ''}`);
  return r as StyleSemantics;
}
const place = (s: StyleSemantics, kind: Parameters<StyleSemantics['paramPlacement']>[0], local: string, shape: number[]) => placementRepr(s.paramPlacement(kind, local, shape));

test('every style string in transformers’ own plans resolves in some generation', () => {
  let checked = 0;
  for (const [model, m] of Object.entries(plans)) {
    for (const [pk, plan] of Object.entries(m)) {
      if (typeof plan !== 'object') continue;
      for (const [key, style] of Object.entries(plan)) {
        if (style.startsWith('TPStyle(')) {
          const [, kind, comm] = style.match(/TPStyle\('(\w+)',\s*'(\w+)'/)!;
          const r = resolveStyleRef({ kind: 'tpstyle', styleKind: kind, comm }, 'g3');
          assert.ok(!('error' in r), `${model}.${pk}[${key}] = ${style}`);
        } else if (!/\s/.test(style)) {
          assert.ok(styleGenerations(style).length > 0, `${model}.${pk}[${key}] = ${style} is in no generation`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `checked ${checked}`);
});

test('each model plan resolves entirely in the generation its vocabulary points to', () => {
  for (const model of ['llama', 'mistral', 'qwen2', 'qwen3', 'mixtral', 'qwen3_moe', 'deepseek_v3', 'gpt_oss', 'mellum']) {
    for (const pk of ['tp_plan', 'ep_plan', 'sp_plan', 'sp_ep_plan', 'tp_ep_plan']) {
      const plan = plans[model]?.[pk];
      if (!plan || typeof plan !== 'object') continue;
      const names = Object.values(plan);
      const g = detectGeneration(names);
      for (const n of names) assert.ok(lookupStyle(n, g), `${model}.${pk}: ${n} not in detected ${g}`);
    }
  }
  assert.equal(detectGeneration(Object.values(plans.deepseek_v3.tp_plan as Record<string, string>)), 'g2');
  assert.equal(detectGeneration(Object.values(plans.mellum.sp_plan as Record<string, string>)), 'g3');
  assert.equal(detectGeneration(['colwise', 'rowwise']), 'g4');
  assert.equal(detectGeneration(['colwise_rep', 'local_colwise']), 'g1');
  assert.equal(detectGeneration([], { transformersVersion: '4.57.6' }), 'g1');
  assert.equal(detectGeneration([], { transformersVersion: '5.18.0' }), 'g4');
});

test('placements of the core styles on Linear, Embedding and fused experts', () => {
  const colwise = sem('colwise');
  assert.equal(place(colwise, 'linear', 'weight', [4096, 4096]), 'Shard(dim=0)');
  assert.equal(place(colwise, 'linear', 'bias', [4096]), 'Shard(dim=0)');
  assert.equal(place(colwise, 'embedding', 'weight', [128256, 4096]), 'Shard(dim=1)');
  const rowwise = sem('rowwise');
  assert.equal(place(rowwise, 'linear', 'weight', [4096, 14336]), 'Shard(dim=1)');
  assert.equal(place(rowwise, 'linear', 'bias', [4096]), 'Replicate()');
  assert.equal(place(rowwise, 'embedding', 'weight', [128256, 4096]), 'Shard(dim=0)');
  assert.equal(place(rowwise, 'experts', 'down_proj', [8, 4096, 14336]), 'Shard(dim=2)');
  const packed = sem('packed_colwise');
  assert.equal(place(packed, 'experts', 'gate_up_proj', [8, 28672, 4096]), '_StridedShard(dim=1, sf=2)');
  assert.equal(place(packed, 'linear', 'weight', [28672, 4096]), '_StridedShard(dim=0, sf=2)');
  assert.equal(place(sem('grouped_gemm'), 'experts', 'gate_up_proj', [8, 28672, 4096]), 'Shard(dim=0)');
  assert.equal(place(sem('grouped_gemm'), 'experts', 'down_proj_bias', [32, 2880]), 'Shard(dim=0)');
  assert.equal(place(sem('embedding_rowwise'), 'embedding', 'weight', [128256, 4096]), 'Shard(dim=0)');
  assert.equal(place(sem('colwise_gather_output'), 'linear', 'weight', [128256, 4096]), 'Shard(dim=0)');
  assert.equal(place(sem('replicated_with_grad_allreduce'), 'norm', 'weight', [128]), 'unchanged', 'a plain tensor whose gradient a hook all-reduces');
  assert.equal(sem('moe_tp_experts').paramPlacement('experts', 'gate_up_proj', [8, 16, 4]), null);
  assert.equal(place(sem('moe_tp_gate_up_colwise', 'g3'), 'experts', 'gate_up_proj', [8, 16, 4]), '_StridedShard(dim=1, sf=2)');
  assert.equal(place(sem('moe_tp_down_rowwise', 'g3'), 'experts', 'down_proj', [8, 4, 8]), 'Shard(dim=2)');
});

test('collectives follow the layouts', () => {
  const ops = (s: StyleSemantics, pass: 'forward' | 'backward') => s[pass].map((e) => `${e.op}@${e.at}`);
  assert.deepEqual(ops(sem('colwise'), 'forward'), []);
  assert.deepEqual(ops(sem('colwise'), 'backward'), ['all_reduce@input']);
  assert.deepEqual(ops(sem('rowwise'), 'forward'), ['all_reduce@output']);
  assert.deepEqual(ops(sem('rowwise'), 'backward'), []);
  assert.deepEqual(ops(sem('colwise_gather_output'), 'forward'), ['all_gather@output']);
  assert.deepEqual(ops(sem('rowwise_split_input'), 'backward'), ['all_gather@input']);
  assert.deepEqual(ops(sem('rowwise_reduce_scatter', 'g3'), 'forward'), ['reduce_scatter@output']);
  assert.deepEqual(ops(sem('rowwise_reduce_scatter', 'g3'), 'backward'), ['all_gather@output']);
  assert.deepEqual(ops(sem('module_allgather', 'g3'), 'forward'), ['all_gather@input']);
  assert.deepEqual(ops(sem('module_allgather', 'g3'), 'backward'), ['reduce_scatter@input']);
  assert.deepEqual(ops(sem('module_allgather_split', 'g3'), 'forward'), ['all_gather@input']);
  assert.deepEqual(ops(sem('module_allgather_split', 'g3'), 'backward'), ['all_gather@output', 'reduce_scatter@input']);
  assert.deepEqual(ops(sem('moe_tp_experts'), 'forward'), ['all_reduce@output']);
  assert.deepEqual(ops(sem('moe_tp_experts'), 'backward'), ['all_reduce@input']);
  assert.deepEqual(ops(sem('replicated_with_grad_allreduce'), 'backward'), ['all_reduce@param_grad']);
  assert.deepEqual(ops(sem('sequence_parallel'), 'forward'), []);
  assert.deepEqual(ops(sem('sequence_parallel', 'g1'), 'forward'), ['all_gather@output']);
  assert.equal(sem('grouped_gemm').expertParallel, true);
  assert.equal(sem('ep_router').router, true);
  assert.equal(sem('packed_colwise').packed, true);
  assert.equal(sem('ep_dispatch_experts').dispatch, 'all_to_all');
});

test('TPStyle kind × comm: valid pairs resolve, invalid pairs are rejected with the valid comms', () => {
  const ok = resolveStyleRef({ kind: 'tpstyle', styleKind: 'rowwise', comm: 'reduce_scatter' }, 'g3');
  assert.ok(!('error' in ok) && ok.name === 'rowwise_reduce_scatter');
  const bad = resolveStyleRef({ kind: 'tpstyle', styleKind: 'rowwise', comm: 'none' }, 'g3');
  assert.ok('error' in bad);
  assert.match(bad.error, /'rowwise' accepts comm 'allreduce', 'reduce_scatter'/);
  const badKind = resolveStyleRef({ kind: 'tpstyle', styleKind: 'diagonal', comm: 'none' }, 'g3');
  assert.ok('error' in badKind && /Invalid TPStyle kind/.test(badKind.error));
  const seq2 = resolveStyleRef({ kind: 'tpstyle', styleKind: 'activation', comm: 'none', args: { sequence_dim: 2 } }, 'g3');
  assert.ok(!('error' in seq2) && seq2.sequenceDim === 2);
  // Exactly the 13 valid pairs exist as strings.
  const g3names = listStyles('g3').map((e) => e.name);
  for (const n of ['colwise_allgather', 'colwise_loss_parallel', 'vocab_allreduce', 'module_allgather_split', 'moe_experts_allreduce', 'moe_experts_reduce_scatter', 'packed_colwise', 'activation']) assert.ok(g3names.includes(n), n);
  assert.ok(!g3names.includes('packed_colwise_allgather'));
});

test('generations: names outside the generation in use say where they are valid', () => {
  assert.deepEqual(styleGenerations('colwise_rep'), ['g1', 'g4']);
  assert.deepEqual(styleGenerations('rowwise_allreduce'), ['g3']);
  assert.deepEqual(styleGenerations('local_colwise'), ['g1']);
  const r = resolveStyleRef({ kind: 'name', name: 'rowwise_allreduce' }, 'g4');
  assert.ok('error' in r && /valid in transformers TPStyle era/.test(r.error) && /nearest is 'rowwise'/.test(r.error), 'error' in r ? r.error : '');
  const u = resolveStyleRef({ kind: 'name', name: 'colwsie' }, 'g4');
  assert.ok('error' in u && /did you mean 'colwise'/.test(u.error));
  assert.equal(lookupStyle('sequence_parallel', 'g3'), undefined);
});

test('nearest style names', () => {
  assert.equal(nearestStyle('colwsie', 'g4'), 'colwise');
  assert.equal(nearestStyle('packed_colwize', 'g4'), 'packed_colwise');
  assert.equal(nearestStyle('rowise', 'g4'), 'rowwise');
  assert.equal(nearestStyle('moe_tp_expert', 'g4'), 'moe_tp_experts');
  assert.equal(nearestStyle('zzzzzzzzzzzzzzzzzzzzzzz', 'g4'), undefined);
});

test('PyTorch style calls: kwargs decide the layouts and collectives', () => {
  const t = (className: string, kwargs: Record<string, unknown>) => resolveStyleRef({ kind: 'torch', call: { className, kwargs: kwargs as never, args: [] } }, 'torch');
  const spCol = t('ColwiseParallel', { input_layouts: { kind: 'shard', dim: 1 } });
  assert.ok(!('error' in spCol));
  assert.deepEqual(spCol.forward.map((e) => e.op), ['all_gather']);
  assert.deepEqual(spCol.backward.map((e) => e.op), ['reduce_scatter']);
  const spRow = t('RowwiseParallel', { output_layouts: { kind: 'shard', dim: 1 } });
  assert.ok(!('error' in spRow));
  assert.deepEqual(spRow.forward.map((e) => e.op), ['reduce_scatter']);
  assert.deepEqual(spRow.backward.map((e) => e.op), ['all_gather']);
  const row = t('RowwiseParallel', {});
  assert.ok(!('error' in row));
  assert.deepEqual(row.forward.map((e) => e.op), ['all_reduce']);
  assert.equal(placementRepr(row.paramPlacement('linear', 'bias', [16])), 'Replicate()');
  const pmi = t('PrepareModuleInput', { input_layouts: [{ kind: 'shard', dim: 1 }, null], desired_input_layouts: [{ kind: 'replicate' }, null] });
  assert.ok(!('error' in pmi));
  assert.deepEqual(pmi.forward.map((e) => e.op), ['all_gather']);
  assert.deepEqual(pmi.backward.map((e) => e.op), ['reduce_scatter']);
  const pmk = t('PrepareModuleInput', { input_kwarg_layouts: { dict: { hidden_states: { kind: 'shard', dim: 1 } } }, desired_input_kwarg_layouts: { dict: { hidden_states: { kind: 'replicate' } } } });
  assert.ok(!('error' in pmk) && pmk.inputKwarg === 'hidden_states');
  const seq = t('SequenceParallel', { sequence_dim: 2 });
  assert.ok(!('error' in seq) && seq.sequenceDim === 2 && seq.forward.length === 0);
  const bad = t('ColwiseParallel', { output_layout: { kind: 'replicate' } });
  assert.ok('error' in bad && /has no argument 'output_layout'/.test(bad.error));
  assert.ok('error' in t('DiagonalParallel', {}));
});

test('every entry has a source and a doc; descriptions are readable', () => {
  for (const e of listStyles()) {
    assert.ok(e.source.length > 10, e.name);
    assert.ok(e.doc.length > 40, e.name);
    assert.ok(!/guess/i.test(e.source));
  }
  const d = describeStyle(sem('colwise'), 'linear');
  assert.deepEqual(d.params, [{ name: 'weight', placement: 'Shard(dim=0)' }, { name: 'bias', placement: 'Shard(dim=0)' }]);
  assert.equal(d.input, 'Replicate() → Replicate()');
  assert.match(d.backward[0], /^all_reduce \(input/);
});
