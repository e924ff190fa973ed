/// <reference lib="dom" />
// Panel rendering in headless Chromium: 1 million events over 8 ranks sent as columnar typed arrays.
// First paint: from posting the message to the end of the first drawn frame. Then ~60 pan and zoom
// frames from the whole trace down to a few µs, each timed from the view change to the end of its draw.
import { openPanel, shutdown, NO_CHROMIUM } from '../test/webview/harness';

export default async () => {
  if (NO_CHROMIUM) return [{ name: 'panel render: skipped', value: NaN, unit: '', note: NO_CHROMIUM }];
  const p = await openPanel({ width: 1600, height: 900 });
  try {
    const r = await p.page.evaluate(async () => {
      const N = 1_000_000, RANKS = 8, LANES = RANKS * 2;
      const per = N / LANES;
      const start = new Float64Array(N), dur = new Float64Array(N), lane = new Uint16Array(N), kind = new Uint8Array(N), name = new Uint32Array(N);
      const bytes = new Float64Array(N).fill(NaN), seq = new Int32Array(N).fill(-1), match = new Int32Array(N).fill(-1), entry = new Int32Array(N).fill(-1), groupSize = new Uint16Array(N);
      let seed = 7;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      let i = 0;
      for (let l = 0; l < LANES; l++) {
        let t = 0;
        const comm = l % 2 === 1;
        for (let k = 0; k < per; k++, i++) {
          t += rnd() * 4;
          const d = comm ? 5 + rnd() * 30 : 1 + rnd() * 8;
          start[i] = t; dur[i] = d; lane[i] = l; kind[i] = comm ? 4 + (k % 3) : 0; name[i] = comm ? 1 + (k % 3) : 0;
          if (comm) { bytes[i] = 1 << 20; seq[i] = k; groupSize[i] = RANKS; }
          t += d;
        }
      }
      const lanes = Array.from({ length: LANES }, (_, l) => ({ rank: l >> 1, name: l % 2 ? 'stream 20' : 'stream 7', predicted: false }));
      const payload = {
        title: '1M events', ranks: [0, 1, 2, 3, 4, 5, 6, 7], lanes, names: ['gemm', 'all_reduce', 'all_gather', 'reduce_scatter'],
        kinds: ['compute', 'memcpy', 'idle', 'other', 'all_reduce', 'all_gather', 'reduce_scatter'], entries: [],
        start, dur, lane, kind, name, bytes, seq, match, entry, groupSize, matches: [], summary: { ranks: [0, 1, 2, 3, 4, 5, 6, 7], collectives: [] }, steps: [],
      };
      const tl = (window as unknown as { __shardscope: { timeline: { stats: { frames: number; lastFrameMs: number }; t0: number; t1: number; setView(a: number, b: number): void; draw(): void } } }).__shardscope.timeline;
      const f0 = tl.stats.frames;
      const t0 = performance.now();
      window.postMessage({ type: 'timeline', payload }, '*', [start, dur, lane, kind, name, bytes, seq, match, entry, groupSize].map((a) => a.buffer));
      await new Promise<void>((res) => { const check = () => (tl.stats.frames > f0 ? res() : requestAnimationFrame(check)); requestAnimationFrame(check); });
      const firstPaint = performance.now() - t0;
      const frames: number[] = [];
      const full0 = tl.t0, full1 = tl.t1;
      let a = full0, b = full1;
      for (let f = 0; f < 60; f++) {
        const span = b - a;
        if (f < 30) { const mid = a + span * 0.37; const ns = span * 0.7; a = mid - ns * 0.37; b = a + ns; } // zoom in
        else if (f < 45) { a += span * 0.05; b += span * 0.05; } // pan
        else { const ns = span * 1.6; a -= (ns - span) / 2; b = a + ns; } // zoom out
        const s = performance.now();
        tl.setView(a, b);
        tl.draw();
        frames.push(performance.now() - s);
      }
      const order = frames.slice();
      frames.sort((x, y) => x - y);
      return { firstPaint, median: frames[frames.length >> 1], worst: frames[frames.length - 1], order: order.map((x) => Math.round(x)).join(" ") };
    });
    return [
      { name: 'panel render: first paint, 1M events / 8 ranks', value: r.firstPaint, unit: 'ms', budget: 1000 },
      { name: 'panel render: pan/zoom frame, median of 60', value: r.median, unit: 'ms', budget: 16 },
      { name: 'panel render: pan/zoom frame, worst of 60', value: r.worst, unit: 'ms', budget: 16, note: process.env.BENCH_VERBOSE ? r.order : undefined },
    ];
  } finally {
    await p.close().catch(() => undefined);
    await shutdown();
  }
};
