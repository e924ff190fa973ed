// Multi-head latent attention on the addon's CPU backend: the ops MLA is composed of (reshaping copies,
// slices by start, concat of one rotary key repeated over the heads, rope, attention with a value head
// dim apart and a softmax scale) agree with the JS interpreter op by op, and DeepSeek-V3 rehearses
// through the runtime child with matching numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { childPath, addonBuilt } from '../runtime/helpers';
import { runPrograms, nativeExecutor } from '../../../extension/runtime';
import { lower, interpret, relError, type RankPrograms, type Routing } from '../../../extension/core/lower';
import { loadModel } from '../../../extension/core/models';
import { bindPlan, planInputsFromDocument } from '../../../extension/core/analysis';
import { parsePlanSource } from '../../../extension/core/plan';
import { rehearse } from '../../../extension/core/rehearse';

const skip = !addonBuilt() && 'the addon is not built';

async function agree(programs: RankPrograms, routing?: Routing): Promise<void> {
  const outs = [...new Set(programs.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs.map((id) => `${r.rank}/${id}`))))];
  const native = await runPrograms(programs, { backend: 'cpu', timeoutMs: 60000, outputs: outs, routing: routing && Object.fromEntries(routing), childPath: childPath() });
  assert.ok(native.report.ok, JSON.stringify(native.report));
  const js = interpret(programs, { trace: false, routing: routing && new Map(routing) });
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
}

function lowered(file: string) {
  const doc = parsePlanSource(file, readFileSync(file, 'utf8'));
  const graph = loadModel(doc.model!.ref as string, dirname(resolve(file)));
  const n = doc.mesh!.dims[0].size;
  const tokens = 8;
  const layers = doc.run?.layers ?? [0];
  const bound = bindPlan(graph, planInputsFromDocument(doc, graph), { dims: [{ name: 'tp', size: n }] }, { run: { batch: 1, seqLen: tokens, mode: 'inference' } });
  const ref = lower({ graph, layers, tokens });
  const sharded = lower({ graph, sharded: bound, layers, tokens });
  return { ref, sharded };
}

test('MLA sharded by heads on 4 ranks: addon and interpreter agree op by op (reference and sharded)', { skip }, async () => {
  const { ref, sharded } = lowered('test/fixtures/lower/mla-tp.shardplan.json');
  const ops = new Set(sharded.programs.ranks[0].ops.map((o) => o.op));
  for (const op of ['rope', 'concat', 'slice', 'copy', 'attention'] as const) assert.ok(ops.has(op), `no ${op} op`);
  const refRun = interpret(ref.programs, { trace: false });
  await agree(ref.programs, refRun.routing);
  await agree(sharded.programs, refRun.routing);
});

test('MLA without a query LoRA, rotating halves (rope_interleave false): addon and interpreter agree', { skip }, async () => {
  const { ref, sharded } = lowered('test/fixtures/lower/mla-q-proj.shardplan.json');
  assert.equal(sharded.programs.ranks[0].ops.find((o) => o.op === 'rope')?.attrs?.interleaved, false);
  await agree(ref.programs);
  await agree(sharded.programs);
});

test('DeepSeek-V3 (ep plan, layers 0 and 3) rehearses on the addon with matching numbers', { skip }, async () => {
  const r = await rehearse('examples/deepseek-v3/ep.shardplan.json', { executor: nativeExecutor({ childPath: childPath() }), widthScale: 16 });
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.ok(r.maxRelError <= 1e-5, `error ${r.maxRelError}`);
  assert.ok(!r.notes.some((n) => /JS interpreter/.test(n)), r.notes.join('\n'));
  assert.ok(r.modules.some((m) => m.module === 'model.layers.3.self_attn' && m.relError <= 1e-5));
});
