// Plans as the user wrote them, with source ranges, whatever the source format.
import type { StyleRef, PlanKind } from '../styles/types';

/** Offsets into the source text (UTF-16 code units, as editors count), half-open. */
export interface TextRange {
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Diagnostic {
  /** Stable code, e.g. "SS101". */
  code: string;
  /** Stable slug, e.g. "unknown-style". */
  slug: string;
  severity: Severity;
  message: string;
  range: TextRange;
  /** Data a quick fix needs: replacement text and the range it replaces. */
  fixes?: QuickFix[];
}

export interface QuickFix {
  title: string;
  edits: { range: TextRange; newText: string }[];
  preferred?: boolean;
}

export interface PlanEntry {
  /** The pattern as written, e.g. "layers.*.self_attn.q_proj". */
  key: string;
  keyRange: TextRange;
  style: StyleRef;
  /** The style text as written (for messages and fixes). */
  styleText: string;
  valueRange: TextRange;
}

export interface Plan {
  /** The variable or key the plan was assigned to, e.g. "base_model_tp_plan", "plan", "tp_plan". */
  name: string;
  kind: PlanKind | 'pp';
  /** "base" when keys are relative to the base model (base_model_tp_plan), "root" when from the model root. */
  scope: 'base' | 'root' | 'class';
  entries: PlanEntry[];
  range: TextRange;
  /** Where the plan is named: the assigned variable (Python), the "plan"/"ep_plan" key with its quotes
   *  (JSON), or the tp_plan= argument name; diagnostics about the plan as a whole go here. */
  nameRange?: TextRange;
  /** For pp plans: module → [inputs, outputs]; never read as styles. */
  ppEntries?: { key: string; keyRange: TextRange; inputs: string[]; outputs: string[] }[];
  /** A plan given as "auto": the model's built-in plan. */
  auto?: boolean;
}

/** Run settings of a *.shardplan.json. */
export interface RunSettings {
  batch?: number;
  seqLen?: number;
  dtype?: string;
  layers?: number[];
  ranks?: number;
  backend?: 'cpu' | 'cuda' | 'auto';
  mode?: 'training' | 'inference';
  gpuMemoryGiB?: number;
}

/** Everything a plan source yielded. Parsing never throws. */
export interface PlanDocument {
  uri: string;
  format: 'python' | 'shardplan' | 'config-json' | 'json';
  plans: Plan[];
  diagnostics: Diagnostic[];
  /** Config values found in the same source (a config class's defaults, or config.json values). */
  configValues?: Record<string, unknown>;
  /** A config class's `attribute_map` (alias → attribute), as written in the same source. */
  attributeMap?: Record<string, string>;
  /** Classes of a Python source with their bases, and the module each base is imported from
   *  (e.g. ".configuration_llama"), so a config class can inherit its parent's defaults. */
  classes?: { name: string; bases: { name: string; module?: string }[] }[];
  /** From *.shardplan.json, or from tp_size= / DistributedConfig in Python. */
  model?: { ref: string | Record<string, unknown>; range?: TextRange };
  mesh?: { dims: { name: string; size: number }[]; range?: TextRange };
  expertParallel?: string[];
  sequenceParallel?: boolean;
  run?: RunSettings;
}
