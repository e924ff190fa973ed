// The example plans the GPU run rehearses, and the group each runs as on this machine: the plan's own
// tensor-parallel group when the GPUs hold it, else the largest power of two of them that divides it
// (one GPU: tp=1, every op of the layers on the device and no collective).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlanSource, type PlanDocument } from '../../extension/core/plan';
import { rehearsedGroup, type PlanSource } from '../../extension/core/rehearse';

export interface ExamplePlan {
  file: string;
  /** The plan's rehearsed group as written. */
  planGroup: { name: string; size: number };
  /** The ranks it runs with here. */
  ranks: number;
  /** The plan with its mesh replaced by that group, for rehearse(). */
  source: PlanSource;
  mode: 'training' | 'inference';
}

export function examplePlans(gpus: number, root = 'examples'): ExamplePlan[] {
  const files = readdirSync(root).sort().flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.shardplan.json')).sort().map((f) => join(root, d, f)));
  if (!files.length) throw new Error(`no *.shardplan.json under ${root}/`);
  return files.map((file) => {
    const text = readFileSync(file, 'utf8');
    const doc: PlanDocument = parsePlanSource(file, text);
    const planGroup = rehearsedGroup(doc.mesh?.dims ?? [{ name: 'tp', size: 1 }]);
    let ranks = 1;
    while (ranks * 2 <= Math.min(gpus, planGroup.size) && planGroup.size % (ranks * 2) === 0) ranks *= 2;
    if (planGroup.size <= gpus) ranks = planGroup.size;
    return { file, planGroup, ranks, source: { uri: file, text, doc: { ...doc, mesh: { dims: [{ name: planGroup.name, size: ranks }] } } }, mode: doc.run?.mode === 'training' ? 'training' : 'inference' };
  });
}
