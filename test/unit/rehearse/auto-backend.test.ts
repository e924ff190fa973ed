// Backend 'auto': all visible GPUs when there are enough for the plan's group, else the CPU, said in the
// verdict; the detected links pick the predicted collective times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearse, interpreterExecutor, type Executor, type GpuAvailability } from '../../../extension/core/rehearse';

const PLAN = 'examples/llama-3-8b/tp.shardplan.json';
const small = { layers: [0], budgetElements: 1.5e6, backward: false };

/** The interpreter standing in for a machine with the given GPUs; records the backend each run asked for. */
function machine(g: GpuAvailability): { executor: Executor; asked: string[] } {
  const asked: string[] = [];
  return { asked, executor: { name: 'a test machine', gpus: async () => g, execute: (req) => (asked.push(req.backend), interpreterExecutor.execute(req)) } };
}

test('auto runs on the GPUs when enough are visible, and predicts collectives from their links', async () => {
  const nv = machine({ count: 8, links: { pairs: [] } });
  const r = await rehearse(PLAN, { ...small, backend: 'auto', executor: nv.executor });
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.equal(r.backend, 'cuda');
  assert.deepEqual([...new Set(nv.asked)], ['cuda']);
  assert.ok(r.notes.some((n) => /on 8 of the 8 visible GPUs/.test(n)), r.notes.join('\n'));
  // Pairs not listed count as PCIe, so the same run predicts slower all-reduces than over NVLink.
  const linked = machine({ count: 8, links: { pairs: Array.from({ length: 8 }, (_, a) => Array.from({ length: 8 }, (_, b) => ({ a, b, link: 'nvlink' as const }))).flat().filter((p) => p.a < p.b) } });
  const fast = await rehearse(PLAN, { ...small, backend: 'auto', executor: linked.executor });
  const predicted = (x: typeof r) => x.trace.events.filter((e) => e.source === 'predicted' && e.name === 'all_reduce').reduce((a, e) => a + e.dur, 0);
  assert.ok(predicted(r) > predicted(fast), `PCIe ${predicted(r)} µs vs NVLink ${predicted(fast)} µs`);
});

test('auto falls back to the CPU with the reason when GPUs are missing or too few', async () => {
  const none = machine({ count: 0, reason: 'cuInit failed: no CUDA-capable device is detected' });
  const r = await rehearse(PLAN, { ...small, backend: 'auto', executor: none.executor });
  assert.equal(r.backend, 'cpu');
  assert.deepEqual([...new Set(none.asked)], ['cpu']);
  assert.ok(r.notes.some((n) => /no GPU to run on \(cuInit failed: no CUDA-capable device is detected\): ran on the CPU backend/.test(n)), r.notes.join('\n'));
  const few = machine({ count: 2 });
  const r2 = await rehearse(PLAN, { ...small, backend: 'auto', executor: few.executor });
  assert.equal(r2.backend, 'cpu');
  assert.ok(r2.notes.some((n) => /2 GPU\(s\) visible for 8 ranks/.test(n)), r2.notes.join('\n'));
});

test('an explicit cpu backend never asks for GPUs', async () => {
  let asked = false;
  const ex: Executor = { name: 'x', gpus: async () => ((asked = true), { count: 8 }), execute: interpreterExecutor.execute };
  const r = await rehearse(PLAN, { ...small, backend: 'cpu', executor: ex });
  assert.equal(r.backend, 'cpu');
  assert.equal(asked, false);
});
