// Importing the fixture traces: Kineto (new and old), a tensorboard_trace_handler folder, ours,
// CommDebugMode and Flight Recorder, with the numbers the fixtures were built with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTraceFile, TraceReadError } from '../../../extension/core/trace/read';
import { matchCollectives } from '../../../extension/core/trace/match';
import { commDebugOp, commDebugTotals } from '../../../extension/core/trace/comm-debug-mode';
import { readFileSync } from 'node:fs';
import type { HangReport, LoadedTrace, Trace, TraceExtras } from '../../../extension/core/trace/types';

const F = 'test/fixtures/trace';
function timeline(l: LoadedTrace): Trace & TraceExtras {
  assert.equal(l.kind, 'timeline');
  return (l as { trace: Trace & TraceExtras }).trace;
}

test('new Kineto: ranks from distributedInfo, ops from Collective name, bytes, shared clock', async () => {
  const t = timeline(await readTraceFile([`${F}/kineto-new/rank0.json`, `${F}/kineto-new/rank1.json`]));
  assert.deepEqual(t.ranks, [0, 1]);
  const colls = t.events.filter((e) => e.cat === 'collective');
  assert.equal(colls.length, 6);
  const r0 = colls.filter((e) => e.rank === 0);
  assert.deepEqual(r0.map((e) => e.op), ['all_gather', 'all_reduce', 'reduce_scatter']);
  // all_gather counts its output: 2048 bf16; all_reduce its input: 4096 bf16; reduce_scatter its input 2048.
  assert.deepEqual(r0.map((e) => e.bytes), [4096, 8192, 4096]);
  assert.deepEqual(r0.map((e) => e.seq), [12, 13, 14]);
  assert.equal(r0[0].name, 'ncclDevKernel_AllGather_RING_LL');
  // Both ranks write the same absolute times on different clock bases: rank 1 is exactly 5 µs behind.
  const r1 = colls.filter((e) => e.rank === 1);
  r0.forEach((e, i) => assert.ok(Math.abs(r1[i].ts - e.ts - 5) < 1e-6, `${r1[i].ts} vs ${e.ts}`));
  assert.equal(t.events.filter((e) => e.cat === 'compute').length, 4);
  assert.equal(t.events.filter((e) => e.cat === 'memcpy')[0].bytes, 4096);
  assert.deepEqual(t.steps?.map((s) => [s.rank, s.step]), [[0, 3], [1, 3]]);
  const m = matchCollectives(t);
  assert.equal(m.length, 3);
  for (const x of m) {
    assert.equal(x.key, 'comm-id');
    assert.equal(x.uncertain, false);
    assert.ok(Math.abs(x.skewUs - 5) < 1e-6);
    assert.equal(x.straggler, 1);
  }
});

test('old Kineto (.json.gz, absolute µs, ncclKernel_ names, metadata only on record_param_comms): matched by group order, uncertain', async () => {
  const t = timeline(await readTraceFile(`${F}/kineto-old`));
  assert.deepEqual(t.ranks, [0, 1, 2, 3]);
  const r2 = t.events.filter((e) => e.rank === 2 && e.cat === 'collective');
  assert.deepEqual(r2.map((e) => e.op), ['all_reduce', 'broadcast', 'all_reduce']);
  assert.deepEqual(r2.map((e) => e.bytes), [1048576, 4194304, 1048576]);
  assert.deepEqual(r2[0].group, [0, 1, 2, 3]);
  assert.equal(r2[0].ts, 120); // 100 µs after the step, plus rank 2's 20 µs lag
  const m = matchCollectives(t);
  assert.equal(m.length, 3);
  assert.ok(m.every((x) => x.key === 'group-order' && x.uncertain && x.events.length === 4 && x.straggler === 3 && x.skewUs === 30));
});

test('tensorboard_trace_handler folder: host_pid names, rank from distributedInfo, two steps per rank', async () => {
  const t = timeline(await readTraceFile(`${F}/tb-folder`));
  assert.deepEqual(t.ranks, [0, 1]);
  assert.deepEqual(t.steps?.map((s) => `${s.rank}:${s.step}`), ['0:1', '1:1', '0:2', '1:2']);
  const a2a = t.events.filter((e) => e.op === 'all_to_all');
  assert.equal(a2a.length, 4);
  const step2 = t.steps!.find((s) => s.step === 2 && s.rank === 0)!;
  assert.equal(step2.ts, 10000);
  const m = matchCollectives(t);
  assert.deepEqual(m.map((x) => [x.key, x.seq, x.skewUs, x.straggler]), [['seq', 1, 3, 1], ['seq', 2, 3, 1]]);
});

test('our trace JSON: lanes by thread_name, predicted apart, plan entries kept', async () => {
  const t = timeline(await readTraceFile(`${F}/shardscope-2rank.json`));
  assert.equal(t.meta.origin, 'shardscope');
  assert.equal(t.meta.model, 'llama-tiny');
  assert.equal(t.events.length, 8);
  const pred = t.events.filter((e) => e.source === 'predicted');
  assert.deepEqual(pred.map((e) => [e.rank, e.lane]), [[0, 'comm'], [1, 'comm']]);
  assert.equal(t.events[0].entry?.line, 7);
  const m = matchCollectives(t);
  const ar = m.find((x) => x.op === 'all_reduce' && t.events[x.events[0].index].source === 'measured')!;
  assert.equal(ar.key, 'seq');
  assert.equal(ar.skewUs, 20);
  assert.equal(ar.straggler, 1);
});

test('CommDebugMode dump from real PyTorch: counts per module and pass as PyTorch counted them, types, placements, totals', async () => {
  const l = await readTraceFile(`${F}/comm_debug_mode_torch.json`);
  assert.equal(l.kind, 'comm-debug-mode');
  if (l.kind !== 'comm-debug-mode') return;
  // PyTorch's own counts from the same run (comm_module_counts and get_comm_counts), op names as it prints them
  const expected = JSON.parse(readFileSync(`${F}/comm_debug_mode_torch.expected.json`, 'utf8')) as {
    torch: string; totals: Record<string, number>; modules: Record<string, { forward: Record<string, number>; backward: Record<string, number> }>;
  };
  const canon = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [commDebugOp(k), v]));
  assert.deepEqual(l.modules.map((m) => m.fqn).sort(), Object.keys(expected.modules).sort());
  for (const m of l.modules) {
    assert.deepEqual(m.forward, canon(expected.modules[m.fqn].forward), `${m.fqn} forward`);
    assert.deepEqual(m.backward, canon(expected.modules[m.fqn].backward), `${m.fqn} backward`);
  }
  assert.deepEqual(commDebugTotals(l.modules), canon(expected.totals));
  // the numbers themselves: 2 blocks × (o_proj + down_proj) + the embedding = 5 all-reduces forward and the
  // lm_head's all-gather; backward 2 × (q, k, v, up) + lm_head = 9 all-reduces
  assert.deepEqual(commDebugTotals(l.modules), { all_reduce: 14, all_gather: 1 });
  const byFqn = new Map(l.modules.map((m) => [m.fqn, m]));
  assert.deepEqual(byFqn.get('Model.layers.1.self_attn')!.backward, { all_reduce: 3 });
  assert.equal(byFqn.get('Model.layers.1.self_attn')!.depth, 3);
  assert.equal(byFqn.get('Model.lm_head')!.moduleType, 'Linear');
  assert.deepEqual(byFqn.get('Model.layers.0.mlp.down_proj')!.parameters, [{ name: 'weight', placements: '(Shard(dim=1),)' }]);
  assert.deepEqual(l.modules.slice(0, 3).map((m) => [m.fqn, m.depth]), [['Global', 0], ['Model', 1], ['Model.embed_tokens', 2]]);
});

test('Flight Recorder dumps: rank 3 never entered collective 5, ranks 0-2 never finished it', async () => {
  const l = await readTraceFile(`${F}/flight-recorder`);
  assert.equal(l.kind, 'flight-recorder');
  if (l.kind !== 'flight-recorder') return;
  assert.deepEqual(l.report.ranks, [0, 1, 2, 3]);
  assert.deepEqual(l.report.findings, [{ pg: '0', seq: 5, op: 'all_reduce', entered: [0, 1, 2], missing: [3], notCompleted: [0, 1, 2] }]);
});

test('Flight Recorder from real PyTorch (gloo, 4 ranks): pickled dumps as written by default, rank 3 never entered all_reduce 4', async () => {
  const expected = JSON.parse(readFileSync(`${F}/flight-recorder-torch/expected.json`, 'utf8')) as {
    ranks: Record<string, { process_group: [string, string]; collective_seq_id: number; profiling_name: string; input_sizes: number[][]; time_created_ns: number }[]>;
  };
  const l = await readTraceFile(`${F}/flight-recorder-torch/pickle`);
  assert.equal(l.kind, 'flight-recorder');
  if (l.kind !== 'flight-recorder') return;
  const report: HangReport = l.report;
  assert.deepEqual(report.ranks, [0, 1, 2, 3]);
  // every entry Python's pickle read, read here the same
  for (const [rank, entries] of Object.entries(expected.ranks)) {
    const mine = report.records.filter((r) => r.rank === Number(rank));
    assert.deepEqual(mine.map((r) => [r.pg, r.pgDesc, r.seq, r.inputSizes, r.timeCreatedNs]),
      entries.map((e) => [e.process_group[0], e.process_group[1], e.collective_seq_id, e.input_sizes, e.time_created_ns]), `rank ${rank}`);
    assert.deepEqual(mine.map((r) => r.op), entries.map((e) => ({ 'gloo:all_reduce': 'all_reduce', 'gloo:all_gather': 'all_gather', 'gloo:broadcast': 'broadcast' } as Record<string, string>)[e.profiling_name]));
  }
  // gloo leaves entries "scheduled"; pg_status says 1-3 completed. Group 1 (ranks 0 and 1) is not judged
  // against ranks 2 and 3, which never created it.
  assert.deepEqual(l.report.findings, [{ pg: '0', seq: 4, op: 'all_reduce', entered: [0, 1, 2], missing: [3], notCompleted: [0, 1, 2] }]);
  // the JSON form of the same recorders (dumped a moment later) names the same missing rank
  const j = await readTraceFile(`${F}/flight-recorder-torch/json`);
  assert.equal(j.kind, 'flight-recorder');
  if (j.kind !== 'flight-recorder') return;
  assert.deepEqual(j.report.findings.map((f) => [f.pg, f.seq, f.op, f.entered, f.missing]), [['0', 4, 'all_reduce', [0, 1, 2], [3]]]);
});

test('a pickle that would run code is refused with a located error', async () => {
  await assert.rejects(readTraceFile(`${F}/pickle/refused_reduce.pkl`), (e: Error) => e instanceof TraceReadError && /refused_reduce\.pkl:1:\d+: not a Flight Recorder pickle: refused opcode GLOBAL/.test(e.message));
});

test('bad input: a located error, never a stack trace', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'ss-trace-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"traceEvents": [\n  {"ph": "X", "ts": 1},\n  {"ph": "X" "ts": 2}\n]}');
  await assert.rejects(readTraceFile(bad), (e: Error) => e instanceof TraceReadError && e.message.startsWith(`${bad}:3:14: invalid JSON: expected ','`));
  const notTrace = join(dir, 'x.json');
  writeFileSync(notTrace, '{"hello": 1}');
  await assert.rejects(readTraceFile(notTrace), (e: Error) => e instanceof TraceReadError && e.message.startsWith(`${notTrace}:1:1: expected a trace`));
  await assert.rejects(readTraceFile(join(dir, 'missing.json')), /missing\.json:1:1: no such file/);
});
