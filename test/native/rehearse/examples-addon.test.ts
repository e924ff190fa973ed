// Every example's lowered programs (a dense and a MoE layer where the model has both, forward and, for
// training plans, backward) run whole on the addon's CPU backend — weights generated in C++ — and on the
// JS interpreter; every op's output on every rank agrees. The interpreter reuses the addon's routing, so
// near-ties cannot send tokens to other experts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childPath, addonBuilt } from '../runtime/helpers';
import { runPrograms } from '../../../extension/runtime';
import { interpret, relError, type RankPrograms, type Routing } from '../../../extension/core/lower';
import { EXAMPLES, programsOf } from './helpers';

/** Runs `programs` on the addon and the interpreter and compares every op's outputs on every rank. */
async function agree(programs: RankPrograms, routing?: Routing): Promise<{ ops: number; routing: Routing }> {
  const outs = [...new Set(programs.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs.map((id) => `${r.rank}/${id}`))))];
  const wire = routing ? Object.fromEntries([...routing].map(([k, v]) => [k, v])) : undefined;
  const native = await runPrograms(programs, { backend: 'cpu', timeoutMs: 60000, outputs: outs, routing: wire, childPath: childPath() });
  assert.ok(native.report.ok, JSON.stringify(native.report));
  // The addon's routing, for the interpreter (and for the sharded run when this is the reference).
  const made: Routing = routing ?? new Map();
  if (!routing)
    for (const op of programs.ranks[0].ops)
      if (op.op === 'topk' && typeof op.attrs?.routingKey === 'string')
        made.set(op.attrs.routingKey, { idx: native.outputs[`0/${op.outs[0]}`] as Float32Array, weights: native.outputs[`0/${op.outs[1]}`] as Float32Array });
  const js = interpret(programs, { trace: false, routing: new Map(made) });
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
  const ops = programs.ranks.reduce((a, r) => a + r.ops.length, 0);
  assert.equal(native.events.length, ops, 'one event per op per rank');
  return { ops, routing: made };
}

for (const file of EXAMPLES)
  test(`${file}: the addon and the JS interpreter agree op by op (reference and sharded programs)`, { skip: !addonBuilt() && 'the addon is not built' }, async () => {
    const { sharded, reference } = programsOf(file);
    const kinds = new Set(sharded.ranks.flatMap((r) => r.ops.map((o) => o.op)));
    assert.ok(kinds.has('attention') && kinds.has('gemm'), [...kinds].join(', '));
    const ref = await agree(reference);
    const run = await agree(sharded, ref.routing.size ? ref.routing : undefined);
    assert.ok(run.ops > 20 * sharded.worldSize);
  });
