// From a PlanDocument (any source format) to what bindPlan takes, with transformers' merging rules:
// "auto" is the architecture's built-in plan; a config-level base_model_tp_plan is merged with the
// CausalLM class plan (lm_head) as post_init does; with expert parallelism on, transformers' built-in
// EP plan replaces the TP plan, while a user's ep_plan is laid over their plan.
import type { ModelGraph } from '../models/types';
import { plansOf } from '../models/plans';
import type { Generation } from '../styles/types';
import type { PlanDocument, PlanEntry, Plan } from '../plan/types';
import type { PlanInput } from './bind';
import { entryFromRef } from './match';

export interface ResolveOptions {
  generation?: Generation;
  /** Expert parallelism on (from the document, the CLI or a setting). */
  expertParallel?: boolean;
}

function builtinEntries(map: Record<string, string> | undefined): PlanEntry[] {
  return Object.entries(map ?? {}).map(([k, v]) => entryFromRef(k, { kind: 'name', name: v }));
}

/** The architecture's own plan, as `from_pretrained(..., tp_plan="auto")` would apply it. */
export function autoPlanInputs(graph: ModelGraph, generation: Generation = 'g4', expertParallel = false): PlanInput[] {
  const b = plansOf(graph);
  if (!b) return [];
  if (expertParallel && b.ep && b.epReplacesTp) return [{ scope: 'base', entries: builtinEntries(b.ep) }];
  if (expertParallel && b.ep) return [{ scope: 'base', entries: builtinEntries({ ...b.tp, ...b.ep }) }, { scope: 'class', entries: builtinEntries(b.classTp) }];
  return [
    { scope: 'base', entries: builtinEntries(b.tp) },
    { scope: 'class', entries: builtinEntries(b.classTp) },
  ];
}

export function planInputsFromDocument(doc: PlanDocument, graph: ModelGraph, opts: ResolveOptions = {}): PlanInput[] {
  const ep = opts.expertParallel ?? (doc.expertParallel?.length ?? 0) > 0;
  const plans = doc.plans.filter((p) => p.kind !== 'pp');
  const inputs: PlanInput[] = [];
  const own = plansOf(graph);
  // A configuration class's base_model_ep_plan replaces its base_model_tp_plan when experts are
  // distributed, where the version does so (transformers 5.x); a user's ep_plan is laid over their plan.
  const configEp = ep && plans.some((p) => p.kind === 'ep' && p.name === 'base_model_ep_plan') && (own?.epReplacesTp ?? true);
  for (const p of plans) {
    if (p.auto) {
      inputs.push(...autoPlanInputs(graph, opts.generation, ep));
      continue;
    }
    if (p.kind === 'ep' && !ep) continue;
    if (configEp && p.kind === 'tp' && p.name === 'base_model_tp_plan') continue;
    inputs.push({ scope: p.scope, entries: p.entries });
  }
  // A configuration's base plan gets the CausalLM head's class plan, unless the source has its own.
  const hasBase = plans.some((p) => p.scope === 'base' && p.name.startsWith('base_model_'));
  const hasClass = plans.some((p: Plan) => p.scope === 'class') || plans.some((p) => p.entries.some((e) => e.key === 'lm_head'));
  if (hasBase && !hasClass && own && !configEp) inputs.push({ scope: 'class', entries: builtinEntries(own.classTp) });
  // The entry transformers adds to a configuration's plan when the word embeddings are tied.
  if (hasBase && own?.tiedEmbedding && !configEp) {
    const written = new Set(plans.flatMap((p) => p.entries.map((e) => e.key)));
    inputs.push({ scope: 'base', entries: builtinEntries(Object.fromEntries(Object.entries(own.tiedEmbedding).filter(([k]) => !written.has(k)))) });
  }
  return inputs;
}
