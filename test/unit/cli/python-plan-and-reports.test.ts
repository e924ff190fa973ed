// The command line as a first use meets it: a Python configuration file as the plan, the binder's
// errors under comms as under shapes, a run without a trace, a plan that cannot run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../extension/cli/main';

// Every folder these tests make, removed when they end.
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// A configuration file in the shape transformers 5 writes them: model_type, the plan and field defaults
// on the config class; no config.json beside it, so the class alone names the model.
const MIXTRAL = `from transformers import PreTrainedConfig


class MixtralConfig(PreTrainedConfig):
    model_type = "mixtral"
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "colwise",
        "layers.*.self_attn.k_proj": "colwise",
        "layers.*.self_attn.v_proj": "colwise",
        "layers.*.self_attn.o_proj": "rowwise",
    }
    attribute_map = {"num_experts": "num_local_experts"}

    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 14336
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 8
    num_experts_per_tok: int = 2
    num_local_experts: int = 8
`;

function mixtralFile(): string {
  const dir = tempDir('ss-py-plan-');
  writeFileSync(join(dir, 'configuration_mixtral.py'), MIXTRAL);
  return join(dir, 'configuration_mixtral.py');
}

test('shapes takes a Python configuration file: the model from its config class, the plan from its tp plan', async () => {
  const r = await cli(['shapes', mixtralFile(), '--mesh', 'tp=8']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^mixtral on tp=8/);
  assert.match(r.out, /model\.layers\.\*\.self_attn\.q_proj\.weight +\[4096, 4096\] +Shard\(dim=0\) +all ranks \[512, 4096\]/);
  // k_proj: 8 KV heads × 128 = 1024 rows, one head per rank.
  assert.match(r.out, /model\.layers\.\*\.self_attn\.k_proj\.weight +\[1024, 4096\] +Shard\(dim=0\) +all ranks \[128, 4096\]/);
});

test('comms takes a Python plan file too, and a class value the plan depends on changes the answer', async () => {
  const file = mixtralFile();
  const r = await cli(['comms', file, '--mesh', 'tp=8']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /rowwise_all_reduce|all_reduce/);
  assert.doesNotMatch(r.out, /SS202/);
  // 4 KV heads in the class: tp=8 no longer divides them, and comms says so.
  writeFileSync(file, MIXTRAL.replace('num_key_value_heads: int = 8', 'num_key_value_heads: int = 4'));
  const four = await cli(['comms', file, '--mesh', 'tp=8']);
  assert.match(four.out, /^checks:\n {2}error SS202: 4 key\/value heads are not divisible by tp=8/m);
});

test('a Python file without a config class or config.json beside it: one clear error, exit 2', async () => {
  const dir = tempDir('ss-py-plan-');
  const file = join(dir, 'plan.py');
  writeFileSync(file, 'tp_plan = {"layers.*.mlp.down_proj": "rowwise"}\n');
  const r = await cli(['shapes', file, '--mesh', 'tp=2']);
  assert.equal(r.code, 2);
  assert.match(r.err, /plan\.py:1:1: names no model: no config class with a model_type and no config\.json beside it/);
  assert.doesNotMatch(r.err, /JSON/);
});

test('a Python plan with a config.json beside it is checked against that config', async () => {
  const dir = tempDir('ss-py-plan-');
  copyFileSync('examples/llama-3-8b/config.json', join(dir, 'config.json'));
  writeFileSync(join(dir, 'plan.py'), 'tp_plan = {"layers.*.mlp.gate_proj": "colwise", "layers.*.mlp.up_proj": "colwise", "layers.*.mlp.down_proj": "rowwise"}\n');
  const r = await cli(['shapes', join(dir, 'plan.py'), '--mesh', 'tp=4']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /model\.layers\.\*\.mlp\.down_proj\.weight +\[4096, 14336\] +Shard\(dim=1\) +all ranks \[4096, 3584\]/);
});

test('comms prints the binder\'s errors under its table, as shapes does (Qwen3-MoE at tp=8: SS202)', async () => {
  for (const cmd of ['comms', 'shapes']) {
    const r = await cli([cmd, 'qwen3-30b-a3b', '--plan', 'auto', '--mesh', 'tp=8']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split('\n').filter((l) => /^ {2}error SS202: 4 key\/value heads are not divisible by tp=8/.test(l)).length, 1, `${cmd}:\n${r.out}`);
  }
  const fine = await cli(['comms', 'qwen3-30b-a3b', '--plan', 'auto', '--mesh', 'tp=4']);
  assert.doesNotMatch(fine.out, /SS202/);
});

test('run --no-trace prints the predicted collectives with no measured column', async () => {
  const r = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16', '--no-trace']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  const head = lines.findIndex((l) => l.startsWith('collective '));
  assert.match(lines[head], /^collective +group +count +bytes\/op +predicted$/);
  assert.doesNotMatch(lines[head], /measured|wait|busbw/);
  // A training plan: o_proj and down_proj forward, five colwise input gradients backward, as a traced run counts them.
  assert.match(lines[head + 1], /^all_reduce +\[0,1,2,3,4,5,6,7\] +7 +\d+ +[\d.]+ µs$/);
  const json = JSON.parse((await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16', '--no-trace', '--json'])).out);
  const ar = json.collectives.find((c: { op: string }) => c.op === 'all_reduce');
  assert.equal(ar.own_us, undefined, 'nothing measured: no measured time');
  assert.ok(ar.predicted_us > 0);
  const traced = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16']);
  assert.match(traced.out, /^collective +group +count +bytes\/op +measured +predicted +wait +busbw$/m);
});

test('run on a plan that cannot run says only that, and why: no word of a backend it ran on', async () => {
  const dir = tempDir('ss-refused-');
  const file = join(dir, 'tp8.shardplan.json');
  writeFileSync(file, JSON.stringify({ model: 'qwen3-30b-a3b', mesh: { tp: 8 }, plan: { 'layers.*.self_attn.q_proj': 'colwise', 'layers.*.self_attn.k_proj': 'colwise', 'layers.*.self_attn.v_proj': 'colwise', 'layers.*.self_attn.o_proj': 'rowwise' } }, null, 2));
  const r = await cli(['run', file, '--layers', '0', '--tokens', '8']);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /^\S+tp8\.shardplan\.json:\d+:\d+: SS202: the plan cannot run: 4 key\/value heads are not divisible by tp=8/);
  assert.equal(r.err.split('\n').length, 1, r.err);
  assert.doesNotMatch(r.err, /ran on|backend|note:/);
});
