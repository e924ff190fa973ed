// Programs the runtime must refuse with a clear message rather than crash or hang on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPrograms, RuntimeProgramError } from '../../../extension/runtime';
import { Prog, childPath, addonBuilt } from './helpers';

const refused = (g: Prog, re: RegExp) => assert.rejects(runPrograms(g.p, { childPath: childPath() }), (e: Error) => e instanceof RuntimeProgramError && re.test(e.message));

test('element counts that overflow int64 are refused, never wrapped to 0 (a slice of [2^62, 4] once crashed the child)', { skip: !addonBuilt() && 'native addon not built' }, async () => {
  await refused(new Prog(1).buf(0, 'a', [2 ** 62, 4]).buf(0, 'b', [1, 4]).op(0, 'slice', ['a'], ['b'], { attrs: { dim: 0, start: 0 } }), /buffer 'a' on rank 0: dim 0 of \d+ is over the limit of 2\^34 elements/);
  await refused(new Prog(1).buf(0, 'a', [2 ** 20, 2 ** 20]).op(0, 'scale', ['a'], ['a'], { attrs: { factor: 2 } }), /buffer 'a' on rank 0: shape \[1048576,1048576\] f32 is over the limit of 2\^34 elements/);
  // a huge dim beside a 0 holds nothing, and must not size anything either
  const empty = await runPrograms(new Prog(1).buf(0, 'z', [2 ** 33, 0], 'f32', { kind: 'normal', key: 'z' } as never).op(0, 'scale', ['z'], ['z'], { attrs: { factor: 2 } }).p, { childPath: childPath() });
  assert.equal(empty.report.ok, true, empty.report.message);
});

test('a program that cannot be serialised for the runtime rejects the run (the promise used to never settle)', async () => {
  const g = new Prog(1).buf(0, 'a', [4]).op(0, 'scale', ['a'], ['a'], { attrs: { factor: 2, how: (() => 1) as never } });
  const settled = await Promise.race([
    runPrograms(g.p, { childPath: childPath() }).then(() => 'resolved', (e: Error) => e),
    new Promise((r) => setTimeout(() => r('still pending after 10 s'), 10_000).unref()),
  ]);
  assert.ok(settled instanceof RuntimeProgramError, String(settled));
  assert.match((settled as Error).message, /cannot be serialised for the runtime/);
});
