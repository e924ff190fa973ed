// transformers' own plans, as the model catalog of the newest recorded version records them, written as
// *.shardplan.json files over the presets' checkpoint configs: what `tp_plan="auto"` (and, with expert
// parallelism, the EP plan that replaces it) applies, never a hand transcription.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../../extension/core/models';
import { plansOf } from '../../../extension/core/models/plans';

/** Presets with the tp size transformers' own plan divides (Qwen3 MoE and Qwen2 have 4 KV heads). */
export const OWN_PLAN_PRESETS: [preset: string, tp: number][] = [
  ['llama-3-8b', 8], ['mistral-7b', 8], ['qwen2-7b', 4], ['qwen3-8b', 8], ['mixtral-8x7b', 8],
  ['qwen3-30b-a3b', 4], ['deepseek-v3', 8], ['gpt-oss-20b', 8],
];

export interface OwnPlanFile {
  preset: string;
  modelType: string;
  kind: 'tp' | 'ep';
  path: string;
}

export function writeOwnPlanFiles(dir = mkdtempSync(join(tmpdir(), 'ss-own-plans-'))): OwnPlanFile[] {
  const out: OwnPlanFile[] = [];
  for (const [preset, tp] of OWN_PLAN_PRESETS) {
    const g = loadModel(preset);
    const own = plansOf(g);
    if (!own) throw new Error(`${preset}: no plans recorded for ${g.modelType}`);
    const head = `// transformers ${own.version}'s own plan for ${g.modelType} on the ${preset} config\n`;
    if (own.tp) {
      const path = join(dir, `${preset}.tp.shardplan.json`);
      writeFileSync(path, head + JSON.stringify({ model: preset, mesh: { tp }, plan: { ...own.tp, ...own.classTp } }, null, 2));
      out.push({ preset, modelType: g.modelType, kind: 'tp', path });
    }
    if (own.ep) {
      const path = join(dir, `${preset}.ep.shardplan.json`);
      writeFileSync(path, head + JSON.stringify({ model: preset, mesh: { tp }, expert_parallel: ['tp'], ep_plan: own.ep }, null, 2));
      out.push({ preset, modelType: g.modelType, kind: 'ep', path });
    }
  }
  return out;
}
