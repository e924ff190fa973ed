import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { main } from '../../../extension/cli/main';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err };
}

test('layout --json gives the contract shape', async () => {
  const r = await run(['layout', '--shape', '7,5', '--mesh', 'dp=2,tp=2', '--placements', 'Shard(0),Shard(0)', '--json']);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.ranks[0], { rank: 0, coord: [0, 0], local_shape: [2, 5], global_offset: [0, 0], ranges: [[[0, 2], [0, 5]]] });
  assert.deepEqual(j.ranks[3], { rank: 3, coord: [1, 1], local_shape: [1, 5], global_offset: [6, 0], ranges: [[[6, 7], [0, 5]]] });
});

test('layout accepts sizes-only meshes and PyTorch spellings', async () => {
  const r = await run(['layout', '--shape', '16', '--mesh', '4', '--placements', '_StridedShard(dim=0, sf=2)', '--json']);
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out).ranks[1].ranges, [[[2, 4]], [[10, 12]]]);
});

test('bad input: one line on stderr, non-zero exit, no stack', async () => {
  for (const argv of [
    ['layout', '--shape', '7,5', '--mesh', '2,2', '--placements', 'Shard(0)'],
    ['layout', '--shape', '7,5', '--mesh', '2', '--placements', 'Foo(0)'],
    ['layout', '--shape', 'x', '--mesh', '2', '--placements', 'R'],
    ['layout', '--shape', '7', '--mesh', 'tp=2', '--placements', 'Shard(3)'],
    ['layout', '--mesh', 'tp=2', '--placements', 'R'],
  ]) {
    const r = await run(argv);
    assert.notEqual(r.code, 0, argv.join(' '));
    assert.equal(r.err.length, 1, argv.join(' '));
    assert.doesNotMatch(r.err[0], /\n\s+at /);
  }
});

test('the built binary exits non-zero with one stderr line', () => {
  const p = spawnSync(process.execPath, ['dist/cli.js', 'layout', '--shape', '4', '--mesh', 'tp=2', '--placements', 'Q'], { encoding: 'utf8' });
  assert.equal(p.status, 2);
  assert.equal(p.stderr.trim().split('\n').length, 1);
  assert.match(p.stderr, /unknown placement 'Q'/);
});
