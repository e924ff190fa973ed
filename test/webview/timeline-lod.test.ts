/// <reference lib="dom" />
// The zoomed-out timeline drawn from the level-of-detail pyramid shows what the exact drawing shows: the
// same lanes inked, the same kinds (colours) per lane, the same pixel columns covered up to a bucket's
// bleed. Both are rendered in headless Chromium at zooms where the pyramid applies and sampled per lane.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPanel, shutdown, NO_CHROMIUM } from './harness';

const skip = NO_CHROMIUM;
after(shutdown);

interface LaneSample { ink: number; both: number; exactOnly: number; sameKind: number; kinds: number[] }

test('pyramid frames match exact frames: lanes, kinds and covered columns', { skip }, async () => {
  const p = await openPanel({ width: 1400, height: 500 });
  const out = await p.page.evaluate(async () => {
    // 4 ranks × 2 lanes; bursts of ~200 short events of one kind, then a long idle gap, so that a
    // zoomed-out pixel column is either busy or empty. Lane 5 mixes kinds inside each burst; lane 6 has
    // one long event under its bursts; lane 7 is empty except one instant.
    const LANES = 8, KINDS = ['compute', 'memcpy', 'idle', 'other', 'all_reduce', 'all_gather', 'reduce_scatter'];
    const ev: [number, number, number, number][] = [];
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let l = 0; l < 7; l++) {
      let t = 1000 * l;
      for (let b = 0; b < 25; b++) {
        const k = l % 2 ? 4 + (b % 3) : b % 2;
        for (let i = 0; i < 200; i++) {
          const d = 1 + rnd() * 7;
          ev.push([l, t, d, l === 5 ? 4 + (i % 3) : k]);
          t += d + rnd() * 4;
        }
        t += 20_000;
      }
    }
    ev.push([6, 500, 300_000, 0]);
    ev.push([7, 250_000, 0, 3]);
    ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const n = ev.length;
    const col = {
      start: new Float64Array(n), dur: new Float64Array(n), lane: new Uint16Array(n), kind: new Uint8Array(n), name: new Uint32Array(n),
      bytes: new Float64Array(n).fill(NaN), seq: new Int32Array(n).fill(-1), match: new Int32Array(n).fill(-1), entry: new Int32Array(n).fill(-1), groupSize: new Uint16Array(n),
    };
    ev.forEach(([l, s, d, k], i) => { col.start[i] = s; col.dur[i] = d; col.lane[i] = l; col.kind[i] = k; col.name[i] = k; });
    const payload = {
      title: 'bursts', ranks: [0, 1, 2, 3], lanes: Array.from({ length: LANES }, (_, l) => ({ rank: l >> 1, name: `stream ${l % 2}`, predicted: false })),
      names: KINDS, kinds: KINDS, entries: [], ...col, matches: [], summary: { ranks: [0, 1, 2, 3], collectives: [] }, steps: [],
    };
    type Tl = { exactOnly: boolean; t0: number; t1: number; setView(a: number, b: number): void; draw(): void; stats: { lastLevel: number; frames: number } };
    const tl = (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline;
    const f0 = tl.stats.frames;
    window.postMessage({ type: 'timeline', payload }, '*');
    await new Promise<void>((res) => { const check = () => (tl.stats.frames > f0 ? res() : requestAnimationFrame(check)); requestAnimationFrame(check); });

    const canvas = document.querySelector('canvas')!;
    const ctx = canvas.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    const RULER_H = 26, LANE_H = 22, GUTTER = (tl as unknown as { gutter: number }).gutter;
    // Colours as the timeline paints them (its kind table, parsed through a canvas).
    const kindRgb = KINDS.map((_, k) => (tl as unknown as { kindRgb(k: number): [number, number, number] }).kindRgb(k));
    const sample = (): { kinds: Int8Array[]; level: number } => {
      const w = canvas.width;
      const rows: Int8Array[] = [];
      for (let l = 0; l < LANES; l++) {
        const y = Math.round((RULER_H + l * LANE_H + LANE_H / 2) * dpr);
        const d = ctx.getImageData(0, y, w, 1).data;
        const bg = [d[4], d[5], d[6]];
        const row = new Int8Array(Math.floor(w / dpr) - GUTTER - 1).fill(-1);
        for (let x = 0; x < row.length; x++) {
          const o = Math.round((GUTTER + x + 0.5) * dpr) * 4;
          const px = [d[o], d[o + 1], d[o + 2]];
          if (Math.abs(px[0] - bg[0]) + Math.abs(px[1] - bg[1]) + Math.abs(px[2] - bg[2]) < 30) continue;
          let best = -1, bestD = 60;
          kindRgb.forEach((c, k) => { const dd = Math.abs(px[0] - c[0]) + Math.abs(px[1] - c[1]) + Math.abs(px[2] - c[2]); if (dd < bestD) { bestD = dd; best = k; } });
          row[x] = best < 0 ? 99 : best;
        }
        rows.push(row);
      }
      return { kinds: rows, level: tl.stats.lastLevel };
    };
    const results: { level: number; exactLevel: number; lanes: LaneSample[] }[] = [];
    const full = [tl.t0, tl.t1];
    const views = [full, [full[0] + (full[1] - full[0]) * 0.3, full[0] + (full[1] - full[0]) * 0.55]];
    for (const [a, b] of views) {
      tl.setView(a, b);
      tl.exactOnly = true;
      tl.draw();
      const exact = sample();
      tl.exactOnly = false;
      tl.draw();
      const pyr = sample();
      results.push({
        level: pyr.level, exactLevel: exact.level,
        lanes: pyr.kinds.map((row, l) => {
          const ex = exact.kinds[l];
          let ink = 0, both = 0, exactOnly = 0, sameKind = 0;
          const kinds = new Map<number, number>();
          for (let x = 0; x < row.length; x++) {
            if (row[x] >= 0) { ink++; kinds.set(row[x], (kinds.get(row[x]) ?? 0) + 1); }
            if (row[x] >= 0 && ex[x] >= 0) { both++; if (row[x] === ex[x]) sameKind++; }
            if (ex[x] >= 0 && row[x] < 0) exactOnly++;
          }
          const exInk = ex.filter((k) => k >= 0).length;
          const exKinds = new Map<number, number>();
          for (const k of ex) if (k >= 0) exKinds.set(k, (exKinds.get(k) ?? 0) + 1);
          // kinds that hold at least 3 columns (a stray blended edge pixel is not a kind)
          const major = (m: Map<number, number>) => [...m].filter(([, c]) => c >= 3).map(([k]) => k).sort((x, y) => x - y);
          return { ink, exactInk: exInk, both, exactOnly, sameKind, kinds: major(kinds), exactKinds: major(exKinds) } as LaneSample & { exactInk: number; exactKinds: number[] };
        }),
      });
    }
    return results;
  });
  for (const [v, r] of out.entries()) {
    assert.ok(r.level >= 0, `view ${v}: the pyramid drew (level ${r.level})`);
    assert.equal(r.exactLevel, -1, `view ${v}: the exact frame walked every event`);
    for (const [l, s] of r.lanes.entries()) {
      const x = s as LaneSample & { exactInk: number; exactKinds: number[] };
      const where = `view ${v} lane ${l}: ${JSON.stringify(x)}`;
      // the same lanes inked
      assert.equal(x.ink > 0, x.exactInk > 0, where);
      if (!x.exactInk) continue;
      // every column the exact drawing covers is covered (an event is never lost)...
      assert.ok(x.exactOnly <= Math.max(1, x.exactInk * 0.02), where);
      // ...and the pyramid adds at most a column or two at each burst's edges
      assert.ok(x.ink <= x.exactInk + 2 * 26 + 2, where);
      // the same kinds; the same kind in nearly every shared column where a burst is of one kind (lane 5
      // mixes three kinds in every column: the exact drawing shows the first, the pyramid the dominant one)
      assert.deepEqual(x.kinds, x.exactKinds, where);
      if (l !== 5) assert.ok(x.sameKind >= x.both * 0.9, where);
    }
  }
  // a lane's long event under its bursts and a lone instant both show
  assert.ok(out[0].lanes[6].ink > 200 && out[0].lanes[7].ink >= 1);
  await p.shot('timeline-lod-bursts');
  await p.close();
});

test('many lanes: a frame draws the lanes in the scroll viewport, scrolling draws the others', { skip }, async () => {
  const p = await openPanel({ width: 1000, height: 600 });
  const r = await p.page.evaluate(async () => {
    const LANES = 96, PER = 500, n = LANES * PER;
    const col = {
      start: new Float64Array(n), dur: new Float64Array(n), lane: new Uint16Array(n), kind: new Uint8Array(n), name: new Uint32Array(n),
      bytes: new Float64Array(n).fill(NaN), seq: new Int32Array(n).fill(-1), match: new Int32Array(n).fill(-1), entry: new Int32Array(n).fill(-1), groupSize: new Uint16Array(n),
    };
    for (let l = 0, i = 0; l < LANES; l++) for (let k = 0; k < PER; k++, i++) { col.start[i] = k * 10; col.dur[i] = 6; col.lane[i] = l; col.kind[i] = l % 2; }
    const payload = {
      title: '96 lanes', ranks: Array.from({ length: 48 }, (_, r) => r), lanes: Array.from({ length: LANES }, (_, l) => ({ rank: l >> 1, name: `stream ${l % 2}`, predicted: false })),
      names: ['gemm'], kinds: ['compute', 'memcpy'], entries: [], ...col, matches: [], summary: { ranks: [], collectives: [] }, steps: [],
    };
    type Tl = { draw(): void; stats: { frames: number; lastLanes: number } };
    const tl = (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline;
    const f0 = tl.stats.frames;
    window.postMessage({ type: 'timeline', payload }, '*');
    await new Promise<void>((res) => { const check = () => (tl.stats.frames > f0 ? res() : requestAnimationFrame(check)); requestAnimationFrame(check); });
    const canvas = document.querySelector('canvas')!;
    const wrap = canvas.parentElement!;
    /** Whether 40 px of a lane's middle row show its events' colour (compute #4e79a7 on even lanes, memcpy #9c755f on odd). */
    const ink = (lane: number) => {
      const dpr = window.devicePixelRatio || 1;
      const y = 26 + lane * 22 + 11 - wrap.scrollTop; // the canvas stays in sight while the lanes scroll under its ruler
      if (y < 26 || y >= canvas.height / dpr) return false;
      const d = canvas.getContext('2d')!.getImageData(Math.round(400 * dpr), Math.round(y * dpr), Math.round(40 * dpr), 1).data;
      const want = lane % 2 ? [0x9c, 0x75, 0x5f] : [0x4e, 0x79, 0xa7];
      for (let o = 0; o < d.length; o += 4) if (d[o] === want[0] && d[o + 1] === want[1] && d[o + 2] === want[2]) return true;
      return false;
    };
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))); // laid out and drawn
    const top = { lanes: tl.stats.lastLanes, first: ink(0), last: ink(95) };
    wrap.scrollTop = wrap.scrollHeight;
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    const bottom = { lanes: tl.stats.lastLanes, last: ink(95), scrolled: wrap.scrollTop > 0 };
    return { top, bottom, viewport: wrap.clientHeight };
  });
  // 70 % of a 600 px page shows about 19 lanes of 22 px: those (and one more) are drawn, not all 96
  assert.ok(r.top.lanes >= 15 && r.top.lanes <= 22, JSON.stringify(r));
  assert.equal(r.top.first, true, JSON.stringify(r));
  assert.equal(r.top.last, false, 'lane 95 is out of sight and not drawn');
  assert.equal(r.bottom.scrolled, true);
  assert.ok(r.bottom.lanes >= 15 && r.bottom.lanes <= 22, JSON.stringify(r));
  assert.equal(r.bottom.last, true, 'scrolled into sight, lane 95 is drawn');
  await p.close();
});
