// How the GPUs of a group talk, from discovery's topology: the cost model picks its NVLink or PCIe
// defaults per group (extension/core/lower/cost.ts, defaultCostModel(backend, link)).
import type { GpuTopology } from './protocol';

/**
 * 'nvlink' when every pair of the ranks is joined by NVLink, else 'pcie' (a collective runs at the pace
 * of its slowest link); undefined when the topology does not cover them (fewer GPUs, or no NVML).
 */
export function groupLink(topology: GpuTopology | undefined, ranks: number[]): 'nvlink' | 'pcie' | undefined {
  if (!topology) return undefined;
  const kind = new Map(topology.links.map((l) => [`${Math.min(l.a, l.b)}:${Math.max(l.a, l.b)}`, l.kind]));
  let all: 'nvlink' | 'pcie' = 'nvlink';
  for (let i = 0; i < ranks.length; i++)
    for (let j = i + 1; j < ranks.length; j++) {
      const k = kind.get(`${Math.min(ranks[i], ranks[j])}:${Math.max(ranks[i], ranks[j])}`);
      if (!k) return undefined;
      if (k === 'pcie') all = 'pcie';
    }
  return all;
}
