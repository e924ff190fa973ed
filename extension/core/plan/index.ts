// Plan sources: whatever the format, a PlanDocument with every key and value located. Never throws.
import type { PlanDocument } from './types';
import { parsePythonPlans } from './python';
import { parseJsonPlans } from './json';
import { boundEntries, pythonNestingOffset, PYTHON_MAX_NESTING } from './bounds';

export type * from './types';
export { parsePythonPlans } from './python';
export { parseJsonPlans } from './json';
export { planOwners, documentForOwner, localAncestry } from './owners';

export function parsePlanSource(uri: string, text: string): PlanDocument {
  if (/\.py$/i.test(uri)) {
    const deep = pythonNestingOffset(text);
    if (deep >= 0) {
      return { uri, format: 'python', plans: [], diagnostics: [{ code: 'SS001', slug: 'syntax', severity: 'error', message: `nested more than ${PYTHON_MAX_NESTING} deep (Python's own parser stops there too)`, range: { start: deep, end: deep + 1 } }] };
    }
    return boundEntries(parsePythonPlans(text, uri));
  }
  return boundEntries(parseJsonPlans(text, uri));
}
