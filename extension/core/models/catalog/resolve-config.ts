// A configuration as the recorded transformers version resolves it: the config class's defaults under the
// given values, attribute_map aliases in both directions, then the fields the class derives in __init__.
import type { CatalogArchitecture } from './types';
import { evalExpr } from './expr';

export type ConfigValues = Record<string, unknown>;

const present = (v: unknown) => v !== undefined && v !== null;

/** Defaults ← given values, with aliases filled both ways and derived fields computed where absent. */
export function resolveConfig(arch: CatalogArchitecture, given: ConfigValues): ConfigValues {
  const out: ConfigValues = { ...arch.defaults };
  // A null leaves the value to the class (it derives it in __init__), so it does not replace what the
  // class was recorded to derive for its defaults.
  for (const [k, v] of Object.entries(given)) if (v !== undefined && (v !== null || !present(out[k]))) out[k] = v;
  for (const [alias, attr] of Object.entries(arch.attributeMap)) {
    // Either name may be written; the attribute is what the class stores.
    if (present(given[alias]) && !present(given[attr])) out[attr] = given[alias];
    if (present(out[attr])) out[alias] = out[attr];
  }
  for (const [field, expr] of Object.entries(arch.derived ?? {})) {
    if (present(given[field])) continue;
    const v = evalExpr(expr, (f) => lookupField(out, f));
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/** A field by name; nested configurations by a dotted name ("text_config.hidden_size"). */
export function lookupField(values: ConfigValues, field: string): unknown {
  if (field in values) return values[field];
  let cur: unknown = values;
  for (const part of field.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
