import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTraceEvents } from '../../../extension/runtime';
import { validateChildMessage, validateParentMessage } from '../../../extension/runtime/protocol';
import { addonCandidates } from '../../../extension/runtime/addonPath';
import type { RankPrograms } from '../../../extension/core/lower/types';

test('messages are validated on arrival, with a reason for what is wrong', () => {
  assert.equal(validateParentMessage({ type: 'run', programs: { worldSize: 1 }, options: {} }), 'run: programs must have worldSize, groups, buffers and ranks');
  assert.equal(validateParentMessage({ type: 'run', programs: { worldSize: 1, groups: [], buffers: [], ranks: [] }, options: { backend: 'tpu', timeoutMs: 1, outputs: [] } }), 'run: options must have backend (cpu|cuda), timeoutMs and outputs');
  assert.deepEqual(validateParentMessage({ type: 'cancel', extra: 1 }), { type: 'cancel' });
  assert.equal(validateParentMessage({ type: 'shutdown' }), "unknown message type 'shutdown'");
  assert.equal(validateChildMessage(null), 'message without a type');
  assert.equal(validateChildMessage({ type: 'result', result: { events: [{ rank: 0 }], outputs: {}, report: { ok: true, ranks: [] } } }), 'result: malformed event');
  assert.equal(validateChildMessage({ type: 'progress', ranks: [{ rank: 0, started: 'x', finished: 0 }] }), 'progress: ranks malformed');
});

test('the addon is looked for beside the bundle, then in the same installation\'s node-gyp output, never elsewhere', () => {
  assert.deepEqual(addonCandidates('/pkg/dist'), ['/pkg/dist/shardscope_native.node', '/pkg/native/build/Release/shardscope_native.node']);
});

test('native events become measured trace events labelled with their plan entry', () => {
  const programs: RankPrograms = {
    worldSize: 2, groups: [[0, 1]], buffers: [],
    ranks: [0, 1].map((rank) => ({ rank, ops: [
      { op: 'gemm' as const, ins: [], outs: [], label: { entry: 'layers.*.mlp.up_proj', file: 'plan.py', line: 4, layer: 0, pass: 'forward' as const } },
      { op: 'all_reduce' as const, ins: [], outs: [], group: 0, label: { entry: 'layers.*.mlp.down_proj' } },
    ] })),
  };
  const ev = toTraceEvents(programs, [
    { rank: 1, op: 0, startNs: 1000, endNs: 251000, bytes: 64 },
    { rank: 1, op: 1, startNs: 300000, endNs: 400500, bytes: 32, group: 0, members: [0, 1], seq: 0 },
  ]);
  assert.deepEqual(ev[0], { rank: 1, lane: 'cpu:compute', name: 'gemm', cat: 'compute', ts: 1, dur: 250, op: 'gemm', bytes: 64, source: 'measured', entry: { key: 'layers.*.mlp.up_proj', file: 'plan.py', line: 4 }, layer: 0, pass: 'forward' });
  assert.deepEqual(ev[1], { rank: 1, lane: 'cpu:comm', name: 'all_reduce', cat: 'collective', ts: 300, dur: 100.5, op: 'all_reduce', bytes: 32, group: [0, 1], seq: 0, commId: 'g0', source: 'measured', entry: { key: 'layers.*.mlp.down_proj', file: undefined, line: undefined } });
});
