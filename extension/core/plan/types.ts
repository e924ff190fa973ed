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
  /** An editor command the fix runs instead of (or after) its edits, e.g. the mesh pick. */
  command?: string;
}

export interface PlanEntry {
  /** The pattern as written, e.g. "layers.*.self_attn.q_proj". */
  key: string;
  keyRange: TextRange;
  style: StyleRef;
  /** The style text as written (for messages and fixes). */
  styleText: string;
  valueRange: TextRange;
  /** Made by a comprehension (Python): the ranges are the expressions that made it, so no text edit applies. */
  computed?: boolean;
  /** Merged in from elsewhere in the same source (`**base_plan`, `dict(base, ...)`, `.update(base)`): where
   *  the merge is written. keyRange/valueRange are where the entry itself is written. */
  via?: TextRange;
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
  /** Python: the class whose body the plan is written in (or assigned to, `LlamaConfig.base_model_tp_plan = ...`);
   *  the plan is checked against that class's config values. Absent for plans outside any class. */
  owner?: string;
  /** Python: the plan's value is an expression, not a dict display (`dict(base, ...)`, `a | b`, a name), so
   *  there is no closing brace to insert entries before. */
  computed?: boolean;
}

/** A class of a Python source. */
export interface PythonClass {
  name: string;
  /** Its bases, with the module each is imported from (e.g. ".configuration_llama") where the file imports
   *  it, and the name it has there when imported under another (`import LlamaConfig as BaseConfig`). */
  bases: { name: string; module?: string; imported?: string }[];
  range?: TextRange;
  /** Its own field defaults (and a transformers 4.x class's __init__ defaults), without its bases'. */
  configValues?: Record<string, unknown>;
  /** Its own `attribute_map` (alias → attribute). */
  attributeMap?: Record<string, string>;
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
  /** Config values found in the same source: config.json values, or a Python source's module-level and
   *  class field defaults as one (later over earlier). Per class: `classes[i].configValues`, and
   *  documentForOwner() for the view a class's plans are checked in. */
  configValues?: Record<string, unknown>;
  /** The `attribute_map`s (alias → attribute) of the source's classes, as one. */
  attributeMap?: Record<string, string>;
  /** Classes of a Python source with their bases, and the module each base is imported from
   *  (e.g. ".configuration_llama"), so a config class can inherit its parent's defaults. */
  classes?: PythonClass[];
  /** From *.shardplan.json, or from tp_size= / DistributedConfig in Python. */
  model?: { ref: string | Record<string, unknown>; range?: TextRange };
  mesh?: { dims: { name: string; size: number }[]; range?: TextRange };
  expertParallel?: string[];
  sequenceParallel?: boolean;
  run?: RunSettings;
}
