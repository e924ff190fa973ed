// Plan lookup with transformers' matching rules: keys are not globs; a concrete name is normalised
// (layer indices → "*") and looked up, the parameter key before its module key, the exact indexed
// name before the wildcard form.
import type { ModelGraph } from '../models/types';
import type { PlanEntry } from '../plan/types';
import type { StyleRef, StyleSemantics, Generation } from '../styles/types';
import { resolveStyleRef } from '../styles';
import type { Finding } from './types';

export interface BoundEntry {
  /** The key as it is looked up: from the model root ("model.layers.*.self_attn.q_proj", "lm_head"). */
  rootKey: string;
  entry: PlanEntry;
  semantics?: StyleSemantics;
  error?: string;
  /** Set when at least one parameter or module used it. */
  used: boolean;
}

export interface PlanTable {
  byKey: Map<string, BoundEntry>;
  findings: Finding[];
}

/** replace_layer_number_by_wildcard: ".<digits>." and a trailing ".<digits>" become ".*". */
const wildcardCache = new Map<string, string>();
export function wildcardName(name: string): string {
  let w = wildcardCache.get(name);
  if (w === undefined) {
    w = name.replace(/\.\d+(?=\.|$)/g, '.*');
    if (wildcardCache.size > 200000) wildcardCache.clear();
    wildcardCache.set(name, w);
  }
  return w;
}

/** A plan key as transformers resolves it from the model root. */
export function rootKeyOf(key: string, scope: 'base' | 'root' | 'class', graph: ModelGraph): string {
  if (scope !== 'base' || !graph.basePrefix) return key;
  const first = key.split('.')[0];
  if (first === graph.basePrefix) return key;
  const isRootChild = graph.root.children.some((c) => c.path === first);
  return isRootChild ? key : `${graph.basePrefix}.${key}`;
}

export function entryFromRef(key: string, style: StyleRef, styleText?: string): PlanEntry {
  return { key, keyRange: { start: 0, end: 0 }, style, styleText: styleText ?? (style.kind === 'name' ? style.name : style.kind), valueRange: { start: 0, end: 0 } };
}

/** Build the lookup table; later plans override earlier ones (an EP plan over a TP plan). */
export function buildPlanTable(plans: { scope: 'base' | 'root' | 'class'; entries: PlanEntry[] }[], graph: ModelGraph, generation: Generation): PlanTable {
  const byKey = new Map<string, BoundEntry>();
  const findings: Finding[] = [];
  for (const plan of plans) {
    const seen = new Map<string, PlanEntry>();
    for (const entry of plan.entries) {
      const rootKey = rootKeyOf(entry.key, plan.scope, graph);
      const dup = seen.get(rootKey);
      if (dup) {
        findings.push({ code: 'SS103', slug: 'duplicate-key', severity: 'warning', message: `'${entry.key}' appears twice in the plan; the last one wins and '${dup.styleText}' is never used`, target: rootKey, entry: dup });
      }
      seen.set(rootKey, entry);
      const r = resolveStyleRef(entry.style, generation);
      const b: BoundEntry = { rootKey, entry, used: false };
      if ('error' in r) b.error = r.error;
      else b.semantics = r;
      byKey.set(rootKey, b);
    }
  }
  return { byKey, findings };
}

/** Lookup for a parameter: exact name, its module, then the wildcard forms. */
export function lookupParam(table: PlanTable, paramName: string): { hit: BoundEntry; level: 'param' | 'module' } | undefined {
  const dot = paramName.lastIndexOf('.');
  const module = dot < 0 ? '' : paramName.slice(0, dot);
  const generic = wildcardName(paramName);
  const gdot = generic.lastIndexOf('.');
  const gmodule = gdot < 0 ? '' : generic.slice(0, gdot);
  for (const [key, level] of [
    [paramName, 'param'],
    [module, 'module'],
    [generic, 'param'],
    [gmodule, 'module'],
  ] as const) {
    const hit = table.byKey.get(key);
    if (hit) return { hit, level };
  }
  return undefined;
}

/** Lookup for a module's forward hooks: exact module names only (is_weight=False). */
export function lookupModule(table: PlanTable, modulePath: string): BoundEntry | undefined {
  return table.byKey.get(modulePath) ?? table.byKey.get(wildcardName(modulePath));
}
