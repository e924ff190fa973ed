/// <reference lib="dom" />
// The panel's rough edges, read back from what it renders: the GPU-limit marker, several ranks from several
// files (and the other ranks' files found beside one), whole or short kernel names only, legend colours
// apart, one unit per time axis, a gentle wheel, a bus bandwidth for a matched collective.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPanel, shutdown, NO_CHROMIUM, type Panel } from './harness';
import { readTraceFile } from '../../extension/core/trace/read';
import { siblingRankFiles } from '../../extension/core/trace/siblings';
import { timelinePayload } from '../../extension/core/trace/timeline-payload';
import { shapesPayload } from '../../extension/core/trace/shapes-payload';
import type { Trace, TraceEvent } from '../../extension/core/trace/types';
import { loadModel } from '../../extension/core/models';
import { bindPlan, autoPlanInputs } from '../../extension/core/analysis';
import { parseMesh } from '../../extension/core/sharding';
import { kernelNameForms } from '../../webview/timeline-text';

const skip = NO_CHROMIUM;
after(shutdown);

const F = 'test/fixtures/trace';
const GiB = 2 ** 30;

type Tl = { t0: number; t1: number; gutter: number; drawn: { labels: string[]; ruler: string[]; lanes: string[] }; setView(a: number, b: number): void; flush(): void; select(i: number): void };
const drawn = (p: Panel) => p.page.evaluate(() => {
  const tl = (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline;
  tl.flush();
  return { ...tl.drawn, t0: tl.t0, t1: tl.t1 };
});
const setView = (p: Panel, t0: number, t1: number) => p.page.evaluate(([a, b]) => {
  const tl = (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline;
  tl.setView(a, b);
  tl.flush();
}, [t0, t1] as const);

async function timelineOf(path: string | string[], title: string) {
  const l = await readTraceFile(path);
  assert.equal(l.kind, 'timeline');
  return timelinePayload((l as { trace: Trace }).trace, title);
}

test('memory per rank: the GPU limit is drawn where it lies, bars scale against it, a rank over it runs past it', { skip }, async () => {
  const g = loadModel('llama-3-8b');
  const base = shapesPayload(bindPlan(g, autoPlanInputs(g), parseMesh('tp=2')));
  const mem = (total: number) => ({ params: total, grads: 0, optimizer: 0, kvCache: 0, activations: 0, total });
  const p = await openPanel();
  const geometry = () => p.page.evaluate(() => [...document.querySelectorAll('[data-testid=memory] .mem-row')].map((row) => {
    const track = row.querySelector('.track')!.getBoundingClientRect();
    const bar = row.querySelector('.bar')!.getBoundingClientRect();
    const marker = row.querySelector('.limit')!.getBoundingClientRect();
    return { bar: bar.width / track.width, marker: (marker.left + marker.width / 2 - track.left) / track.width, markerX: marker.left, over: row.querySelector('.bar')!.classList.contains('over'), value: row.querySelector('.mem-value')!.textContent };
  }));
  // No limit named: the assumed 80 GiB, said so; 178 GiB is more than twice over it, 7.8 GiB a tenth of it.
  await p.send({ type: 'shapes', payload: { ...base, memory: [mem(7.8 * GiB), mem(178 * GiB)] } });
  assert.equal(await p.page.textContent('[data-testid=mem-limit-text]'), 'GPU limit 80.0 GiB (assumed)');
  let g1 = await geometry();
  assert.ok(Math.abs(g1[0].marker - 80 / 178) < 0.01, JSON.stringify(g1));
  // the markers line up from rank to rank, whatever the width of the value beside each bar
  assert.ok(Math.abs(g1[0].markerX - g1[1].markerX) < 0.5, JSON.stringify(g1));
  assert.ok(Math.abs(g1[0].bar - 7.8 / 178) < 0.01 && Math.abs(g1[1].bar - 1) < 0.01, JSON.stringify(g1));
  assert.deepEqual(g1.map((x) => x.over), [false, true]);
  assert.equal(g1[1].value, '178.0 GiB (+98.0 GiB)');
  await p.shot('memory-limit-assumed', '.shapes-side');
  // The plan names 192 GiB: every rank is under it and the marker sits at the end of the scale.
  await p.send({ type: 'shapes', payload: { ...base, gpuLimitBytes: 192 * GiB, gpuLimitSource: 'plan', memory: [mem(7.8 * GiB), mem(178 * GiB)] } });
  assert.equal(await p.page.textContent('[data-testid=mem-limit-text]'), 'GPU limit 192.0 GiB (plan)');
  g1 = await geometry();
  assert.ok(Math.abs(g1[0].marker - 1) < 0.01 && Math.abs(g1[0].bar - 7.8 / 192) < 0.01 && Math.abs(g1[1].bar - 178 / 192) < 0.01, JSON.stringify(g1));
  assert.deepEqual(g1.map((x) => x.over), [false, false]);
  await p.shot('memory-limit-plan', '.shapes-side');
  await p.close();
});

test('several files open as several ranks; one Kineto file finds its job\'s other ranks beside it', { skip }, async () => {
  // by distributedInfo: the fixture's two ranks name the same job
  assert.deepEqual(await siblingRankFiles(`${F}/kineto-new/rank0.json`), [{ path: join(`${F}/kineto-new`, 'rank1.json'), rank: 1, by: 'distributedInfo' }]);
  // by name, when the files carry no distributedInfo: rank numbers differ, a time stamp may too
  const dir = mkdtempSync(join(tmpdir(), 'ss-siblings-'));
  const kineto = (info?: object) => JSON.stringify({ schemaVersion: 1, ...(info ? { distributedInfo: info } : {}), traceEvents: [] });
  for (const [name, text] of [['job_rank0.111.pt.trace.json', kineto()], ['job_rank1.222.pt.trace.json', kineto()], ['job_rank2.333.pt.trace.json', kineto()], ['other_rank1.json', kineto()], ['notes.txt', 'x']]) writeFileSync(join(dir, name), text);
  const byName = await siblingRankFiles(join(dir, 'job_rank0.111.pt.trace.json'));
  assert.deepEqual(byName.map((s) => [s.path, s.rank, s.by]), [[join(dir, 'job_rank1.222.pt.trace.json'), 1, 'name'], [join(dir, 'job_rank2.333.pt.trace.json'), 2, 'name']]);
  // a file named alike but of another job (its distributedInfo says so) is not offered
  const jobs = mkdtempSync(join(tmpdir(), 'ss-siblings-'));
  const info = (rank: number, world: number) => ({ backend: 'nccl', rank, world_size: world, pg_config: [{ pg_name: '0', ranks: Array.from({ length: world }, (_, r) => r) }] });
  writeFileSync(join(jobs, 'rank0.json'), kineto(info(0, 2)));
  writeFileSync(join(jobs, 'rank1.json'), kineto(info(1, 8)));
  writeFileSync(join(jobs, 'b.json'), kineto(info(1, 2)));
  assert.deepEqual((await siblingRankFiles(join(jobs, 'rank0.json'))).map((s) => [s.path, s.by]), [[join(jobs, 'b.json'), 'distributedInfo']]);

  const p = await openPanel();
  const payload = await timelineOf([`${F}/kineto-new/rank0.json`, ...(await siblingRankFiles(`${F}/kineto-new/rank0.json`)).map((s) => s.path)], 'rank0.json + 1 more');
  await p.send({ type: 'timeline', payload });
  assert.deepEqual(payload.ranks, [0, 1]);
  const d = await drawn(p);
  assert.deepEqual([...new Set(d.lanes.map((l) => l.split(' · ')[0]))], ['rank 0', 'rank 1']);
  assert.match((await p.page.textContent('[data-testid=status]'))!, / on 2 ranks/);
  await p.shot('multi-file-ranks');
  await p.close();
});

test('kernel names: whole or in their short form at the default zoom, never cut; lane labels whole', { skip }, async () => {
  const p = await openPanel();
  const payload = await timelineOf([`${F}/kineto-new/rank0.json`, `${F}/kineto-new/rank1.json`], 'kineto-new');
  await p.send({ type: 'timeline', payload });
  const allowed = new Set(payload.names.flatMap(kernelNameForms));
  const check = async (what: string) => {
    const d = await drawn(p);
    assert.ok(d.labels.length > 0, `${what}: some event is labelled`);
    for (const l of d.labels) assert.ok(allowed.has(l), `${what}: "${l}" is a cut name`);
    return d;
  };
  const d = await check('default zoom');
  assert.ok(d.labels.some((l) => l.startsWith('nccl ')), `an NCCL kernel is labelled: ${d.labels.join(' | ')}`);
  // lane labels: the whole text, however long (the gutter fits the longest)
  for (const l of d.lanes) assert.ok(!l.endsWith('…'), l);
  // zoomed onto the all-reduce, its whole name fits and is shown
  const ar = [...payload.start.keys()].find((i) => payload.names[payload.name[i]].startsWith('ncclDevKernel_AllReduce'))!;
  await setView(p, payload.start[ar] - 5, payload.start[ar] + payload.dur[ar] + 5);
  const z = await check('zoomed in');
  assert.ok(z.labels.includes(payload.names[payload.name[ar]]), z.labels.join(' | '));
  await p.shot('kernel-names');
  await p.close();

  // the rehearsal's predicted lane is not called "predicted (predicted)"
  const ours = await timelineOf(`${F}/shardscope-2rank.json`, 'ours');
  for (const lane of ours.lanes) assert.doesNotMatch(lane.name, /predicted.*predicted/);
});

test('legend: every kind, the straggler mark and the uncertain mark in colours apart', { skip }, async () => {
  const kinds = ['all_reduce', 'all_gather', 'reduce_scatter', 'all_to_all', 'broadcast', 'send_recv', 'barrier'];
  const events: TraceEvent[] = [];
  kinds.forEach((op, k) => {
    for (const rank of [0, 1]) events.push({ rank, lane: 'nccl', name: op, cat: 'collective', op, ts: k * 100 + rank * 10, dur: 50, bytes: 1 << 20, group: [0, 1], source: 'imported' });
  });
  for (const rank of [0, 1]) events.push({ rank, lane: 'compute', name: 'gemm', cat: 'compute', ts: 900, dur: 50, source: 'imported' }, { rank, lane: 'copy', name: 'memcpy', cat: 'memcpy', ts: 960, dur: 20, source: 'imported' });
  const payload = timelinePayload({ meta: { version: '1', origin: 'kineto' }, ranks: [0, 1], events }, 'legend');
  assert.ok(payload.matches.some((m) => m.uncertain), 'no sequence numbers: matched by order, uncertain');
  const p = await openPanel();
  await p.send({ type: 'timeline', payload });
  const swatches = await p.page.locator('.legend .swatch').evaluateAll((els) => els.map((e) => {
    const m = getComputedStyle(e).backgroundColor.match(/\d+/g)!.map(Number);
    return { label: e.parentElement!.textContent!, rgb: m.slice(0, 3) };
  }));
  assert.equal(swatches.length, kinds.length + 2 + 2, JSON.stringify(swatches.map((s) => s.label)));
  for (let a = 0; a < swatches.length; a++) {
    for (let b = a + 1; b < swatches.length; b++) {
      const d = swatches[a].rgb.reduce((s, v, i) => s + Math.abs(v - swatches[b].rgb[i]), 0);
      assert.ok(d >= 60, `${swatches[a].label} and ${swatches[b].label} look alike (${d})`);
    }
  }
  await p.shot('legend');
  await p.close();
});

test('time axis: one unit per axis, chosen for the visible span, and ticks told apart', { skip }, async () => {
  const p = await openPanel();
  const payload = await timelineOf(`${F}/shardscope-2rank.json`, 'ours');
  await p.send({ type: 'timeline', payload });
  for (const [t0, t1, unit] of [[-5, 300, 'µs'], [0, 100_500, 'ms'], [99_990, 100_020, 'µs'], [0, 5e6, 's'], [-2_000, 250_000, 'ms']] as const) {
    await setView(p, t0, t1);
    const { ruler } = await drawn(p);
    assert.ok(ruler.length >= 3, JSON.stringify(ruler));
    for (const r of ruler) assert.equal(r.split(' ').pop(), unit, `${t0}..${t1}: ${ruler.join(', ')}`);
    assert.equal(new Set(ruler).size, ruler.length, `ticks read alike: ${ruler.join(', ')}`);
  }
  await p.shot('axis-units');
  await p.close();
});

test('wheel zoom: proportional to the delta, bounded per event, pinch (ctrl+wheel) as well; horizontal swipe pans', { skip }, async () => {
  const p = await openPanel();
  await p.send({ type: 'timeline', payload: await timelineOf(`${F}/shardscope-2rank.json`, 'ours') });
  const ratio = (init: WheelEventInit) => p.page.evaluate((i) => {
    const tl = (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline;
    const c = document.querySelector('canvas')!;
    const r = c.getBoundingClientRect();
    const span = tl.t1 - tl.t0, t0 = tl.t0;
    c.dispatchEvent(new WheelEvent('wheel', { ...i, clientX: r.left + r.width / 2, clientY: r.top + 40, cancelable: true, bubbles: true }));
    return { zoom: (tl.t1 - tl.t0) / span, moved: tl.t0 - t0 };
  }, init);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  assert.ok(near((await ratio({ deltaY: 10 })).zoom, Math.exp(0.01)), 'a small notch, a small zoom');
  assert.ok(near((await ratio({ deltaY: 100 })).zoom, Math.exp(0.1)));
  assert.ok(near((await ratio({ deltaY: 5000 })).zoom, Math.exp(0.1)), 'a huge delta is bounded');
  assert.ok(near((await ratio({ deltaY: -5000 })).zoom, Math.exp(-0.1)));
  assert.ok(near((await ratio({ deltaY: 3, deltaMode: 1 })).zoom, Math.exp(0.048)), 'lines count as 16 px');
  assert.ok(near((await ratio({ deltaY: -4, ctrlKey: true })).zoom, Math.exp(-0.04)), 'a pinch zooms');
  const swipe = await ratio({ deltaX: 50, deltaY: 2 });
  assert.ok(near(swipe.zoom, 1) && swipe.moved > 0, JSON.stringify(swipe));
  await p.close();
});

test('bus bandwidth of a matched collective from its bytes, group size and measured duration; a dash with the reason otherwise', { skip }, async () => {
  const p = await openPanel();
  const payload = await timelineOf(`${F}/shardscope-2rank.json`, 'ours');
  await p.send({ type: 'timeline', payload });
  const select = async (i: number) => {
    await p.page.evaluate((k) => (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline.select(k), i);
    return (await p.page.locator('[data-testid=details] tr', { hasText: 'bus bandwidth' }).textContent())!;
  };
  const ag = [...payload.start.keys()].find((i) => payload.kinds[payload.kind[i]] === 'all_gather' && payload.match[i] >= 0 && !payload.lanes[payload.lane[i]].predicted)!;
  const text = await select(ag);
  const gbps = Number(/bus bandwidth([\d.]+) GB\/s/.exec(text)?.[1]);
  // nccl-tests: S/t × (n−1)/n for all_gather
  const n = payload.groupSize[ag];
  const want = (payload.bytes[ag] / (payload.dur[ag] * 1e3)) * ((n - 1) / n);
  assert.ok(gbps > 0 && Math.abs(gbps - want) / want < 0.01, `${text} vs ${want}`);
  assert.match(text, /S\/t × \(n−1\)\/n, n = 2/);
  await p.shot('bandwidth');
  await p.close();
  // a matched collective whose trace gives no byte count says so, not "0.00 GB/s"
  const events: TraceEvent[] = [0, 1].map((rank) => ({ rank, lane: 'nccl', name: 'all_reduce', cat: 'collective', op: 'all_reduce', ts: rank, dur: 40, group: [0, 1], seq: 0, source: 'imported' }));
  const q = await openPanel();
  const bare = timelinePayload({ meta: { version: '1', origin: 'kineto' }, ranks: [0, 1], events }, 'no bytes');
  await q.send({ type: 'timeline', payload: bare });
  await q.page.evaluate(() => (window as unknown as { __shardscope: { timeline: Tl } }).__shardscope.timeline.select(0));
  assert.equal(await q.page.locator('[data-testid=details] tr', { hasText: 'bus bandwidth' }).textContent(), 'bus bandwidth— (the trace gives no byte count for it)');
  await q.close();
});
