// The collective summary (panel table, CSV, CLI) and the Chrome-trace export, with hand-computed numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTraceFile } from '../../../extension/core/trace/read';
import { summarizeCollectives, summaryToCsv } from '../../../extension/core/trace/summary';
import { toChromeTrace, ChromeTraceBuilder } from '../../../extension/core/trace/chrome-trace';
import { busBwGbps, canonicalOp, opFromKernel } from '../../../extension/core/trace/ops';
import { main } from '../../../extension/cli/main';
import type { Trace } from '../../../extension/core/trace/types';

const OURS = 'test/fixtures/trace/shardscope-2rank.json';
async function ours(): Promise<Trace> {
  const l = await readTraceFile(OURS);
  assert.equal(l.kind, 'timeline');
  return (l as { trace: Trace }).trace;
}

test('summary of our trace: measured only, count per rank, busiest rank time, mean busbw, worst skew', async () => {
  const s = summarizeCollectives(await ours());
  assert.deepEqual(s.ranks, [0, 1]);
  // all_reduce 8 MiB: rank 0 50 µs → 167.772 GB/s, rank 1 30 µs → 279.620 GB/s (factor 2(n-1)/n = 1).
  // all_gather 4 MiB in 30 µs, factor 1/2 → 69.905 GB/s on both. Skews: 20 µs and 4 µs.
  assert.deepEqual(s.collectives, [
    { op: 'all_reduce', count: 1, total_us: 50, mean_busbw_gbps: 223.696, max_skew_us: 20 },
    { op: 'all_gather', count: 1, total_us: 30, mean_busbw_gbps: 69.905, max_skew_us: 4 },
  ]);
  assert.equal(summaryToCsv(s), 'op,count,total_us,mean_busbw_gbps,max_skew_us\nall_reduce,1,50,223.696,20\nall_gather,1,30,69.905,4\n');
});

test('a purely predicted trace is summarised from its predictions', async () => {
  const t = await ours();
  const pred: Trace = { ...t, events: t.events.filter((e) => e.source === 'predicted') };
  assert.deepEqual(summarizeCollectives(pred).collectives.map((c) => [c.op, c.count, c.total_us, c.max_skew_us]), [['all_reduce', 1, 40, 0]]);
});

test('toChromeTrace: pid = rank with "rank N", lanes as tids, X events with args; reads back the same', async () => {
  const t = await ours();
  const c = toChromeTrace(t);
  assert.deepEqual(c.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args?.name), ['rank 0', 'rank 1']);
  const ar = c.traceEvents.find((e) => e.ph === 'X' && e.name === 'all_reduce' && e.pid === 1 && e.args?.source === 'measured')!;
  assert.deepEqual(ar.args, { op: 'all_reduce', source: 'measured', bytes: 8388608, group: [0, 1], seq: 0, entry: { key: 'layers.*.self_attn.o_proj', file: 'plan.shardplan.json', line: 7 }, layer: 0, pass: 'forward' });
  assert.equal(ar.ts, 150);
  assert.equal(c.shardscope.model, 'llama-tiny');
  const b = new ChromeTraceBuilder();
  const json = JSON.parse(JSON.stringify(c));
  b.topLevel('shardscope', json.shardscope);
  for (const e of json.traceEvents) b.event(e);
  const back = b.finish();
  assert.deepEqual(back.events, t.events);
  assert.deepEqual(back.ranks, t.ranks);
});

test('op names from c10d and from both NCCL kernel generations', () => {
  assert.equal(canonicalOp('_allgather_base'), 'all_gather');
  assert.equal(canonicalOp('reduce_scatter_tensor_coalesced'), 'reduce_scatter');
  assert.equal(canonicalOp('alltoall_base'), 'all_to_all');
  assert.equal(canonicalOp('nccl:recv 3<-0'), 'send_recv');
  assert.equal(opFromKernel('ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, ncclWork*)'), 'all_reduce');
  assert.equal(opFromKernel('ncclDevKernel_ReduceScatter_Sum_f32_RING_LL(ncclDevKernelArgsStorage<4096ul>)'), 'reduce_scatter');
  assert.equal(opFromKernel('ncclDevKernel_SendRecv(ncclDevKernelArgsStorage<4096ul>)'), 'send_recv');
  assert.equal(opFromKernel('ncclDevKernel_Generic(x)'), 'nccl_generic');
  // nccl-tests: all_reduce of 1 GB in 1 ms on 8 ranks: algbw 1000 GB/s, busbw × 14/8.
  assert.equal(busBwGbps('all_reduce', 1e9, 1000, 8), 1750);
});

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('shardscope trace summary --json: the documented shape', async () => {
  const r = await cli(['trace', 'summary', 'test/fixtures/trace/kineto-new/rank0.json', 'test/fixtures/trace/kineto-new/rank1.json', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.ranks, [0, 1]);
  assert.deepEqual(j.collectives.map((c: { op: string; count: number; max_skew_us: number }) => [c.op, c.count, c.max_skew_us]), [['all_reduce', 1, 5], ['reduce_scatter', 1, 5], ['all_gather', 1, 5]]);
  const ar = j.collectives[0];
  assert.equal(ar.total_us, 100);
  assert.equal(ar.mean_busbw_gbps, 0.082); // 8192 B in 100 µs × 2·1/2
});

test('shardscope trace summary: table, folder, export-csv, hang report and errors', async () => {
  const t = await cli(['trace', 'summary', 'test/fixtures/trace/kineto-old']);
  assert.equal(t.code, 0);
  assert.match(t.out, /^ranks: 0, 1, 2, 3/);
  assert.match(t.out, /all_reduce\s+2\s+800\.0/);
  const csv = await cli(['trace', 'export-csv', OURS]);
  assert.equal(csv.out.split('\n')[1], 'all_reduce,1,50,223.696,20');
  const fr = await cli(['trace', 'summary', 'test/fixtures/trace/flight-recorder']);
  assert.equal(fr.code, 1);
  assert.match(fr.out, /group 0 collective 5 \(all_reduce\): ranks 3 never entered; ranks 0, 1, 2 did not complete/);
  const bad = await cli(['trace', 'summary', 'nope.json']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'nope.json:1:1: no such file or folder');
  const usage = await cli(['trace', 'frobnicate']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /expected "summary" or "export-csv"/);
});

test('shardscope trace summary: pickled Flight Recorder dumps, a refused pickle, CommDebugMode counts', async () => {
  const fr = await cli(['trace', 'summary', 'test/fixtures/trace/flight-recorder-torch/pickle', '--json']);
  assert.equal(fr.code, 1, 'a rank never entered a collective');
  assert.deepEqual(JSON.parse(fr.out), { ranks: [0, 1, 2, 3], hang: [{ pg: '0', seq: 4, op: 'all_reduce', entered: [0, 1, 2], missing: [3], notCompleted: [0, 1, 2] }] });
  const evil = await cli(['trace', 'summary', 'test/fixtures/trace/pickle/refused_reduce.pkl']);
  assert.equal(evil.code, 2);
  assert.match(evil.err, /^test\/fixtures\/trace\/pickle\/refused_reduce\.pkl:1:\d+: not a Flight Recorder pickle: refused opcode GLOBAL/);
  const cdm = await cli(['trace', 'summary', 'test/fixtures/trace/comm_debug_mode_torch.json']);
  assert.equal(cdm.code, 0, cdm.err);
  assert.equal(cdm.out.split('\n')[0], 'CommDebugMode totals (forward + backward): all_reduce 14, all_gather 1');
  assert.match(cdm.out, /\n {4}Model\.lm_head: forward all_gather 1; backward all_reduce 1(\n|$)/);
  const j = JSON.parse((await cli(['trace', 'summary', 'test/fixtures/trace/comm_debug_mode_torch.json', '--json'])).out);
  assert.deepEqual(j.commDebugMode.totals, { all_reduce: 14, all_gather: 1 });
  assert.deepEqual(j.commDebugMode.modules.find((m: { fqn: string }) => m.fqn === 'Model.layers.1.mlp'), { fqn: 'Model.layers.1.mlp', forward: { all_reduce: 1 }, backward: { all_reduce: 1 } });
});
