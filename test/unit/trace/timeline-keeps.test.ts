// The panel keeps what it can of a timeline that `trace summary` accepts: an event it cannot draw is left
// out and counted with its reason, never the whole trace; a trace of more than 65,535 lanes gets a lane
// column that holds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraceFile } from '../../../extension/core/trace/read';
import { timelinePayload } from '../../../extension/core/trace/timeline-payload';
import { validateHostMessage, type TimelinePayload } from '../../../extension/core/trace/panel-protocol';
import type { Trace, TraceEvent } from '../../../extension/core/trace/types';
import { main } from '../../../extension/cli/main';

const x = (pid: number, ts: number, dur: string, name = 'gemm', cat = 'compute') => `{"ph":"X","cat":"${cat}","name":"${name}","pid":${pid},"tid":0,"ts":${ts},"dur":${dur},"args":{"source":"measured"${cat === 'collective' ? ',"op":"all_reduce","bytes":1024,"group":[0,1],"seq":0' : ''}}}`;

test('one event of negative and one of infinite duration: the timeline keeps the rest and says what it left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keeps-'));
  try {
    const f = join(dir, 'trace.json');
    const meta = [0, 1].map((r) => `{"ph":"M","name":"process_name","pid":${r},"tid":0,"args":{"name":"rank ${r}"}}`);
    // 1e999 is how JSON writes a duration too large for a double: it reads as Infinity
    const events = [x(0, 0, '10'), x(0, 20, '-5'), x(0, 30, '1e999'), x(0, 40, '5', 'all_reduce', 'collective'), x(1, 0, '12'), x(1, 42, '4', 'all_reduce', 'collective')];
    writeFileSync(f, `{"shardscope":{"version":"1"},"traceEvents":[${[...meta, ...events].join(',')}]}`);
    const out: string[] = [];
    assert.equal(await main(['trace', 'summary', f], { out: (l) => out.push(l), err: (l) => out.push(l) }), 0, 'trace summary accepts it');
    const loaded = await readTraceFile(f);
    assert.equal(loaded.kind, 'timeline');
    const p = timelinePayload((loaded as { trace: Trace }).trace, 'fuzz');
    assert.equal(p.start.length, 4, 'every drawable event kept');
    assert.deepEqual(p.dropped, [{ reason: 'negative duration', count: 1 }, { reason: 'duration not finite', count: 1 }]);
    const ar = [...p.start.keys()].filter((i) => p.kinds[p.kind[i]] === 'all_reduce');
    assert.equal(ar.length, 2);
    assert.equal(p.match[ar[0]], p.match[ar[1]], 'the collective is still matched across ranks');
    assert.deepEqual([...p.matches[p.match[ar[0]]].events].sort(), [...ar].sort(), 'matches point at the kept events');
    const v = validateHostMessage({ type: 'timeline', payload: p });
    assert.ok(v.ok && v.msg.type === 'timeline' && v.msg.payload.start.length === 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a payload that reaches the panel with bad events: they are dropped by reason, the rest sorted and kept', () => {
  const t: Trace = { meta: { version: '1', origin: 'shardscope' }, ranks: [0], events: [0, 1, 2, 3].map((i) => ({ rank: 0, lane: 'compute', name: `op${i}`, cat: 'compute', ts: i * 10, dur: 5, source: 'measured' })) };
  const p = timelinePayload(t);
  const bad: TimelinePayload = { ...p, start: p.start.slice(), dur: p.dur.slice(), lane: p.lane.slice(), name: p.name.slice() };
  bad.dur[0] = -1;
  bad.start[1] = NaN;
  bad.name[2] = 99;
  [bad.start[3]] = [-50]; // out of order: sorted, not dropped
  const v = validateHostMessage({ type: 'timeline', payload: bad });
  assert.ok(v.ok && v.msg.type === 'timeline');
  const kept = (v as { msg: { payload: TimelinePayload } }).msg.payload;
  assert.deepEqual([...kept.start], [-50]);
  assert.deepEqual(kept.dropped, [{ reason: 'negative duration', count: 1 }, { reason: 'start not a finite time', count: 1 }, { reason: 'name not in the name table', count: 1 }]);
  assert.equal(kept.lane.length, 1);
  // the payload's shape is still checked whole
  assert.deepEqual(validateHostMessage({ type: 'timeline', payload: { ...p, dur: new Float64Array(3) } }), { ok: false, error: 'timeline.dur has 3 values, expected 4' });
  assert.deepEqual(validateHostMessage({ type: 'timeline', payload: { ...p, lane: new Int8Array(4) } }), { ok: false, error: 'timeline.lane must be a Uint16Array or Uint32Array' });
});

test('70,000 lanes: a 32-bit lane column, every event on its own lane, accepted whole', () => {
  const LANES = 70000;
  const events: TraceEvent[] = Array.from({ length: LANES }, (_, r) => ({ rank: r, lane: 'compute', name: 'gemm', cat: 'compute', ts: r % 100, dur: 1, source: 'measured' }));
  const t: Trace = { meta: { version: '1', origin: 'shardscope' }, ranks: Array.from({ length: LANES }, (_, r) => r), events };
  const p = timelinePayload(t);
  assert.equal(p.lanes.length, LANES);
  assert.ok(p.lane instanceof Uint32Array);
  assert.equal(p.lane[LANES - 1], LANES - 1);
  assert.equal(p.lanes[p.lane[LANES - 1]].rank, LANES - 1);
  const v = validateHostMessage({ type: 'timeline', payload: p });
  assert.ok(v.ok && v.msg.type === 'timeline' && v.msg.payload.start.length === LANES && !v.msg.payload.dropped);
  assert.ok(timelinePayload({ ...t, events: events.slice(0, 10), ranks: t.ranks.slice(0, 10) }).lane instanceof Uint16Array, 'a small trace keeps 16 bits');
});
