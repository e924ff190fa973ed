// Local shapes of random parameter placements on all 64 ranks of a dp=8,tp=8 mesh.
import { localShape, coordOf, clearLayoutCaches, type Placement } from '../extension/core/sharding';

export default async function () {
  const sizes = [8, 8];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const cases: { shape: number[]; placements: Placement[] }[] = [];
  for (let i = 0; i < 1000; i++) {
    const shape = [1 + rnd(30000), 1 + rnd(8000)];
    const pick = (): Placement => [{ kind: 'replicate' } as Placement, { kind: 'shard', dim: rnd(2) } as Placement, { kind: 'strided_shard', dim: 0, splitFactor: 2 } as Placement][rnd(3)];
    let placements = [pick(), pick()];
    if (placements[0].kind === 'strided_shard') placements = [{ kind: 'strided_shard', dim: 0, splitFactor: 8 }, { kind: 'shard', dim: 0 }];
    cases.push({ shape, placements });
  }
  const coords = Array.from({ length: 64 }, (_, r) => coordOf(sizes, r));
  const run = () => {
    for (const c of cases) for (const co of coords) localShape(c.shape, sizes, c.placements, co);
  };
  // Cold: every shape computed (median of 5 passes with the memo cleared); warm: every shape a memo hit.
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    clearLayoutCaches();
    const t = performance.now();
    run();
    cold.push(performance.now() - t);
  }
  const coldMs = cold.sort((a, b) => a - b)[2];
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) run();
  const warmMs = (performance.now() - t0) / 10;
  const perUs = (ms: number) => `${((ms * 1000) / 64000).toFixed(2)} µs per shape`;
  return [
    { name: 'local shapes: 1000 placements × 64 ranks, first computation', value: coldMs, unit: 'ms', better: 'lower', note: perUs(coldMs) },
    { name: 'local shapes: 1000 placements × 64 ranks, memoised', value: warmMs, unit: 'ms', better: 'lower', note: perUs(warmMs) },
  ];
}
