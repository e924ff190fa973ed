// A rehearsal trace names the plan file its events came from, so that the panel can rebuild the Shapes tab
// when the trace is opened on its own; a profiler's trace names none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTraceFile } from '../../../extension/core/trace/read';
import { planFileOfTrace } from '../../../extension/core/trace/panel-host';
import { rehearse, chromeTrace } from '../../../extension/core/rehearse';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trace } from '../../../extension/core/trace/types';

const timeline = async (p: string | string[]): Promise<Trace> => {
  const l = await readTraceFile(p);
  assert.equal(l.kind, 'timeline');
  return (l as { trace: Trace }).trace;
};

test('a saved rehearsal trace names its plan; a Kineto trace names none', async () => {
  assert.equal(planFileOfTrace(await timeline('test/fixtures/trace/shardscope-2rank.json')), 'plan.shardplan.json');
  assert.equal(planFileOfTrace(await timeline(['test/fixtures/trace/kineto-new/rank0.json', 'test/fixtures/trace/kineto-new/rank1.json'])), undefined);
});

test('a rehearsal written to disk and read back still names the plan it rehearsed', async () => {
  const plan = 'examples/llama-3-8b/tp.shardplan.json';
  const r = await rehearse(plan, { budgetElements: 1.5e6, layers: [0] });
  const out = join(mkdtempSync(join(tmpdir(), 'ss-trace-')), 'run.trace.json');
  writeFileSync(out, JSON.stringify(chromeTrace(r.trace)));
  assert.equal(planFileOfTrace(await timeline(out)), plan);
});
