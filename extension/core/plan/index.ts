// Plan sources: whatever the format, a PlanDocument with every key and value located. Never throws.
import type { PlanDocument } from './types';
import { parsePythonPlans } from './python';
import { parseJsonPlans } from './json';

export type * from './types';
export { parsePythonPlans } from './python';
export { parseJsonPlans } from './json';
export { planOwners, documentForOwner, localAncestry } from './owners';

export function parsePlanSource(uri: string, text: string): PlanDocument {
  if (/\.py$/i.test(uri)) return parsePythonPlans(text, uri);
  return parseJsonPlans(text, uri);
}
