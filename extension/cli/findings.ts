// What the binder found (indivisible heads, uneven shards), for the text output of shapes and comms: the
// shapes and collectives are what torch.chunk would give, but an error here means the model would not
// run with them, so a report without these lines would read as a plan that works.
import type { ShardedModel } from '../core/analysis';

/** "checks:" and one line per distinct warning or error (none when there are none). */
export function findingLines(findings: ShardedModel['findings']): string[] {
  const lines = [...new Set(findings.filter((f) => f.severity !== 'info').map((f) => `  ${f.severity} ${f.code}: ${f.message}`))];
  return lines.length ? ['checks:', ...lines] : [];
}
