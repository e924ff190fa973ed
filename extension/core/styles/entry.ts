// A catalog entry: a style name as one generation of transformers (or PyTorch) accepts it.
import type { StyleEntry, PlanKind, Generation } from './types';
import type { DefName } from './defs';
import { docs } from './docs';

export interface CatalogEntry extends StyleEntry {
  /** Unique id "<first generation>:<name>". */
  id: string;
  def: DefName;
}

export function entry(
  name: string,
  generations: Generation[],
  source: string,
  def: DefName,
  planKinds: PlanKind[] = ['tp'],
  extra: { aliasOf?: string; doc?: string } = {},
): CatalogEntry {
  const doc = extra.doc ?? docs[def];
  return { id: `${generations[0]}:${name}`, name, generations, source, def, planKinds, aliasOf: extra.aliasOf, doc };
}
