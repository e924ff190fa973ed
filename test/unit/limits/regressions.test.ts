// Named regressions: inputs that once blocked or killed the CLI (and the extension host, which runs the
// same engine), or that were reported as something else than the promised located line. Each case runs
// the CLI's main() in a worker with a 1 GiB heap and a 10 s limit (test/unit/fuzz/cli-box.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CliBox, isMainThread, serveCli, type CliResult } from '../fuzz/cli-box';
import { pickle } from '../fuzz/gen';

if (!isMainThread) serveCli();
else registerTests();

function registerTests(): void {
  const box = new CliBox(__filename);
  after(() => box.close());
  const dir = mkdtempSync(join(tmpdir(), 'ss-limits-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const llama = JSON.parse(readFileSync('examples/llama-3-8b/config.json', 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(llama));
  const file = (name: string, content: string | Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const fifo = (name: string): string => {
    const p = join(dir, name);
    execFileSync('mkfifo', [p]);
    return p;
  };
  const plan = (name: string, v: Record<string, unknown>) => file(name, JSON.stringify({ model: './config.json', mesh: { tp: 2 }, plan: { 'layers.*.self_attn.q_proj': 'colwise' }, ...v }, null, 1));

  /** The promised answer to bad input: exit 2, one line, located, saying `what`; within `ms`. */
  const refused = (r: CliResult, what: RegExp, ms = 5000): void => {
    assert.equal(r.crash, undefined, r.crash);
    assert.equal(r.code, 2, r.err.join(' | '));
    assert.equal(r.err.length, 1, r.err.join(' | '));
    assert.match(r.err[0], /:\d+:\d+: /);
    assert.match(r.err[0], what);
    assert.ok(r.ms < ms, `took ${r.ms} ms`);
  };
  const run = (...argv: string[]) => box.run(argv);

  test('from_pretrained(..., tp_size=100000000) in a Python plan: a located error naming the mesh limit, at once (was 35 s, 5 GB, V8 abort)', async () => {
    const py = file('tp.py', 'from transformers import AutoModelForCausalLM\nmodel = AutoModelForCausalLM.from_pretrained("./", tp_plan="auto", tp_size=100000000)\n');
    const r = await run('check', py);
    assert.equal(r.crash, undefined, r.crash);
    assert.equal(r.code, 1);
    assert.match(r.out.join('\n'), /tp\.py:2:\d+: error SS104: .*tp=100000000 is over 65536 ranks, the limit for a mesh/);
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  });

  test('"mesh": {"tp": 100000000}: SS005 on the mesh (was a V8 abort)', async () => {
    refused(await run('shapes', plan('mesh.shardplan.json', { mesh: { tp: 100000000 } })), /mesh\.shardplan\.json:3:\d+: a mesh of tp=100000000 is over 65536 ranks, the limit for a mesh/);
  });

  test('"expert_parallel" naming a dim ten times: refused on the list (was "Fatal JavaScript invalid size error")', async () => {
    refused(await run('shapes', plan('ep.shardplan.json', { mesh: { dp: 2, tp: 2 }, expert_parallel: Array(10).fill('tp') })), /ep\.shardplan\.json:\d+:\d+: expert parallelism names mesh dim 'tp' twice/);
  });

  test('num_hidden_layers of 1e6: refused before any layer is built', async () => {
    const cfg = file('layers.json', JSON.stringify({ ...llama, num_hidden_layers: 1e6 }));
    refused(await run('shapes', cfg, '--mesh', 'tp=2'), /num_hidden_layers is 1000000, over the limit of 1024/);
    // through a plan: located on the key in the config.json it names
    refused(await run('shapes', plan('layers.shardplan.json', { model: './layers.json' })), /layers\.json:1:\d+: num_hidden_layers is 1000000/);
    // inline, on the value itself
    const inline = await run('check', plan('inline.shardplan.json', { model: { ...llama, num_hidden_layers: 1e6 } }));
    assert.match(inline.out.join('\n'), /inline\.shardplan\.json:\d+:\d+: error SS005: num_hidden_layers is 1000000, over the limit of 1024 for layers/);
  });

  test('"model": "/dev/zero": refused as no regular file (was 8 GB in 20 s)', async () => {
    refused(await run('shapes', plan('zero.shardplan.json', { model: '/dev/zero' })), /\/dev\/zero:1:1: is not a regular file/);
  });

  test('a FIFO as model, trace or config.json: refused, never opened for reading (was blocked forever)', async () => {
    fifo('fifo-model.json');
    refused(await run('shapes', plan('fifo.shardplan.json', { model: './fifo-model.json' })), /fifo-model\.json:1:1: is not a regular file/);
    refused(await run('trace', 'summary', fifo('fifo-trace.json')), /fifo-trace\.json:1:1: is not a regular file/);
    // a FIFO named config.json beside a Python plan: the plan is checked without it
    const side = join(dir, 'side');
    mkdirSync(side);
    execFileSync('mkfifo', [join(side, 'config.json')]);
    writeFileSync(join(side, 'plan.py'), 'tp_plan = {"model.layers.*.self_attn.q_proj": "colwise"}\n');
    const r = await run('check', join(side, 'plan.py'));
    assert.equal(r.crash, undefined, r.crash);
    assert.ok(r.code === 0 || r.code === 1, r.err.join(' | '));
  });

  test('a Flight Recorder report over 20000 process groups is linear (was 15.5 s)', async () => {
    const groups = 20000;
    const pg_config: Record<string, unknown> = {};
    const entries: unknown[] = [];
    for (let g = 0; g < groups; g++) {
      pg_config[String(g)] = { name: String(g), desc: `pg${g}`, ranks: '[0, 1]' };
      entries.push({ pg_id: g, process_group: [String(g), `pg${g}`], collective_seq_id: 1, profiling_name: 'nccl:all_reduce', state: 'completed', time_created_ns: 1 });
    }
    const p = file('nccl_trace_rank_0.json', JSON.stringify({ rank: 0, pg_config, pg_status: {}, entries }));
    const r = await run('trace', 'summary', p);
    assert.equal(r.crash, undefined, r.crash);
    assert.ok(r.code === 0 || r.code === 1, r.err.join(' | '));
    assert.ok(r.ms < 3000, `took ${r.ms} ms`);
  });

  test('a 1 MB gzip that expands to 1 GiB: its early error is located without decompressing the rest', async () => {
    // gzip members concatenate: one small member with the error, then 16 members of 64 MiB of spaces each.
    const spaces = gzipSync(Buffer.alloc(64 << 20, 0x20), { level: 9 });
    const bomb = Buffer.concat([gzipSync('{"traceEvents": [\n  }'), ...Array(16).fill(spaces)]);
    assert.ok(bomb.length < 2 << 20);
    const p = file('bomb.json.gz', bomb);
    const rss = process.memoryUsage().rss;
    const r = await run('trace', 'summary', p);
    refused(r, /bomb\.json\.gz:2:3: invalid JSON: expected a value/, 4000);
    assert.ok(process.memoryUsage().rss - rss < 512 << 20, 'memory grew past 512 MiB');
  });

  test('a gzip whose one element never ends: refused at the element limit, not held whole', async () => {
    const spaces = gzipSync(Buffer.alloc(64 << 20, 0x20), { level: 9 });
    const p = file('open.json.gz', Buffer.concat([gzipSync('{"traceEvents": [{"name": "'), ...Array(16).fill(spaces)]));
    const rss = process.memoryUsage().rss;
    refused(await run('trace', 'summary', p), /open\.json\.gz:1:18: one element is over 64 MiB and has not ended/, 8000);
    assert.ok(process.memoryUsage().rss - rss < 768 << 20, 'memory grew past 768 MiB');
  });

  test('run --tokens 1e7 is refused with the limit (the child died with std::bad_alloc)', async () => {
    const r = await run('run', 'examples/llama-3-8b/tp.shardplan.json', '--tokens', '1e7');
    assert.equal(r.code, 2);
    assert.match(r.err[0], /--tokens: 10000000 tokens, over the limit of 65536 for a rehearsal/);
  });

  test('JSON nested 100000 deep: located, never "Maximum call stack size exceeded" (plans, configs, traces)', async () => {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    refused(await run('shapes', file('deep.shardplan.json', `{"model": "./config.json", "mesh": {"tp": 2},\n "plan": ${deep}}`)), /deep\.shardplan\.json:2:\d+: .*nested more than 256 deep/);
    refused(await run('shapes', file('deep-config.json', `{"model_type": "llama", "x": ${deep}}`), '--mesh', 'tp=2'), /deep-config\.json:1:\d+: nested more than 256 deep/);
    refused(await run('trace', 'summary', file('deep-cdm.json', `{"fqn": "Global", "children": ${deep}}`)), /deep-cdm\.json:1:\d+: nested more than 256 deep/);
    // Python: check reports it as the file's syntax error (exit 1, like any other)
    const py = await run('check', file('deep.py', `tp_plan = ${'['.repeat(4000)}\n`));
    assert.equal(py.crash, undefined, py.crash);
    assert.match(py.out.join('\n'), /deep\.py:1:\d+: error SS001: nested more than 200 deep/);
  });

  test('pickles: 200000 items in one APPENDS and 100000 nested lists (was "Maximum call stack size exceeded")', async () => {
    const wide = pickle({ entries: Array(200000).fill(null), pg_config: {} });
    const w = await run('trace', 'summary', file('wide_trace_rank_0', wide));
    assert.equal(w.crash, undefined, w.crash);
    assert.ok(w.code === 0 || w.code === 1, w.err.join(' | '));
    // 100000 EMPTY_LISTs, then APPENDs folding each into the one below: one list nested 100000 deep
    const n = 100000;
    const deep = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(n, 0x5d), Buffer.alloc(n - 1, 0x61), Buffer.from([0x2e])]);
    refused(await run('trace', 'summary', file('deep_trace_rank_0', deep)), /deep_trace_rank_0:1:\d+: not a Flight Recorder pickle: nested more than 256 deep/);
  });

  const kineto = (events: unknown[], top: Record<string, unknown> = {}) => JSON.stringify({ schemaVersion: 1, distributedInfo: { rank: 0, world_size: 2 }, ...top, traceEvents: events });
  const allReduce = (args: Record<string, unknown>) => ({ ph: 'X', cat: 'kernel', name: 'ncclDevKernel_AllReduce_Sum_f32_RING_LL(ncclDevComm*, unsigned long, ncclWork*)', pid: 0, tid: 7, ts: 10, dur: 5, args: { 'Collective name': 'allreduce', 'In msg nelems': 4, 'Out msg nelems': 4, 'Process Group Ranks': '[0, 1]', ...args } });

  test('Kineto: a numeric dtype, an infinite base time, 150000 profiler steps (were "dtype.toLowerCase is not a function", "Infinity cannot be converted to a BigInt", a stack overflow)', async () => {
    for (const [name, text] of [
      ['dtype.json', kineto([allReduce({ dtype: 5 })])],
      ['inf.json', kineto([allReduce({ dtype: 'Float' })], { baseTimeNanoseconds: '@INF@' }).replace('"@INF@"', '1e400')],
      ['huge-ts.json', kineto([{ ...allReduce({}), ts: 1e308 }])],
      ['steps.json', kineto(Array.from({ length: 150000 }, (_, i) => ({ ph: 'X', cat: 'user_annotation', name: `ProfilerStep#${i}`, pid: 0, tid: 1, ts: i * 10, dur: 9 })))],
    ]) {
      const r = await run('trace', 'summary', file(name, text));
      assert.equal(r.crash, undefined, `${name}: ${r.crash}`);
      assert.equal(r.code, 0, `${name}: ${r.err.join(' | ')}`);
    }
  });

  test('a folder or a cut gzip where a file is expected: located, with the path (were "EISDIR" and "unexpected end of file")', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    refused(await run('run', folder), /a-folder:1:1: is a folder, expected a file/);
    refused(await run('check', folder), /a-folder:1:1: is a folder, expected a file/);
    refused(await run('run', 'examples/llama-3-8b/tp.shardplan.json', '--calibration', folder), /a-folder:1:1: is a folder, expected a file/);
    const cut = gzipSync(readFileSync('test/fixtures/trace/kineto-new/rank0.json'));
    refused(await run('trace', 'summary', file('cut.json.gz', cut.subarray(0, cut.length >> 1))), /cut\.json\.gz:1:1: the gzip data ends early/);
  });

  test('a JSON syntax error in a trace read whole is located where it is (was 1:1, read from the engine message)', async () => {
    refused(await run('trace', 'summary', file('bad-cdm.json', '{\n  "fqn": "Global",\n  "children": [,]\n}')), /bad-cdm\.json:3:16: invalid JSON: expected a value/);
  });

  test('a model_type that names an Object property (constructor, __proto__) is an unknown architecture, not a crash', async () => {
    for (const t of ['constructor', '__proto__', 'toString']) {
      refused(await run('shapes', file(`proto-${t}.json`, JSON.stringify({ ...llama, model_type: t })), '--mesh', 'tp=2'), new RegExp(`model_type "${t}" has no`));
    }
  });

  test('a dtype that is no string (an object with its own toString, a number) reads as no dtype (was "Cannot convert object to primitive value")', async () => {
    for (const [k, v] of [['torch_dtype', { toString: 0 }], ['dtype', 5], ['torch_dtype', 'constructor']] as const) {
      const r = await run('shapes', file(`dtype-${k}-${typeof v}.json`, JSON.stringify({ ...llama, [k]: v })), '--mesh', 'tp=2', '--plan', 'auto');
      assert.equal(r.crash, undefined, r.crash);
      assert.equal(r.code, 0, r.err.join(' | '));
    }
  });

  test('line breaks in the input never split a message', async () => {
    const r = await run('check', plan('nl.shardplan.json', { plan: { 'layers.*.self_attn.q_proj': 'col\nwise\u2028x' } }));
    assert.equal(r.code, 1);
    assert.ok(r.out.every((l) => !/[\n\u2028]/.test(l)), r.out.join(' | '));
    const bad = await run('check', file('nl\nname.py', 'x = (\n'));
    assert.ok(bad.out.concat(bad.err).every((l) => !/\n/.test(l)), bad.out.concat(bad.err).join(' | '));
  });
}
