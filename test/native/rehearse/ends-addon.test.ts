// The model's ends (embedding lookup, loss_parallel cross-entropy) and the all-to-all expert dispatch run
// on the addon's CPU backend (native/src/ops_dispatch.cc, all_to_all_v) and agree with the JS interpreter
// op by op on every rank; the sharded loss equals the reference loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childPath, addonBuilt } from '../runtime/helpers';
import { runPrograms } from '../../../extension/runtime';
import { interpret, relError, type RankPrograms, type Routing } from '../../../extension/core/lower';
import { lowerPlan } from '../../unit/lower/ends-helpers';

const skip = !addonBuilt() && 'the addon is not built';

async function agree(programs: RankPrograms, routing: Routing): Promise<Record<string, Float32Array | Int32Array>> {
  const outs = [...new Set(programs.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs.map((id) => `${r.rank}/${id}`))))];
  const native = await runPrograms(programs, { backend: 'cpu', timeoutMs: 60000, outputs: outs, routing: Object.fromEntries(routing), childPath: childPath() });
  assert.ok(native.report.ok, JSON.stringify(native.report));
  const js = interpret(programs, { trace: false, routing: new Map(routing) });
  for (const r of programs.ranks)
    r.ops.forEach((op, i) => {
      for (const id of op.outs) {
        const a = native.outputs[`${r.rank}/${id}`] as Float32Array;
        const b = js.buffers[r.rank].get(id)!;
        assert.ok(a && b, `rank ${r.rank} op ${i} (${op.op}): output ${id} missing`);
        const err = relError(a, b);
        assert.ok(err < 1e-5, `rank ${r.rank} op ${i} (${op.op} ${op.label.module ?? ''}): ${id} differs by ${err}`);
      }
    });
  assert.equal(native.events.length, programs.ranks.reduce((a, r) => a + r.ops.length, 0), 'one event per op per rank');
  return native.outputs as Record<string, Float32Array | Int32Array>;
}

test('vocab-parallel embedding and the loss from gathered logits: addon and interpreter agree op by op', { skip }, async () => {
  const { ref, refRun, sharded } = lowerPlan('test/fixtures/lower/embed-rowwise.shardplan.json', { tail: true, loss: true });
  assert.ok(sharded.programs.ranks[0].ops.some((o) => o.op === 'embedding'));
  await agree(ref.programs, refRun.routing);
  await agree(sharded.programs, refRun.routing);
});

test('loss_parallel on the addon: three all-reduces (one of them max) and a loss equal to the reference', { skip }, async () => {
  const { ref, refRun, sharded } = lowerPlan('examples/llama-3-8b/tp-sp.shardplan.json', { tail: true, loss: true, layers: [0] });
  const refOut = await agree(ref.programs, refRun.routing);
  const out = await agree(sharded.programs, refRun.routing);
  const loss = out[`5/${sharded.final.buffer}`][0];
  const want = refOut[`0/${ref.final.buffer}`][0];
  assert.ok(Math.abs(loss - want) <= 1e-5 * Math.abs(want), `${loss} vs ${want}`);
});

test('all-to-all dispatch on the addon: uneven all_to_all_v, experts on received rows, backward exchanges', { skip }, async () => {
  const { refRun, sharded } = lowerPlan('test/fixtures/rehearse/ep-dispatch.shardplan.json', { routing: true, backward: true });
  assert.ok(sharded.programs.ranks[0].ops.filter((o) => o.op === 'all_to_all_v').length >= 6);
  await agree(sharded.programs, refRun.routing);
});
