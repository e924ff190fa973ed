import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allLayouts, type Placement } from '../../../extension/core/sharding';

// A random tensor (1-3 dims, sizes 0-12), mesh (1-3 dims, sizes 1-4) and valid placements,
// including lone _StridedShard and _StridedShard followed by a Shard of the same dim.
const caseArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 3 }),
    mesh: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    seed: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 3, maxLength: 3 }),
  })
  .map(({ shape, mesh, seed }) => {
    const placements: Placement[] = mesh.map((_, i) => {
      const k = seed[i] % 5;
      const dim = Math.floor(seed[i] / 5) % shape.length;
      if (k === 0) return { kind: 'replicate' };
      if (k === 1) return { kind: 'partial', op: 'sum' };
      if (k === 4 && i === mesh.length - 1) return { kind: 'strided_shard', dim, splitFactor: 1 + (seed[i] % 3) };
      return { kind: 'shard', dim };
    });
    // Occasionally build the FSDP+TP pattern [_S(d, sf=n_last), S(d)].
    if (mesh.length >= 2 && seed[0] % 7 === 0) {
      const d = seed[1] % shape.length;
      placements[mesh.length - 2] = { kind: 'strided_shard', dim: d, splitFactor: mesh[mesh.length - 1] };
      placements[mesh.length - 1] = { kind: 'shard', dim: d };
    }
    return { shape, mesh, placements };
  });

test('every element is held by exactly the product of the non-sharding mesh dims; boxes agree with shapes and offsets', () => {
  fc.assert(
    fc.property(caseArb, ({ shape, mesh, placements }) => {
      const layouts = allLayouts(shape, mesh, placements);
      const replication = mesh.reduce((a, n, i) => a * (placements[i].kind === 'shard' || placements[i].kind === 'strided_shard' ? 1 : n), 1);
      const total = shape.reduce((a, b) => a * b, 1);
      const counts = new Uint16Array(total);
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      for (const l of layouts) {
        const numel = l.localShape.reduce((a, b) => a * b, 1);
        let volume = 0;
        for (const box of l.ranges) {
          volume += box.reduce((a, [s, e]) => a * (e - s), 1);
          // Enumerate the box's elements.
          const idx = box.map(([s]) => s);
          const done = box.some(([s, e]) => e <= s);
          if (done) continue;
          for (;;) {
            counts[idx.reduce((a, v, d) => a + v * strides[d], 0)]++;
            let d = box.length - 1;
            while (d >= 0 && ++idx[d] >= box[d][1]) idx[d] = box[d--][0];
            if (d < 0) break;
          }
        }
        assert.equal(volume, numel, `rank ${l.rank}: boxes hold ${volume} elements, local shape ${l.localShape}`);
        if (numel > 0) assert.deepEqual(l.ranges[0].map(([s]) => s), l.globalOffset, `rank ${l.rank}: first box starts at the offset`);
        l.localShape.forEach((n, d) => {
          if (n === 0) assert.equal(l.globalOffset[d], shape[d]);
        });
      }
      for (let i = 0; i < total; i++) assert.equal(counts[i], replication, `element ${i} held ${counts[i]} times, expected ${replication}`);
    }),
    { numRuns: 400 },
  );
});
