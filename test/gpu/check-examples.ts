// Step "examples" of test/gpu/run.sh: every example plan rehearsed on the CUDA backend with the group
// that fits the GPUs (examples-plan.ts), each program it runs also run on the CPU backend and compared
// op by op (both-backends.ts), the verdict against the unsharded reference required to be a match, the
// model ops required on the device; then every collective over one NCCL communicator of all the GPUs.
// Writes parts/examples.json; exit 1 when anything disagrees.
import { rehearse } from '../../extension/core/rehearse';
import { bothBackends, DEVICE_OPS } from './both-backends';
import { checkCollectives } from './collectives-check';
import { examplePlans } from './examples-plan';
import { gpuTarget, main, outDir, writePart } from './target';

const TOLERANCE = 1e-4;

main('examples', async () => {
  const out = outDir();
  const t = await gpuTarget();
  const results = [];
  let failed = 0;
  for (const ex of examplePlans(t.gpus)) {
    const t0 = performance.now();
    const { executor, comparison } = bothBackends(t, TOLERANCE);
    const problems: string[] = [];
    let r;
    try {
      r = await rehearse(ex.source, { backend: 'cuda', executor, budgetElements: t.small ? 1.5e6 : 6e6 });
    } catch (e) {
      problems.push(`rehearsal threw: ${(e as Error).message}`);
    }
    if (r && r.verdict !== 'match') problems.push(`verdict ${r.verdict}: ${JSON.stringify(r.firstMismatch ?? r.error)}`);
    if (r && r.backend !== 'cuda') problems.push(`ran on ${r.backend}`);
    if (r && !comparison.runs.length) problems.push('no program reached the executor');
    for (const run of comparison.runs) {
      for (const f of run.failures.slice(0, 3)) problems.push(`${run.ranks}-rank run, rank ${f.rank} op ${f.op} (${f.name} ${f.module ?? ''}): ${f.buffer} differs from the CPU backend by ${f.relError}`);
      const onHost = run.hostOps.filter((o) => DEVICE_OPS.includes(o));
      if (onHost.length) problems.push(`${onHost.join(', ')} ran on the host`);
    }
    if (problems.length) failed++;
    const row = {
      file: ex.file,
      planGroup: `${ex.planGroup.name}=${ex.planGroup.size}`,
      ranks: ex.ranks,
      why: ex.ranks < ex.planGroup.size ? `${ex.planGroup.name}=${ex.ranks}: the plan's group of ${ex.planGroup.size} needs ${ex.planGroup.size} GPUs, ${t.gpus} visible` : undefined,
      mode: ex.mode,
      verdict: r?.verdict ?? 'error',
      referenceRelError: r?.maxRelError,
      widthScale: r?.widthScale,
      layers: r?.layers,
      tokens: r?.tokens,
      runs: comparison.runs.map((x) => ({ ranks: x.ranks, ops: x.ops, outputsCompared: x.compared, worstRelErrorVsCpu: x.worst?.relError, worstOp: x.worst && `${x.worst.name} ${x.worst.module ?? ''}`.trim(), hostOps: x.hostOps })),
      notes: r?.notes,
      seconds: (performance.now() - t0) / 1e3,
      status: problems.length ? 'failed' : 'ok',
      problems,
    };
    results.push(row);
    console.log(`${row.status === 'ok' ? 'ok    ' : 'FAILED'} ${ex.file} on ${ex.ranks} GPU(s)${row.why ? ` (${row.why})` : ''}: verdict ${row.verdict}, ${row.runs.map((x) => `${x.outputsCompared} outputs vs CPU, worst ${x.worstRelErrorVsCpu?.toExponential(1)}`).join('; ')}, host ops: ${[...new Set(row.runs.flatMap((x) => x.hostOps))].join(', ') || 'none'}`);
    for (const p of problems) console.log(`       ${p}`);
  }
  const collectives = await checkCollectives(t);
  for (const c of collectives) {
    if (c.status === 'failed') failed++;
    console.log(`${c.status === 'ok' ? 'ok    ' : c.status === 'failed' ? 'FAILED' : '      '} ${c.name} over ${c.ranks} rank(s): ${c.status === 'ok' ? `max |CUDA − CPU| ${c.maxAbsError}` : c.message ?? c.status}`);
  }
  writePart(out, 'examples', { mode: t.mode, gpus: t.gpus, tolerance: TOLERANCE, examples: results, collectives });
  return failed ? 1 : 0;
});
