// From a PlanDocument (any source format) to what bindPlan takes, with transformers' merging rules:
// "auto" is the architecture's built-in plan; a config-level base_model_tp_plan is merged with the
// CausalLM class plan (lm_head) as post_init does; with expert parallelism on, transformers' built-in
// EP plan replaces the TP plan, while a user's ep_plan is laid over their plan.
import type { ModelGraph } from '../models/types';
import { BUILTIN_PLANS } from '../models';
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
  const b = BUILTIN_PLANS[graph.modelType];
  if (!b) return [];
  if (expertParallel && b.ep) return [{ scope: 'base', entries: builtinEntries(b.ep) }];
  const tp = generation === 'g4' ? b.tp_g4 ?? b.tp : b.tp;
  return [
    { scope: 'base', entries: builtinEntries(tp) },
    { scope: 'class', entries: builtinEntries(b.class_tp) },
  ];
}

export function planInputsFromDocument(doc: PlanDocument, graph: ModelGraph, opts: ResolveOptions = {}): PlanInput[] {
  const ep = opts.expertParallel ?? (doc.expertParallel?.length ?? 0) > 0;
  const plans = doc.plans.filter((p) => p.kind !== 'pp');
  const inputs: PlanInput[] = [];
  for (const p of plans) {
    if (p.auto) {
      inputs.push(...autoPlanInputs(graph, opts.generation, ep));
      continue;
    }
    if (p.kind === 'ep' && !ep) continue;
    inputs.push({ scope: p.scope, entries: p.entries });
  }
  // A configuration's base plan gets the CausalLM head's class plan, unless the source has its own.
  const hasBase = plans.some((p) => p.scope === 'base' && p.name.startsWith('base_model_'));
  const hasClass = plans.some((p: Plan) => p.scope === 'class') || plans.some((p) => p.entries.some((e) => e.key === 'lm_head'));
  if (hasBase && !hasClass && BUILTIN_PLANS[graph.modelType]) inputs.push({ scope: 'class', entries: builtinEntries(BUILTIN_PLANS[graph.modelType].class_tp) });
  return inputs;
}
