import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../extension/cli/main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test('unknown command is one line on stderr and exit 2', async () => {
  const c = capture();
  const code = await main(['frobnicate'], c.io);
  assert.equal(code, 2);
  assert.equal(c.err.length, 1);
  assert.match(c.err[0], /unknown command 'frobnicate'/);
});

test('no command prints usage and exits 2', async () => {
  const c = capture();
  assert.equal(await main([], c.io), 2);
  assert.match(c.out.join('\n'), /usage: shardscope/);
});
