// `shardscope check`: the editor's diagnostics on the command line, 1-based, exit 1 on errors, 2 on bad input.
import { test } from 'node:test';
import { writeOwnPlanFiles } from '../helpers/own-plans';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../extension/cli/main';
import { analyzeDocument } from '../../../extension/core/editing';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const dir = mkdtempSync(join(tmpdir(), 'ss-check-cli-'));
const PY = `base_model_tp_plan = {
    "layers.*.self_attn.q_proj": "colwise",
    "layers.*.self_attn.k_proj": "colwise",
    "layers.*.self_attn.v_proj": "colwise",
    "layers.*.self_attn.o_proj": "rowwise",
}
`;

test("transformers' own plans and the examples: no error, exit 0", async () => {
  const own = writeOwnPlanFiles();
  const files = own.map((f) => f.path);
  const r = await run(['check', ...files]);
  assert.equal(r.code, 0, r.out);
  // Under expert parallelism transformers applies the EP plan alone, leaving lm_head unsharded: each EP plan says so.
  const ep = own.filter((f) => f.kind === 'ep').length;
  // DeepSeek-V3 (671B) does not fit the assumed 80 GiB per rank at tp=8: a warning per plan file naming that
  // assumption, since no --gpu-memory was given.
  const memory = r.out.split('\n').filter((l) => / warning SS402: .*at the assumed 80 GiB per GPU/.test(l));
  assert.equal(memory.length, 2, r.out);
  assert.match(r.out, new RegExp(`^0 error\\(s\\), ${ep + memory.length} warning\\(s\\) in ${files.length} file\\(s\\)$`, 'm'));
  assert.equal(r.out.split('\n').filter((l) => / warning SS311: /.test(l)).length, ep);
  const examples = readdirSync('examples').flatMap((d) => readdirSync(join('examples', d)).filter((f) => /\.py$|\.shardplan\.json$/.test(f)).map((f) => join('examples', d, f)));
  assert.ok(examples.length >= 10);
  const e = await run(['check', ...examples]);
  assert.equal(e.code, 0, e.out);
  // The one warning is true and says what it assumes: DeepSeek-V3 (serve_ep.py names no mesh or GPU) needs
  // 160 GiB per rank at tp=8, over the assumed 80 GiB.
  const warnings = e.out.split('\n').filter((l) => / warning /.test(l));
  assert.deepEqual(warnings.map((l) => l.replace(/:.*? warning (SS\d+):.*(at the assumed tp=8).*(at the assumed 80 GiB).*/, ' $1 $2 $3')), ['examples/deepseek-v3/serve_ep.py SS402 at the assumed tp=8 at the assumed 80 GiB'], e.out);
  assert.match(e.out, /^0 error\(s\), 1 warning\(s\)/m);
});

test('text lines: file:line:col: severity code: message, the same place the editor puts it', async () => {
  const f = join(dir, 'configuration_x.py');
  writeFileSync(f, PY);
  const r = await run(['check', f, '--model', 'llama-3-8b', '--mesh', 'tp=16']);
  assert.equal(r.code, 1);
  const lines = r.out.split('\n');
  assert.equal(lines[0], `${f}:3:5: error SS202: 8 key/value heads are not divisible by tp=16: a TP degree above the KV-head count loads, then crashes in the first forward (shape [..., -1, 128] is invalid); transformers has no KV-head replication`);
  assert.ok(lines[1].startsWith(`${f}:4:5: error SS202: `));
  assert.equal(lines[lines.length - 1], '2 error(s), 0 warning(s) in 1 file(s)');
  assert.equal((await run(['check', f, '--model', 'llama-3-8b', '--mesh', 'tp=8'])).code, 0);
});

test('--json: {"diagnostics": [...]} with 1-based lines and columns matching the editor offsets', async () => {
  const f = join(dir, 'bad.shardplan.json');
  const text = '{\n  "model": "mixtral-8x7b",\n  "mesh": {"tp": 8},\n  "plan": {\n    "layers.*.mlp.experts.gate_up_proj": "colwise",\n    "layers.*.mlp.experts.down_proj": "rowwise",\n    "layers.*.mlp.experts": "moe_tp_experts",\n    "lm_head": "colwise_gather_output",\n    "layers.*.self_attn.q_proj": "colwsie"\n  }\n}\n';
  writeFileSync(f, text);
  const r = await run(['check', f, '--json']);
  assert.equal(r.code, 1);
  const { diagnostics } = JSON.parse(r.out);
  for (const d of diagnostics) assert.deepEqual(Object.keys(d), ['file', 'line', 'column', 'severity', 'code', 'message']);
  const editor = analyzeDocument(f, text).diagnostics;
  assert.equal(diagnostics.length, editor.length);
  for (const e of editor) {
    const before = text.slice(0, e.range.start).split('\n');
    assert.ok(diagnostics.some((d: { code: string; line: number; column: number }) => d.code === e.code && d.line === before.length && d.column === before[before.length - 1].length + 1), e.code);
  }
  assert.deepEqual(diagnostics.filter((d: { severity: string }) => d.severity === 'error').map((d: { code: string; line: number; column: number }) => [d.code, d.line, d.column]), [['SS105', 5, 42], ['SS101', 9, 34]]);
});

test('a syntax error is a located SS001 diagnostic (exit 1); bad options and missing files: one line on stderr, exit 2', async () => {
  const f = join(dir, 'broken.shardplan.json');
  writeFileSync(f, '{"model": "llama-3-8b", "mesh": {"tp": 2}, "plan": {"lm_head": colwise}}');
  const r = await run(['check', f]);
  assert.equal(r.code, 1);
  assert.match(r.out, /broken\.shardplan\.json:1:64: error SS001: malformed JSON: InvalidSymbol/);
  for (const argv of [['check', join(dir, 'none.py')], ['check', f, '--mesh', 'tp=two'], ['check', f, '--model', 'no-such-model'], ['check', f, '--gpu-memory', 'lots'], ['check']]) {
    const p = spawnSync(process.execPath, ['dist/cli.js', ...argv], { encoding: 'utf8' });
    assert.equal(p.status, 2, argv.join(' ') + ': ' + p.stderr + p.stdout);
    assert.equal(p.stderr.trim().split('\n').length, 1, p.stderr);
    assert.doesNotMatch(p.stderr, /\n\s+at /);
  }
});

test('--transformers picks the generation: a 5.x name on 4.57 says where it is valid; --gpu-memory sets the memory check', async () => {
  const f = join(dir, 'configuration_g.py');
  writeFileSync(f, PY.replace('"rowwise",\n}', '"rowwise",\n    "lm_head": "colwise_gather_output",\n}'));
  const old = await run(['check', f, '--model', 'llama-3-8b', '--transformers', '4.57.1']);
  assert.equal(old.code, 1);
  assert.match(old.out, /:6:16: error SS101: 'colwise_gather_output' is not a style in transformers 4\.5x.*valid in transformers 5\.x/);
  assert.equal((await run(['check', f, '--model', 'llama-3-8b', '--transformers', '5.2.0'])).code, 0);
  const mem = await run(['check', writeOwnPlanFiles().find((f) => f.modelType === 'llama')!.path, '--gpu-memory', '1']);
  assert.equal(mem.code, 1);
  assert.match(mem.out, /error SS402: .*but the GPU has 1\.00 GiB/);
});
