// A source with several config classes (a text and a vision config, fifty variants of one model) is
// checked class by class: each class's plans against that class's values, over those of the classes of
// the same file it inherits from.
import type { PlanDocument, PythonClass } from './types';

/** The classes owning plans, in the order their first plan appears; undefined stands for the plans
 *  outside any class. */
export function planOwners(doc: PlanDocument): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const p of doc.plans) if (!out.includes(p.owner)) out.push(p.owner);
  return out;
}

/** The class and the classes of the same file it inherits from, nearest first (left to right, depth first,
 *  each once). */
export function localAncestry(doc: PlanDocument, name: string): PythonClass[] {
  const byName = new Map((doc.classes ?? []).map((c) => [c.name, c]));
  const out: PythonClass[] = [];
  const visit = (n: string) => {
    const c = byName.get(n);
    if (!c || out.includes(c)) return;
    out.push(c);
    for (const b of c.bases) visit(b.name);
  };
  visit(name);
  return out;
}

/** The document as one owner's plans see it: only that owner's plans, and for a class its values and
 *  attribute_map over those of its bases in the file, and `classes` narrowed to its ancestry (so a base
 *  imported from another file is still found). Plans outside any class see the document as it is. */
export function documentForOwner(doc: PlanDocument, owner: string | undefined): PlanDocument {
  const plans = doc.plans.filter((p) => p.owner === owner);
  if (owner === undefined) return { ...doc, plans };
  const chain = localAncestry(doc, owner);
  const configValues: Record<string, unknown> = {};
  const attributeMap: Record<string, string> = {};
  for (const c of [...chain].reverse()) {
    Object.assign(configValues, c.configValues);
    Object.assign(attributeMap, c.attributeMap);
  }
  return {
    ...doc,
    plans,
    configValues: Object.keys(configValues).length ? configValues : undefined,
    attributeMap: Object.keys(attributeMap).length ? attributeMap : undefined,
    classes: chain,
  };
}
