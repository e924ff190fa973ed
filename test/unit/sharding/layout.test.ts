import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkSizes, allLayouts, computeLayout, localShape, parsePlacements, parsePlacement, placementRepr, placementShort, parseMesh, groupRanks, expertParallel, coordOf, rankOf, ShardingError, PlacementSyntaxError } from '../../../extension/core/sharding';
import type { Placement } from '../../../extension/core/sharding';

const S = (dim: number): Placement => ({ kind: 'shard', dim });
const T = (dim: number, splitFactor: number): Placement => ({ kind: 'strided_shard', dim, splitFactor });
const R: Placement = { kind: 'replicate' };

test('torch.chunk ceil splits, empty trailing ranks', () => {
  assert.deepEqual(chunkSizes(5, 4), [2, 2, 1, 0]);
  assert.deepEqual(chunkSizes(6, 4), [2, 2, 2, 0]);
  assert.deepEqual(chunkSizes(10, 4), [3, 3, 3, 1]);
  assert.deepEqual(chunkSizes(7, 8), [1, 1, 1, 1, 1, 1, 1, 0]);
  assert.deepEqual(chunkSizes(2, 8), [1, 1, 0, 0, 0, 0, 0, 0]);
  // The empty shard reports the global size as its offset.
  const l = computeLayout([6, 3], [4], [S(0)], 3);
  assert.deepEqual(l.localShape, [0, 3]);
  assert.deepEqual(l.globalOffset, [6, 0]);
  assert.deepEqual(l.ranges, []);
});

test('mesh dims apply left to right: [S0, S0] of 7 rows on 2×2 and [S1, S1] of 2×5', () => {
  const a = allLayouts([7, 5], [2, 2], [S(0), S(0)]);
  assert.deepEqual(a.map((l) => l.localShape[0]), [2, 2, 2, 1]);
  assert.deepEqual(a.map((l) => l.globalOffset[0]), [0, 2, 4, 6]);
  const b = allLayouts([2, 5], [2, 2], [S(1), S(1)]);
  assert.deepEqual(b.map((l) => l.localShape[1]), [2, 1, 1, 1]);
  assert.deepEqual(b.map((l) => l.globalOffset[1]), [0, 2, 3, 4]);
});

test('lone _StridedShard holds several ranges; uneven strided sizes', () => {
  const a = allLayouts([16], [4], [T(0, 2)]);
  a.forEach((l, r) => assert.deepEqual(l.ranges, [[[2 * r, 2 * r + 2]], [[8 + 2 * r, 8 + 2 * r + 2]]]));
  assert.deepEqual(allLayouts([10], [4], [T(0, 2)]).map((l) => l.localShape[0]), [4, 4, 2, 0]);
});

test('_StridedShard followed by Shard on the same dim comes out right to left', () => {
  const a = allLayouts([8], [2, 2], [T(0, 2), S(0)]);
  assert.deepEqual(a.map((l) => l.globalOffset[0]), [0, 4, 2, 6]);
  assert.deepEqual(allLayouts([8], [2, 2], [S(0), S(0)]).map((l) => l.globalOffset[0]), [0, 2, 4, 6]);
  // A split factor other than the later mesh size: PyTorch 2.13 composes the splits (no error).
  const odd = allLayouts([8], [2, 2], [T(0, 3), S(0)]);
  assert.deepEqual(odd.map((l) => l.localShape[0]), [3, 2, 2, 1]);
  assert.deepEqual(odd.map((l) => l.globalOffset[0]), [0, 4, 2, 7]);
  // FSDP over two dims on a TP-colwise weight: [_S(0, sf=4), _S(0, sf=2), S(0)] on 2×2×2.
  const b = allLayouts([16], [2, 2, 2], [T(0, 4), T(0, 2), S(0)]);
  assert.deepEqual(b.map((l) => l.globalOffset[0]), [0, 8, 4, 12, 2, 10, 6, 14]);
});

test('mismatched placements are errors', () => {
  assert.throws(() => allLayouts([4], [2, 2], [S(0)]), ShardingError);
  assert.throws(() => allLayouts([4], [2], [S(1)]), ShardingError);
});

test('localShape agrees with computeLayout and is memoised per coordinate', () => {
  const shape = [13, 7, 5];
  const pl = [S(0), T(1, 2), S(0)];
  for (let r = 0; r < 27; r++) {
    const full = computeLayout(shape, [3, 3, 3], pl, r);
    assert.deepEqual(localShape(shape, [3, 3, 3], pl, coordOf([3, 3, 3], r)), full.localShape);
  }
});

test('placement parsing accepts what PyTorch prints and users write', () => {
  assert.deepEqual(parsePlacements('Shard(0),Shard(0)'), [S(0), S(0)]);
  assert.deepEqual(parsePlacements('[S(0), R]'), [S(0), R]);
  assert.deepEqual(parsePlacements('(Shard(dim=0), Replicate())'), [S(0), R]);
  assert.deepEqual(parsePlacement('Partial(sum)'), { kind: 'partial', op: 'sum' });
  assert.deepEqual(parsePlacement('P(avg)'), { kind: 'partial', op: 'avg' });
  assert.deepEqual(parsePlacement('Partial(reduce_op=max)'), { kind: 'partial', op: 'max' });
  assert.deepEqual(parsePlacement('P'), { kind: 'partial', op: 'sum' });
  assert.deepEqual(parsePlacement('_StridedShard(dim=0, sf=2)'), T(0, 2));
  assert.deepEqual(parsePlacement('_StridedShard(0, split_factor=2)'), T(0, 2));
  assert.deepEqual(parsePlacement('_S(1, 4)'), T(1, 4));
  assert.deepEqual(parsePlacement('Shard(-1)'), S(-1));
  for (const p of [S(0), R, { kind: 'partial', op: 'sum' } as Placement, T(0, 2)]) {
    assert.deepEqual(parsePlacement(placementRepr(p)), p);
    assert.deepEqual(parsePlacement(placementShort(p)), p);
  }
  assert.throws(() => parsePlacements('S(0), Q(1)'), (e: Error) => e instanceof PlacementSyntaxError && /unknown placement 'Q\(1\)' at column 7/.test(e.message));
  assert.throws(() => parsePlacement('Partial(mean)'), /unknown reduce op 'mean'/);
});

test('meshes: named and sized, groups, expert parallelism over named dims', () => {
  assert.deepEqual(parseMesh('dp=2,tp=4').dims, [{ name: 'dp', size: 2 }, { name: 'tp', size: 4 }]);
  assert.deepEqual(parseMesh('2,2').dims, [{ name: 'dim0', size: 2 }, { name: 'dim1', size: 2 }]);
  assert.throws(() => parseMesh('tp=x'), /bad mesh dim/);
  assert.throws(() => parseMesh('tp=2,tp=2'), /appears twice/);
  const sizes = [2, 4];
  assert.deepEqual(coordOf(sizes, 6), [1, 2]);
  assert.equal(rankOf(sizes, [1, 2]), 6);
  assert.deepEqual(groupRanks(sizes, 6, [1]), [4, 5, 6, 7]);
  assert.deepEqual(groupRanks(sizes, 6, [0]), [2, 6]);
  const ep = expertParallel(parseMesh('dp=8,tp=8'), ['dp', 'tp']);
  assert.equal(ep.size, 64);
  assert.equal(ep.index(37), 37);
  const eptp = expertParallel(parseMesh('dp=2,tp=4'), ['tp']);
  assert.equal(eptp.size, 4);
  assert.deepEqual(eptp.group(5), [4, 5, 6, 7]);
  assert.equal(eptp.index(5), 1);
  assert.throws(() => expertParallel(parseMesh('tp=4'), ['ep']), /does not have/);
});
