import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, optString, UsageError } from '../../../extension/cli/args';

test('a boolean flag before the positional argument leaves the argument positional', () => {
  const a = parseArgs(['run', '--ends', 'plan.shardplan.json', '--json']);
  assert.deepEqual(a.positional, ['run', 'plan.shardplan.json']);
  assert.equal(a.options.get('ends'), true);
  assert.equal(a.options.get('json'), true);
});

test('value options take the next word or an = value, and a missing value is a usage error', () => {
  const a = parseArgs(['run', 'p.json', '--ranks', '4', '--out=t.json', '--nccl-tests']);
  assert.equal(a.options.get('ranks'), '4');
  assert.equal(a.options.get('out'), 't.json');
  assert.throws(() => optString(a, 'nccl-tests'), (e: unknown) => e instanceof UsageError && /--nccl-tests needs a value/.test((e as Error).message));
});
