// How the GPUs of a group talk, from discovery's topology, in the cost model's terms
// (extension/core/lower/cost.ts: defaultCostModel('cuda', toLinkTopology(d.topology), ranks)).
import { slowestLink, type LinkTopology } from '../core/lower/cost';
import type { GpuTopology } from './protocol';

/** Discovery's pairs as the cost model's LinkTopology. */
export function toLinkTopology(topology: GpuTopology): LinkTopology {
  return { pairs: topology.links.map((l) => ({ a: l.a, b: l.b, link: l.kind })) };
}

/**
 * 'nvlink' when every pair of the ranks is joined by NVLink, else 'pcie' (a collective runs at the pace
 * of its slowest link); undefined when the topology does not cover them (fewer GPUs, or no NVML).
 */
export function groupLink(topology: GpuTopology | undefined, ranks: number[]): 'nvlink' | 'pcie' | undefined {
  if (!topology) return undefined;
  const known = new Set(topology.links.map((l) => `${Math.min(l.a, l.b)}:${Math.max(l.a, l.b)}`));
  for (let i = 0; i < ranks.length; i++)
    for (let j = i + 1; j < ranks.length; j++) if (!known.has(`${Math.min(ranks[i], ranks[j])}:${Math.max(ranks[i], ranks[j])}`)) return undefined;
  return slowestLink(toLinkTopology(topology), ranks);
}
