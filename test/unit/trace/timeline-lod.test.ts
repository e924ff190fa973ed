// The timeline's level-of-detail index (webview/lod.ts): the pyramid never loses an event, never paints
// more than a bucket away from one, keeps a lane of one kind in that kind's colour; the duration classes
// hold every event once, sorted by start, each in its class's duration range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimelineLod } from '../../../webview/lod';

interface Ev { lane: number; start: number; dur: number; kind: number }

function columns(evs: Ev[], nLanes: number) {
  const sorted = [...evs].sort((a, b) => a.lane - b.lane || a.start - b.start);
  const n = sorted.length;
  const p = { start: new Float64Array(n), dur: new Float64Array(n), lane: new Uint16Array(n), kind: new Uint8Array(n) };
  sorted.forEach((e, i) => { p.start[i] = e.start; p.dur[i] = e.dur; p.lane[i] = e.lane; p.kind[i] = e.kind; });
  const laneOff = new Int32Array(nLanes + 1);
  for (const e of sorted) laneOff[e.lane + 1]++;
  for (let l = 0; l < nLanes; l++) laneOff[l + 1] += laneOff[l];
  let tMin = Infinity, tMax = -Infinity;
  for (const e of sorted) { tMin = Math.min(tMin, e.start); tMax = Math.max(tMax, e.start + e.dur); }
  return { p, laneOff, tMin, tMax, sorted };
}

const event = (nLanes: number) => fc.record({
  lane: fc.integer({ min: 0, max: nLanes - 1 }),
  start: fc.double({ min: 0, max: 10_000, noNaN: true }),
  // instants, sub-bucket events and a few long ones
  dur: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0, max: 3000, noNaN: true })),
  kind: fc.integer({ min: 0, max: 3 }),
});

const RGBA = new Uint32Array([11, 22, 33, 44]);

test('pyramid columns: every event shows, nothing is painted more than one bucket away from an event', () => {
  fc.assert(fc.property(
    fc.array(event(3), { minLength: 1, maxLength: 300 }),
    fc.double({ min: 0.02, max: 0.98, noNaN: true }), fc.double({ min: 0.01, max: 1.5, noNaN: true }), fc.integer({ min: 20, max: 400 }),
    fc.integer({ min: 6, max: 12 }),
    (evs, where, zoom, width, log2Budget) => {
      const { p, laneOff, tMin, tMax, sorted } = columns(evs, 3);
      const lod = new TimelineLod(p, laneOff, tMin, tMax, 3 << log2Budget);
      const span = Math.max(tMax - tMin, 1);
      const viewSpan = span * zoom;
      const usPerPx = viewSpan / width;
      const level = lod.levelFor(usPerPx);
      if (level < 0) return; // finer than the finest bucket: the timeline draws exactly there
      const W = lod.base * 2 ** level;
      assert.ok(W <= usPerPx * (1 + 1e-9) && (level === lod.log2 || W * 2 > usPerPx), `level ${level}: bucket ${W} µs for ${usPerPx} µs per px`);
      const t0 = tMin + span * where - viewSpan / 2;
      for (let l = 0; l < 3; l++) {
        const row = new Uint32Array(width);
        lod.paintLane(row, 0, 0, width, l, level, t0, usPerPx, RGBA);
        const mine = sorted.filter((e) => e.lane === l);
        for (let px = 0; px < width; px++) {
          const a = t0 + px * usPerPx, b = a + usPerPx;
          // an event overlaps the column, or an instant sits inside it
          const hit = mine.some((e) => e.start < b && e.start + e.dur > a || (e.start >= a && e.start < b));
          const near = mine.some((e) => e.start < b + W && e.start + e.dur > a - W);
          if (hit) assert.notEqual(row[px], 0, `lane ${l} px ${px}: an event is lost`);
          if (row[px] !== 0) assert.ok(near, `lane ${l} px ${px}: painted with no event within a bucket`);
          if (row[px] !== 0 && new Set(mine.map((e) => e.kind)).size === 1) assert.equal(row[px], RGBA[mine[0].kind]);
        }
      }
    }), { numRuns: 150 });
});

test('duration classes: every event once, sorted by start within a lane and class, durations within the class', () => {
  fc.assert(fc.property(fc.array(event(4), { minLength: 1, maxLength: 400 }), (evs) => {
    const { p, laneOff, tMin, tMax } = columns(evs, 4);
    const lod = new TimelineLod(p, laneOff, tMin, tMax, 1 << 10);
    const C = lod.nClasses;
    assert.deepEqual([...lod.classIdx].sort((a, b) => a - b), Array.from({ length: p.start.length }, (_, i) => i));
    for (let l = 0; l < 4; l++) {
      for (let c = 0; c < C; c++) {
        const lo = lod.classOff[l * C + c], hi = lod.classOff[l * C + c + 1];
        for (let j = lo; j < hi; j++) {
          const i = lod.classIdx[j];
          assert.equal(p.lane[i], l);
          assert.equal(lod.classOf(p.dur[i]), c);
          assert.ok(p.dur[i] <= lod.classMaxDur[l * C + c]);
          if (c > 0) assert.ok(p.dur[i] >= lod.base * 2 ** c);
          if (c < C - 1) assert.ok(p.dur[i] < lod.base * 2 ** (c + 1));
          if (j > lo) assert.ok(p.start[lod.classIdx[j - 1]] <= p.start[i]);
        }
      }
    }
  }), { numRuns: 100 });
});

test('a bucket keeps its dominant kind: 3 µs of all_reduce beat 1 µs of compute; coverage adds up', () => {
  // one lane, 16 finest buckets of 1 µs over [0, 16)
  const { p, laneOff } = columns([
    { lane: 0, start: 0, dur: 0.25, kind: 0 }, { lane: 0, start: 0.25, dur: 0.5, kind: 1 },
    { lane: 0, start: 4, dur: 4, kind: 2 }, { lane: 0, start: 15.5, dur: 0.5, kind: 3 },
  ], 1);
  const lod = new TimelineLod(p, laneOff, 0, 16, 16);
  assert.equal(lod.log2, 4);
  assert.ok(Math.abs(lod.base - 1) < 1e-6);
  const q = (x: number) => Math.round(x * 65535);
  // bucket 0: compute 0.25 then all_reduce 0.5 → all_reduce dominates, 0.75 covered
  assert.equal(lod.domKind[0][0], 1);
  assert.ok(Math.abs(lod.cov[0][0] - q(0.75)) <= 2);
  // level 2 (4 µs buckets): bucket 1 is wholly kind 2, bucket 0 holds 0.75 µs of 4 → 3/16
  const o2 = lod.levelOff[2];
  assert.equal(lod.domKind[0][o2 + 1], 2);
  assert.equal(lod.cov[0][o2 + 1], 65535);
  assert.ok(Math.abs(lod.cov[0][o2] - q(0.75 / 4)) <= 4);
  assert.equal(lod.cov[0][o2 + 2], 0);
  // the top bucket: kind 2 covers 4 of 16 µs, more than any other
  assert.equal(lod.domKind[0][lod.levelOff[4]], 2);
  assert.ok(Math.abs(lod.cov[0][lod.levelOff[4]] - q(5.25 / 16)) <= 8);
  assert.equal(lod.levelFor(0.5), -1);
  assert.equal(lod.levelFor(1.001), 0);
  assert.equal(lod.levelFor(7.9), 2);
  assert.equal(lod.levelFor(1e9), 4);
});
