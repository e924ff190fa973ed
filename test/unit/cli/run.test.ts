import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../extension/cli/main';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('shardscope run --json: the contract fields; match exits 0 and writes a Chrome trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-run-'));
  const trace = join(dir, 't.json');
  // Real widths are the default; these contract checks run at 1/16 width to stay quick.
  const r = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16', '--json', '--out', trace]);
  assert.equal(r.code, 0, r.err.join('\n'));
  const j = JSON.parse(r.out[0]);
  assert.equal(j.backend, 'cpu');
  assert.equal(j.ranks, 8);
  assert.equal(j.verdict, 'match');
  assert.ok(j.max_rel_error <= 1e-5);
  assert.equal(j.first_mismatch, null);
  // Two forward (o_proj, down_proj) and five backward (the colwise input gradients) in a training plan.
  assert.deepEqual(j.collectives.map((c: { op: string; count: number }) => [c.op, c.count]), [['all_reduce', 7]]);
  // The rows of `shardscope trace summary`, with the rehearsal's own reading beside them.
  const c = j.collectives[0];
  assert.deepEqual(Object.keys(c), ['op', 'count', 'total_us', 'mean_busbw_gbps', 'max_skew_us', 'own_us', 'wait_us', 'predicted_us']);
  for (const k of ['total_us', 'mean_busbw_gbps', 'own_us', 'predicted_us']) assert.ok(c[k] > 0, `${k} = ${c[k]}`);
  // A rank's own events also hold its waits: the collectives' own time is at most their per-rank total.
  assert.ok(c.own_us <= c.total_us + 1e-3, `own ${c.own_us} > total ${c.total_us}`);
  assert.ok(c.wait_us >= 0);
  const t = JSON.parse(readFileSync(trace, 'utf8'));
  assert.ok(t.traceEvents.some((e: { ph: string; name: string }) => e.ph === 'M' && e.name === 'process_name'));
  assert.equal(t.shardscope.backend, 'cpu');
});

test('shardscope run: a mismatch exits 1 and names the module and the plan line', async () => {
  const r = await cli(['run', 'test/fixtures/rehearse/wrong-kv-split.shardplan.json', '--width-scale', '16', '--json']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out[0]);
  assert.equal(j.verdict, 'mismatch');
  assert.deepEqual(j.first_mismatch, { module: 'model.layers.0.self_attn', plan_entry: 'layers.*.self_attn.q_proj', file: 'test/fixtures/rehearse/wrong-kv-split.shardplan.json', line: 8 });
  const text = await cli(['run', 'test/fixtures/rehearse/wrong-kv-split.shardplan.json', '--width-scale', '16']);
  assert.match(text.err[0], /^test\/fixtures\/rehearse\/wrong-kv-split\.shardplan\.json:8: numbers differ: first at model\.layers\.0\.self_attn/);
});

test('shardscope run: bad input is one located line, exit code non-zero', async () => {
  const r = await cli(['run', 'no/such.shardplan.json']);
  assert.notEqual(r.code, 0);
  assert.match(r.err.join('\n'), /no\/such\.shardplan\.json:1:1: no such file/);
  const b = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--backend', 'tpu']);
  assert.match(b.err.join('\n'), /--backend: expected cpu or cuda/);
  const w = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--width-scale', '3']);
  assert.match(w.err.join('\n'), /--width-scale: expected a power of two/);
});

test('shardscope run --verbose: the rehearsal log goes to stderr, the verdict to stdout', async () => {
  const r = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16', '--verbose']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.ok(r.err.some((l) => /8 ranks on the CPU/.test(l)), `stderr: ${r.err.join(' | ')}`);
  assert.match(r.out[0], /^numbers agree/);
  const quiet = await cli(['run', 'examples/llama-3-8b/tp.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16']);
  assert.ok(!quiet.err.some((l) => /8 ranks on the CPU/.test(l)));
});
