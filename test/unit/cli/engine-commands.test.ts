import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../extension/cli/main';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err };
}

test('shapes --json: the contract, with plain tensors as placements []', async () => {
  const r = await run(['shapes', 'examples/llama-3-8b/config.json', '--plan', 'auto', '--mesh', 'tp=8', '--json']);
  assert.equal(r.code, 0, r.err.join());
  const j = JSON.parse(r.out);
  const q = j.params.find((p: { name: string }) => p.name === 'model.layers.0.self_attn.q_proj.weight');
  assert.deepEqual(q, { name: 'model.layers.0.self_attn.q_proj.weight', global_shape: [4096, 4096], placements: ['Shard(dim=0)'], local_shapes: Array(8).fill([512, 4096]) });
  const emb = j.params.find((p: { name: string }) => p.name === 'model.embed_tokens.weight');
  assert.deepEqual(emb.placements, []);
  assert.equal(j.memory_per_rank.length, 8);
  assert.ok(j.memory_per_rank.every((b: number) => b > 2.5 * 2 ** 30));
});

test('shapes text: ranks grouped where they agree, memory per rank, and what the binder found on an indivisible mesh', async () => {
  const r = await run(['shapes', 'llama-3-8b', '--plan', 'auto', '--mesh', 'tp=3']);
  assert.equal(r.code, 0, r.err.join());
  // torch.chunk of 14336 rows over 3 ranks: 4779, 4779, 4778.
  assert.match(r.out, /model\.layers\.\*\.mlp\.gate_proj\.weight +\[14336, 4096\] +Shard\(dim=0\) +ranks 0-1 \[4779, 4096\] · rank 2 \[4778, 4096\]/);
  assert.match(r.out, /model\.embed_tokens\.weight +\[128256, 4096\] +not sharded +\[128256, 4096\] on every rank/);
  assert.match(r.out, /^memory per rank: [\d.]+ GiB on every rank$/m);
  assert.match(r.out, /^checks:\n  error SS201: 32 attention heads are not divisible by tp=3/m);
  // One line per message, even though k_proj and v_proj both raise it.
  assert.equal(r.out.split('\n').filter((l) => l.includes('SS202')).length, 1);
  const clean = await run(['shapes', 'llama-3-8b', '--plan', 'auto', '--mesh', 'tp=8']);
  assert.doesNotMatch(clean.out, /checks:/);
});

test('shapes takes a plain JSON plan from the model root and a Python plan file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-'));
  writeFileSync(join(dir, 'plan.json'), JSON.stringify({ 'model.layers.*.mlp.gate_proj': 'colwise', 'model.layers.*.mlp.up_proj': 'colwise', 'model.layers.*.mlp.down_proj': 'rowwise' }));
  const r = await run(['shapes', 'llama-3-8b', '--plan', join(dir, 'plan.json'), '--mesh', 'dp=2,tp=4', '--json']);
  assert.equal(r.code, 0, r.err.join());
  const j = JSON.parse(r.out);
  const down = j.params.find((p: { name: string }) => p.name === 'model.layers.3.mlp.down_proj.weight');
  assert.deepEqual(down.placements, ['Replicate()', 'Shard(dim=1)']);
  assert.deepEqual(down.local_shapes[5], [4096, 3584]);
  const py = await run(['shapes', 'examples/llama-3-8b/config.json', '--plan', 'examples/llama-3-8b/configuration_llama.py', '--mesh', 'tp=4', '--json']);
  const head = JSON.parse(py.out).params.find((p: { name: string }) => p.name === 'lm_head.weight');
  assert.deepEqual(head.placements, ['Shard(dim=0)'], 'the CausalLM class plan is merged in');
});

test('comms --json: collectives with bytes and totals', async () => {
  const r = await run(['comms', 'examples/llama-3-8b/tp-sp.shardplan.json', '--json']);
  assert.equal(r.code, 0, r.err.join());
  const j = JSON.parse(r.out);
  assert.deepEqual(j.totals.forward, { reduce_scatter: 65, all_gather: 65, all_reduce: 3 });
  const c = j.collectives.find((x: { module: string; pass: string }) => x.module === 'model.layers.0.self_attn.o_proj' && x.pass === 'forward');
  assert.equal(c.op, 'reduce_scatter');
  assert.equal(c.bytes, 4096 * 4096 * 2);
  assert.deepEqual(c.group, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('comms text: identical layers print once, the embedding at the model start and lm_head at its end in both passes', async () => {
  const r = await run(['comms', 'examples/llama-3-8b/tp-sp.shardplan.json']);
  assert.equal(r.code, 0, r.err.join());
  const lines = r.out.split('\n');
  const bwd = lines.indexOf('backward:');
  const at = (re: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && re.test(l));
  assert.match(lines[1], /^  model start +reduce_scatter +32\.0 MiB +model\.embed_tokens +group of 8/);
  assert.match(lines[2], /^  layer 0-31 +all_gather +32\.0 MiB +self_attn +group of 8/);
  assert.ok(at(/^  model end +all_gather .* lm_head/) < bwd);
  assert.match(lines[bwd + 1], /^  model end +reduce_scatter +32\.0 MiB +lm_head/);
  assert.ok(at(/^  layer 31-0 +reduce_scatter .* self_attn /, bwd) > bwd);
  assert.ok(at(/^  model start +all_gather .* model\.embed_tokens/, bwd) > at(/^  layer 31-0/, bwd));
  assert.match(r.out, /^totals per step: forward 65 reduce_scatter, 65 all_gather, 3 all_reduce; backward 65 reduce_scatter, 65 all_gather; optimizer step 65 all_reduce$/m);
});

test('check: located diagnostics and exit 1 on errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-check-'));
  const plan = join(dir, 'bad.shardplan.json');
  writeFileSync(plan, '{\n  "model": "mixtral-8x7b",\n  "mesh": {"tp": 8},\n  "plan": {\n    "layers.*.mlp.experts.gate_up_proj": "colwise",\n    "layers.*.mlp.experts.down_proj": "rowwise",\n    "layers.*.mlp.experts": "moe_tp_experts",\n    "layers.*.self_attn.q_proj": "colwsie"\n  }\n}\n');
  const r = await run(['check', plan, '--json']);
  assert.equal(r.code, 1);
  const d = JSON.parse(r.out).diagnostics;
  const packed = d.find((x: { code: string }) => x.code === 'SS105');
  assert.deepEqual([packed.line, packed.column, packed.severity], [5, 42, 'error']);
  const unknown = d.find((x: { code: string }) => x.code === 'SS101');
  assert.deepEqual([unknown.line, unknown.column], [8, 34]);
  assert.match(unknown.message, /did you mean 'colwise'/);
  const ok = await run(['check', 'examples/llama-3-8b/tp.shardplan.json']);
  assert.equal(ok.code, 0, ok.out);
});

test('bad input: one line on stderr, exit 2, never a stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bad-'));
  writeFileSync(join(dir, 'x.shardplan.json'), '{"model": "llama-3-8b", "mesh": {"tp": 2}, "plan": {"a": "colwise",, }}');
  for (const argv of [
    ['shapes', 'nope.json', '--mesh', 'tp=2'],
    ['shapes', 'llama-3-8b', '--mesh', 'tp=two'],
    ['shapes', 'llama-3-8b'],
    ['shapes', join(dir, 'x.shardplan.json')],
    ['comms', 'llama-3-8b', '--mesh', 'dp=2,pp=2', '--plan', 'auto'],
  ]) {
    const p = spawnSync(process.execPath, ['dist/cli.js', ...argv], { encoding: 'utf8' });
    assert.equal(p.status, 2, argv.join(' ') + ': ' + p.stderr);
    assert.equal(p.stderr.trim().split('\n').length, 1, p.stderr);
    assert.doesNotMatch(p.stderr, /\n\s+at /);
  }
  const p = spawnSync(process.execPath, ['dist/cli.js', 'shapes', join(dir, 'x.shardplan.json')], { encoding: 'utf8' });
  assert.match(p.stderr, /x\.shardplan\.json:1:\d+: malformed JSON/);
});

test('bad input in process: an unknown preset lists the presets; demo on a missing folder says so', async () => {
  const preset = await run(['shapes', 'llama-9b', '--mesh', 'tp=2']);
  assert.equal(preset.code, 2);
  assert.deepEqual(preset.err.length, 1);
  assert.match(preset.err[0], /llama-9b: no such file, folder or preset \(presets: llama-3-8b, .*deepseek-v3/);
  const demo = await run(['demo', join(tmpdir(), 'no-such-examples-dir')]);
  assert.equal(demo.code, 2);
  assert.match(demo.err[0], /no-such-examples-dir: no such folder/);
});

test('demo prints every example with checks, shapes and collectives', async () => {
  const r = await run(['demo', 'examples']);
  assert.equal(r.code, 0, r.out);
  for (const f of ['llama-3-8b/tp.shardplan.json', 'llama-3-8b/tp-sp.shardplan.json', 'mixtral-8x7b/tp.shardplan.json', 'mixtral-8x7b/ep.shardplan.json', 'qwen3-30b-a3b/tp.shardplan.json', 'deepseek-v3/ep.shardplan.json']) assert.ok(r.out.includes(f), f);
  assert.match(r.out, /_StridedShard\(dim=1, sf=2\) → all ranks \[8, 3584, 4096\]/);
  // Layers group where their collectives agree: DeepSeek-V3's dense layers 0-2 apart from its MoE layers 3-60.
  assert.match(r.out, /layers 0-2 +forward +2× all_reduce 112 MiB \(self_attn\.o_proj, mlp\.down_proj\)/);
  assert.match(r.out, /layers 3-60 +forward .*2× all_to_all 896 MiB \(mlp\.experts\)/);
  // Llama TP+SP: 2 all-gathers and 2 reduce-scatters of [1, 4096, 4096] bf16 (32 MiB each) per layer and pass.
  assert.match(r.out, /layers 0-31 +forward +2× all_gather 64\.0 MiB .*; 2× reduce_scatter 64\.0 MiB/);
});
