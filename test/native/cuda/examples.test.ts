// Every example's lowered decoder layers (a dense and a MoE layer where the model has both; backward
// for training plans) run on the CUDA backend and on the CPU backend with the same numbers, op by op,
// rank by rank. The routing of the reference run is reused by both, as rehearsals do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relError } from '../../../extension/core/lower';
import { EXAMPLES, programsOf } from '../rehearse/helpers';
import { runCpu, runCuda, target } from './target';

for (const file of EXAMPLES)
  test(`${file}: the CUDA backend agrees with the CPU backend on every op's output`, async (t) => {
    const { sharded, reference } = programsOf(file);
    const gpus = await target({ gpus: sharded.worldSize });
    if (gpus.gpus < sharded.worldSize) return t.skip(`needs ${sharded.worldSize} GPUs`);
    // The reference's routing, as a rehearsal passes it to the sharded run.
    const refOuts = reference.ranks[0].ops.filter((o) => o.op === 'topk' && typeof o.attrs?.routingKey === 'string');
    const ref = await runCpu(reference, { outputs: refOuts.flatMap((o) => o.outs.map((id) => `0/${id}`)), timeoutMs: 60000 });
    assert.ok(ref.report.ok, ref.report.message);
    const routing = Object.fromEntries(refOuts.map((o) => [o.attrs!.routingKey as string, { idx: ref.outputs[`0/${o.outs[0]}`] as Float32Array, weights: ref.outputs[`0/${o.outs[1]}`] as Float32Array }]));
    const outputs = [...new Set(sharded.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs.map((id) => `${r.rank}/${id}`))))];
    const opts = { outputs, routing, timeoutMs: 60000 };
    const cpu = await runCpu(sharded, opts);
    const gpu = await runCuda(sharded, gpus, opts);
    assert.ok(cpu.report.ok, cpu.report.message);
    assert.ok(gpu.report.ok, gpu.report.message);
    for (const r of sharded.ranks)
      r.ops.forEach((op, i) => {
        for (const id of op.outs) {
          const err = relError(gpu.outputs[`${r.rank}/${id}`] as Float32Array, cpu.outputs[`${r.rank}/${id}`] as Float32Array);
          assert.ok(err < 1e-4, `rank ${r.rank} op ${i} (${op.op} ${op.label.module ?? ''}): ${id} differs by ${err}`);
        }
      });
    assert.equal(gpu.events.length, cpu.events.length);
    // The model ops with a CUDA path took it (the routed topk and the dispatch packing stay on the host).
    for (const name of ['attention', 'attention_backward', 'experts', 'rope', 'gemm', 'rmsnorm', 'slice']) assert.ok(!gpu.hostOps?.includes(name), `${name} ran on the host: ${gpu.hostOps}`);
  });
