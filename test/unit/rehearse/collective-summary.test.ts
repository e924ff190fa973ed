// The rehearsal's per-collective summary: each collective timed from every member's event (last member
// in → first member out), the wait for late members apart, the lowest rank's event alone when a member's
// event is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeCollectives } from '../../../extension/core/rehearse/trace-export';
import type { TraceEvent } from '../../../extension/core/trace/types';

const ev = (rank: number, seq: number, ts: number, dur: number, source: TraceEvent['source'] = 'measured'): TraceEvent =>
  ({ rank, lane: source, name: 'all_reduce', cat: 'collective', ts, dur, bytes: 1e6, group: [0, 1], seq, source, entry: { key: 'layers.*.mlp.down_proj' } });

test('a collective is timed from its last arrival to its first completion; the wait is apart', () => {
  const [row] = summarizeCollectives([
    // seq 0: rank 1 arrives 300 µs late; the data moves in 100 µs; rank 0 is rescheduled 50 µs later.
    ev(0, 0, 0, 450), ev(1, 0, 300, 100),
    // seq 1: together; 200 µs.
    ev(0, 1, 1000, 200), ev(1, 1, 1000, 210),
    ev(0, 0, 0, 120, 'predicted'), ev(1, 0, 0, 120, 'predicted'), ev(0, 1, 500, 120, 'predicted'), ev(1, 1, 500, 120, 'predicted'),
  ]);
  assert.equal(row.count, 2);
  assert.equal(row.measuredUs, 150); // (100 + 200) / 2
  assert.equal(row.waitUs, 150); // (300 + 0) / 2
  assert.equal(row.predictedUs, 120);
  assert.equal(row.bytes, 1e6);
  // all_reduce bus bandwidth: bytes / time × 2(n−1)/n.
  assert.ok(Math.abs(row.busGBps - (1e6 / 150e-6) * 1 / 1e9) < 1e-9);
  assert.deepEqual(row.entries, ['layers.*.mlp.down_proj']);
});

test('a collective missing a member\'s event is timed by the lowest rank\'s own event', () => {
  const [row] = summarizeCollectives([ev(0, 0, 0, 400), ev(0, 1, 1000, 100), ev(1, 1, 1050, 30)]);
  assert.equal(row.count, 2);
  assert.equal(row.measuredUs, (400 + 30) / 2); // seq 0: rank 0's 400; seq 1: 1050 → 1080
  assert.equal(row.waitUs, 50 / 2);
});

test('a run with nothing measured (no trace): count and bytes of the prediction, and measured false', () => {
  const [row] = summarizeCollectives([ev(0, 0, 0, 120, 'predicted'), ev(1, 0, 0, 120, 'predicted'), ev(0, 1, 500, 80, 'predicted'), ev(1, 1, 500, 80, 'predicted')]);
  assert.equal(row.measured, false);
  assert.equal(row.count, 2);
  assert.equal(row.bytes, 1e6);
  assert.equal(row.predictedUs, 100);
  assert.equal(row.measuredUs, 0);
  const [timed] = summarizeCollectives([ev(0, 0, 0, 100), ev(1, 0, 0, 100), ev(0, 0, 0, 120, 'predicted')]);
  assert.equal(timed.measured, true);
});
