// An executor that runs every program a rehearsal hands it on the CPU backend first and then on the
// CUDA backend with the CPU's routing (as the rehearsal reuses the reference's), compares every op's
// output rank by rank, and returns the CUDA run. The rehearsal on top still compares the sharded run
// with its unsharded reference, so one rehearsal checks both backends and the plan.
import { relError, type RankPrograms } from '../../extension/core/lower';
import type { Executor, ExecuteRequest, ExecuteResult } from '../../extension/core/rehearse';
import { nativeExecutor } from '../../extension/runtime';
import type { GpuTarget } from './target';

export interface OpComparison {
  rank: number;
  op: number;
  name: string;
  module?: string;
  buffer: string;
  relError: number;
}

export interface BackendComparison {
  /** One entry per program run (the reference, then the sharded layers, in the rehearsal's order). */
  runs: { ranks: number; ops: number; compared: number; worst?: OpComparison; failures: OpComparison[]; hostOps: string[] }[];
}

/** Op names the CUDA backend runs on the device; any of them in a run's host list is a failure. */
export const DEVICE_OPS = ['attention', 'attention_backward', 'experts', 'rope', 'gemm', 'rmsnorm', 'slice', 'silu_mul', 'add', 'scale', 'copy', 'softmax', 'concat'];

/** The host ops a CUDA run's notes list (the native executor says "on the GPUs, a, b ran on the host …"). */
export function hostOpsOf(notes: string[] | undefined): string[] {
  const out: string[] = [];
  for (const n of notes ?? []) {
    if (!n.includes('ran on the host')) continue;
    const m = /^on the GPUs, (.+) ran on the host/.exec(n);
    if (!m) throw new Error(`a note about host ops this check cannot read: ${n}`);
    out.push(...m[1].split(', '));
  }
  return out;
}

function allOutputs(p: RankPrograms): string[] {
  return [...new Set(p.ranks.flatMap((r) => r.ops.flatMap((o) => o.outs)))];
}

export function bothBackends(t: GpuTarget, tolerance: number): { executor: Executor; comparison: BackendComparison } {
  const gpu = nativeExecutor({ childPath: t.childPath, libraryDirs: t.libraryDirs, env: t.env, timeoutMs: 120000, prestart: false });
  const cpu = nativeExecutor({ childPath: t.childPath, timeoutMs: 120000, prestart: false });
  const comparison: BackendComparison = { runs: [] };
  const executor: Executor = {
    name: 'the native addon (CUDA, checked against the CPU backend)',
    gpus: gpu.gpus,
    async execute(req: ExecuteRequest): Promise<ExecuteResult> {
      const outputs = [...new Set([...req.outputs, ...allOutputs(req.programs)])];
      const c = await cpu.execute({ ...req, backend: 'cpu', outputs, trace: false, onEvent: undefined, onLog: undefined });
      const g = await gpu.execute({ ...req, backend: 'cuda', outputs, routing: req.routing ?? c.routing });
      const run: BackendComparison['runs'][number] = { ranks: req.programs.worldSize, ops: 0, compared: 0, failures: [], hostOps: hostOpsOf(g.notes) };
      for (const r of req.programs.ranks)
        r.ops.forEach((op, i) => {
          run.ops++;
          for (const id of op.outs) {
            const a = g.buffers[r.rank].get(id), b = c.buffers[r.rank].get(id);
            if (!a || !b) throw new Error(`rank ${r.rank} op ${i} (${op.op}): buffer ${id} did not come back from the ${a ? 'CPU' : 'CUDA'} run`);
            const cmp: OpComparison = { rank: r.rank, op: i, name: op.op, module: op.label.module, buffer: id, relError: relError(a, b) };
            run.compared++;
            if (!run.worst || !(cmp.relError <= run.worst.relError)) run.worst = cmp;
            if (!(cmp.relError < tolerance)) run.failures.push(cmp);
          }
        });
      comparison.runs.push(run);
      return g;
    },
  };
  return { executor, comparison };
}
