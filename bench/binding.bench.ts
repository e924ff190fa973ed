// Time to bind a plan and compute every per-rank shape and collective.
import { loadModel } from '../extension/core/models';
import { bindPlan, planInputsFromDocument, autoPlanInputs } from '../extension/core/analysis';
import { parseMesh } from '../extension/core/sharding';
import { parsePlanSource } from '../extension/core/plan';
import { readFileSync } from 'node:fs';
import { timeRuns } from './measure';

export default async function () {
  const file = 'examples/deepseek-v3/ep.shardplan.json';
  const doc = parsePlanSource(file, readFileSync(file, 'utf8'));
  const ds = loadModel('examples/deepseek-v3/config.json');
  const plans = planInputsFromDocument(doc, ds);
  const mesh = parseMesh('dp=8,tp=8');
  let collectives = 0;
  const dsT = timeRuns(() => {
    const s = bindPlan(ds, plans, mesh, { expertParallel: ['dp', 'tp'], run: { batch: 1, seqLen: 4096, mode: 'training' } });
    collectives = s.collectives.length;
  });
  const llama = loadModel('llama-3-8b');
  const lT = timeRuns(() => bindPlan(llama, autoPlanInputs(llama), parseMesh('tp=8')));
  return [
    { name: 'bind DeepSeek-V3 on dp=8,tp=8 (64 ranks, experts over all): median', value: dsT.median, unit: 'ms', budget: 5, better: 'lower', note: `${ds.params.length} params × 64 ranks, ${collectives} collectives` },
    { name: 'bind DeepSeek-V3 on dp=8,tp=8: p90', value: dsT.p90, unit: 'ms' },
    { name: 'bind Llama-3-8B on tp=8: median', value: lT.median, unit: 'ms' },
    { name: 'bind Llama-3-8B on tp=8: p90', value: lT.p90, unit: 'ms' },
  ];
}
