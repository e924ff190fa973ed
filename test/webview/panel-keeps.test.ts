/// <reference lib="dom" />
// The panel keeps what it can: events it cannot draw are left out and counted in the status line, never
// the whole timeline; a trace of more lanes than 16 bits index draws, its canvas as tall as the view.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPanel, shutdown, NO_CHROMIUM } from './harness';
import { timelinePayload } from '../../extension/core/trace/timeline-payload';
import type { Trace, TraceEvent } from '../../extension/core/trace/types';

const skip = NO_CHROMIUM;
after(shutdown);

const trace = (lanes: number, perLane: number): Trace => {
  const events: TraceEvent[] = [];
  for (let r = 0; r < lanes; r++) for (let k = 0; k < perLane; k++) events.push({ rank: r, lane: 'compute', name: 'gemm', cat: 'compute', ts: k * 100, dur: 60, source: 'measured' });
  return { meta: { version: '1', origin: 'shardscope' }, ranks: Array.from({ length: lanes }, (_, r) => r), events };
};

/** Whether the middle row of the lane at canvas y shows the compute colour (#4e79a7). */
const inkAt = (y: number) => {
  const c = document.querySelector('canvas')!;
  const dpr = window.devicePixelRatio || 1;
  const d = c.getContext('2d')!.getImageData(Math.round(300 * dpr), Math.round(y * dpr), Math.round(200 * dpr), 1).data;
  for (let o = 0; o < d.length; o += 4) if (d[o] === 0x4e && d[o + 1] === 0x79 && d[o + 2] === 0xa7) return true;
  return false;
};

test('a timeline with a negative and an infinite duration: the other events show, the status says what was left out', { skip }, async () => {
  const p = await openPanel({ width: 1000, height: 600 });
  const payload = timelinePayload(trace(2, 20), 'bad events');
  payload.dur[3] = -5;
  payload.dur[25] = Infinity;
  await p.send({ type: 'timeline', payload });
  assert.equal(await p.page.textContent('[data-testid=status]'), '38 events on 2 ranks · 2 events left out: negative duration (1), duration not finite (1)');
  assert.equal(await p.page.evaluate(() => document.querySelector('[data-tab=timeline]')?.classList.contains('active')), true);
  assert.equal(await p.page.evaluate(inkAt, 26 + 11), true, 'rank 0 drawn');
  assert.equal(await p.page.evaluate(inkAt, 26 + 22 + 11), true, 'rank 1 drawn');
  await p.shot('timeline-left-out');
  await p.close();
});

test('70,000 lanes: the timeline shows, the canvas is as tall as the view, the last lane draws when scrolled to', { skip }, async () => {
  const p = await openPanel({ width: 1000, height: 600 });
  const payload = timelinePayload(trace(70000, 1), '70,000 lanes');
  assert.ok(payload.lane instanceof Uint32Array);
  await p.send({ type: 'timeline', payload });
  assert.equal(await p.page.textContent('[data-testid=status]'), '70,000 events on 70,000 ranks');
  const r = await p.page.evaluate(async () => {
    const canvas = document.querySelector('canvas')!;
    const wrap = canvas.parentElement!;
    const first = { height: canvas.getBoundingClientRect().height, scrollHeight: wrap.scrollHeight };
    wrap.scrollTop = wrap.scrollHeight;
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    const lastY = 26 + 69999 * 22 + 11 - wrap.scrollTop;
    return { ...first, lastY, scrolled: wrap.scrollTop };
  });
  assert.ok(r.height <= 600, `canvas ${r.height} px tall, within the page`);
  assert.ok(r.scrollHeight >= 70000 * 22, `every lane scrolls (${r.scrollHeight} px)`);
  assert.ok(r.lastY > 26 && r.lastY < r.height, JSON.stringify(r));
  assert.equal(await p.page.evaluate(inkAt, r.lastY), true, 'the last lane is drawn');
  const label = await p.page.evaluate(() => (window as unknown as { __shardscope: { timeline: { hit(x: number, y: number): number } } }).__shardscope.timeline.hit(400, 0));
  assert.equal(label, -1, 'the ruler is not a lane');
  await p.close();
});
