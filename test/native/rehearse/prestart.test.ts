// The runtime child started ahead of its run: it takes the run it is given, a dead one is replaced by a
// fresh fork, and an unused one ends by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { childPath, addonBuilt, Prog } from '../runtime/helpers';
import { runPrograms, startRuntimeChild } from '../../../extension/runtime';

const skip = !addonBuilt() && 'the addon is not built';

function prog() {
  const g = new Prog(2);
  for (let r = 0; r < 2; r++) {
    g.buf(r, 'a', [4], 'f32', { kind: 'input', key: 'a', globalShape: [4], ranges: [[[0, 4]]], scale: 1 }).buf(r, 'b', [4]);
    g.op(r, 'all_reduce', ['a'], ['b'], { group: 0 });
  }
  return g.p;
}

test('a child started ahead runs the programs it is given, once', { skip }, async () => {
  const rc = startRuntimeChild({ childPath: childPath() });
  const res = await runPrograms(prog(), { childPath: childPath(), child: rc, outputs: ['0/b'] });
  assert.ok(res.report.ok, JSON.stringify(res.report));
  assert.equal(res.events.length, 2);
  // The child ends with its run; handing it again forks a fresh one.
  if (rc.child.exitCode === null && rc.child.signalCode === null) await once(rc.child, 'exit');
  const again = await runPrograms(prog(), { childPath: childPath(), child: rc, outputs: ['1/b'] });
  assert.ok(again.report.ok);
  assert.deepEqual([...again.outputs['1/b']], [...res.outputs['0/b']]);
});

test('a child started ahead and never used ends by itself', { skip }, async () => {
  const rc = startRuntimeChild({ childPath: childPath(), idleMs: 200 });
  // It does not hold the event loop open (a CLI exits past it): this test holds it while waiting.
  const hold = setInterval(() => {}, 50);
  const [code, signal] = await once(rc.child, 'exit');
  clearInterval(hold);
  assert.ok(code !== null || signal !== null);
});
