// transformers' own plans for a model, as the version that built its graph applies them: the catalog's
// base_model_tp_plan / base_model_ep_plan, the CausalLM class plan, and the entry added for tied word
// embeddings. A graph the catalog did not build (a checkpoint of an unrecorded architecture) has none.
import type { ModelGraph } from './types';
import { catalogArchitecture } from './catalog';

export interface ModelPlans {
  /** Where the plans are from, for hovers. */
  source: string;
  /** base_model_tp_plan, keys relative to the base model (with the tied-embedding entry where it applies). */
  tp?: Record<string, string>;
  ep?: Record<string, string>;
  pp?: Record<string, [string[], string[]]>;
  /** The CausalLM class-level _tp_plan, keys from the model root. */
  classTp: Record<string, string>;
  /** With expert parallelism on, the version applies the EP plan instead of the TP plan (not merged). */
  epReplacesTp: boolean;
  /** What the version adds to a configuration's base_model_tp_plan when the word embeddings are tied (this graph's config ties them). */
  tiedEmbedding?: Record<string, string>;
  /** The transformers version the plans are from, when recorded. */
  version?: string;
}

/** The plans `tp_plan="auto"` (and a configuration's own plan) would get for this graph. */
export function plansOf(graph: ModelGraph): ModelPlans | undefined {
  const version = graph.catalog?.version;
  const arch = version ? catalogArchitecture(graph.modelType, version) : undefined;
  if (arch) {
    const tied = graph.config.tieWordEmbeddings && arch.plans.tiedEmbedding ? arch.plans.tiedEmbedding : undefined;
    return {
      source: `transformers ${version} (${arch.configClass}${arch.causalLm ? `, ${arch.causalLm}` : ''})`,
      tp: arch.plans.tp ? { ...arch.plans.tp, ...tied } : tied,
      ep: arch.plans.ep,
      pp: arch.plans.pp,
      classTp: arch.plans.classTp ?? {},
      epReplacesTp: arch.plans.epReplacesTp,
      tiedEmbedding: tied,
      version,
    };
  }
  return undefined;
}
