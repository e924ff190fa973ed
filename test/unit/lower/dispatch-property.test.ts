import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { interpret, type RankPrograms, type RankOp, type BufferDecl } from '../../../extension/core/lower';
import { dispatchCounts, expertBounds } from '../../../extension/core/lower/ends';

/**
 * Any routing, any number of members: dispatch_pack, all_to_all_v there and back with the counts the
 * routing gives, then scatter_add_rows with the weights, returns each token's row times the sum of its
 * weights — every (token, slot) pair went out once and came home to its own token.
 */
test('dispatch round trip: uneven all_to_all_v counts from any routing bring every pair back to its token (property)', () => {
  const arb = fc
    .record({ n: fc.integer({ min: 1, max: 5 }), perMember: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 4 }), seed: fc.nat() })
    .chain((c) => fc.record({ c: fc.constant(c), idx: fc.array(fc.integer({ min: 0, max: c.n * c.perMember - 1 }), { minLength: c.n * c.T * c.k, maxLength: c.n * c.T * c.k }), w: fc.array(fc.float({ min: Math.fround(0.125), max: 2, noNaN: true }), { minLength: c.n * c.T * c.k, maxLength: c.n * c.T * c.k }) }));
  fc.assert(
    fc.property(arb, ({ c, idx, w }) => {
      const { n, perMember, T, k, H } = c;
      const E = n * perMember;
      const bounds = expertBounds(Array.from({ length: n }, (_, r) => [r * perMember, (r + 1) * perMember] as [number, number]), E)!;
      // Each member routes its own T tokens (rows r·T … of the routing), as a sequence-sharded input would.
      const all = Float32Array.from(idx);
      const counts = dispatchCounts(all, k, bounds, T, (r) => r * T);
      const buffers: BufferDecl[] = [];
      const ranks = Array.from({ length: n }, (_, r) => {
        const S = T * k;
        const R = counts.recv[r].reduce((a, b) => a + b, 0);
        const decl = (id: string, shape: number[], init?: BufferDecl['init']) => buffers.push({ id, rank: r, dtype: 'f32', shape, ...(init ? { init } : {}) });
        decl('x', [T, H], { kind: 'input', key: 'x', globalShape: [n * T, H], ranges: [[[r * T, (r + 1) * T], [0, H]]], scale: 1 });
        for (const id of ['rows', 'back']) decl(id, [S, H]);
        for (const id of ['experts', 'weights', 'tokens']) decl(id, [S, 1]);
        decl('recv', [R, H]);
        decl('y', [T, H]);
        const there = { sendCounts: counts.send[r], recvCounts: counts.recv[r] };
        const ops: RankOp[] = [
          { op: 'dispatch_pack', ins: ['x', 'idx', 'w'], outs: ['rows', 'experts', 'weights', 'tokens'], attrs: { bounds, rowStart: r * T, sendCounts: counts.send[r] }, label: {} },
          { op: 'all_to_all_v', ins: ['rows'], outs: ['recv'], group: 0, attrs: there, label: {} },
          { op: 'all_to_all_v', ins: ['recv'], outs: ['back'], group: 0, attrs: { sendCounts: counts.recv[r], recvCounts: counts.send[r] }, label: {} },
          { op: 'scatter_add_rows', ins: ['back', 'tokens', 'weights'], outs: ['y'], label: {} },
        ];
        return { rank: r, ops };
      });
      // The routing and its weights are inputs every member holds whole.
      const p: RankPrograms = { worldSize: n, groups: [Array.from({ length: n }, (_, r) => r)], buffers, ranks };
      const routing = new Map([['r', { idx: all, weights: Float32Array.from(w) }]]);
      // Feed idx/w through a topk that reuses the given routing.
      for (const rk of p.ranks) rk.ops.unshift({ op: 'topk', ins: ['p'], outs: ['idx', 'w'], attrs: { k, routingKey: 'r' }, label: {} });
      for (let r = 0; r < n; r++) buffers.push({ id: 'p', rank: r, dtype: 'f32', shape: [n * T, E] }, { id: 'idx', rank: r, dtype: 'f32', shape: [n * T, k] }, { id: 'w', rank: r, dtype: 'f32', shape: [n * T, k] });
      const run = interpret(p, { routing, trace: false });
      for (let r = 0; r < n; r++) {
        const x = run.buffers[r].get('x')!;
        const y = run.buffers[r].get('y')!;
        for (let t = 0; t < T; t++) {
          let s = 0;
          for (let j = 0; j < k; j++) s += Math.fround(w[(r * T + t) * k + j]);
          for (let h = 0; h < H; h++) assert.ok(Math.abs(y[t * H + h] - s * x[t * H + h]) <= 1e-5 * (1 + Math.abs(s * x[t * H + h])), `rank ${r} token ${t}`);
        }
        // What a member receives is exactly what the others send it.
        assert.equal(run.buffers[r].get('recv')!.length, counts.recv[r].reduce((a, b) => a + b, 0) * H);
      }
    }),
    { numRuns: 150 },
  );
});
