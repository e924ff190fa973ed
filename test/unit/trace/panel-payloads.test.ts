// The panel's payloads: shapes from a bound model, timeline columns from a trace, and message validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../extension/core/models';
import { bindPlan, autoPlanInputs } from '../../../extension/core/analysis';
import { parseMesh } from '../../../extension/core/sharding';
import { shapesPayload } from '../../../extension/core/trace/shapes-payload';
import { timelinePayload } from '../../../extension/core/trace/timeline-payload';
import { validateHostMessage, validateWebviewMessage } from '../../../extension/core/trace/panel-protocol';
import { panelHtml, handlePanelMessage } from '../../../extension/core/trace/panel-host';
import { readTraceFile } from '../../../extension/core/trace/read';
import type { Trace } from '../../../extension/core/trace/types';

test('shapes payload of Llama-3-8B on dp=2 × tp=3: coordinates, uneven shards, bytes, entries', () => {
  const g = loadModel('llama-3-8b');
  const s = bindPlan(g, autoPlanInputs(g), parseMesh('dp=2,tp=3'));
  const p = shapesPayload(s, { gpuLimitBytes: 80 * 2 ** 30 });
  assert.deepEqual(p.mesh, [{ name: 'dp', size: 2 }, { name: 'tp', size: 3 }]);
  assert.deepEqual(p.coords, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
  assert.equal(p.memory.length, 6);
  const q = p.tensors.find((t) => t.module === 'model.layers.0.self_attn.q_proj' && t.name === 'weight')!;
  // 4096 rows over 3 ranks: torch.chunk gives 1366, 1366, 1364.
  assert.deepEqual(q.globalShape, [4096, 4096]);
  assert.deepEqual(q.localShapes.slice(0, 3).map((x) => x[0]), [1366, 1366, 1364]);
  assert.equal(q.uneven, true);
  assert.deepEqual(q.bytesPerRank.slice(0, 3), [1366 * 4096 * 2, 1366 * 4096 * 2, 1364 * 4096 * 2]);
  assert.equal(q.entry?.key, 'layers.*.self_attn.q_proj');
  assert.ok(p.tensors.some((t) => t.kind === 'activation'));
  assert.ok(validateHostMessage({ type: 'shapes', payload: p }).ok);
});

test('timeline payload: lanes per rank with predicted under measured, columns, matches, summary', async () => {
  const l = await readTraceFile('test/fixtures/trace/shardscope-2rank.json');
  const t = (l as { trace: Trace }).trace;
  const p = timelinePayload(t, 'fixture');
  assert.deepEqual(p.lanes.map((x) => `${x.rank}:${x.name}`), ['0:comm', '0:compute', '0:comm (predicted)', '1:comm', '1:compute', '1:comm (predicted)']);
  assert.equal(p.start.length, 8);
  const ar = [...p.start.keys()].filter((i) => p.kinds[p.kind[i]] === 'all_reduce' && !p.lanes[p.lane[i]].predicted);
  assert.equal(ar.length, 2);
  assert.equal(p.match[ar[0]], p.match[ar[1]]);
  const m = p.matches[p.match[ar[0]]];
  assert.deepEqual([m.skewUs, m.straggler, m.key, m.uncertain], [20, 1, 'seq', false]);
  assert.equal(p.entries[0].key, 'layers.*.self_attn.o_proj');
  assert.ok(validateHostMessage({ type: 'timeline', payload: p }).ok);
  const broken = { ...p, dur: new Float64Array(3) };
  assert.deepEqual(validateHostMessage({ type: 'timeline', payload: broken }), { ok: false, error: 'timeline.dur has 3 values, expected 8' });
  assert.deepEqual(validateHostMessage({ type: 'timeline', payload: { ...p, start: [...p.start] } }), { ok: false, error: 'timeline.start must be a Float64Array' });
  // events the panel cannot draw are left out and counted, never the whole timeline (timeline-keeps.test.ts)
  const with_ = (k: 'lane' | 'kind' | 'name' | 'dur' | 'start', i: number, v: number) => { const c = { ...p, [k]: p[k].slice() }; c[k][i] = v; const r = validateHostMessage({ type: 'timeline', payload: c }); return r.ok && r.msg.type === 'timeline' ? [r.msg.payload.start.length, r.msg.payload.dropped] : r; };
  assert.deepEqual(with_('lane', 3, p.lanes.length), [7, [{ reason: 'lane not in the lane table', count: 1 }]]);
  assert.deepEqual(with_('kind', 0, 200), [7, [{ reason: 'kind not in the kind table', count: 1 }]]);
  assert.deepEqual(with_('name', 1, 99), [7, [{ reason: 'name not in the name table', count: 1 }]]);
  assert.deepEqual(with_('dur', 2, -1), [7, [{ reason: 'negative duration', count: 1 }]]);
  const swapped = { ...p, start: p.start.slice() };
  [swapped.start[0], swapped.start[1]] = [p.start[0] + 1e6, p.start[1]];
  assert.equal(p.lane[0], p.lane[1], 'the first two events share a lane');
  const sorted = validateHostMessage({ type: 'timeline', payload: swapped });
  assert.ok(sorted.ok && sorted.msg.type === 'timeline');
  const sp = (sorted as { msg: { payload: typeof p } }).msg.payload;
  assert.deepEqual([sp.start[0], sp.start[1]], [p.start[1], p.start[0] + 1e6], 'out of order: sorted by lane, then start');
});

test('panel host: strict CSP with the nonce, local resources only; messages validated before handlers run', () => {
  const html = panelHtml({ nonce: 'abc123', cspSource: 'vscode-resource:', scriptUri: 'vscode-resource:/dist/webview.js', styleUri: 'vscode-resource:/dist/webview.css', title: '<x>' });
  assert.match(html, /default-src 'none'; img-src vscode-resource: data:; style-src vscode-resource:; font-src vscode-resource:; script-src 'nonce-abc123'/);
  assert.match(html, /<script nonce="abc123" src="vscode-resource:\/dist\/webview.js"><\/script>/);
  assert.match(html, /<title>&#60;x&#62;<\/title>/);
  const calls: string[] = [];
  const handlers = { ready: () => calls.push('ready'), reveal: (e: { key: string }) => calls.push(`reveal ${e.key}`), exportCsv: (c: string) => calls.push(`csv ${c.length}`), invalid: (e: string) => calls.push(`invalid ${e}`) };
  handlePanelMessage({ type: 'ready' }, handlers);
  handlePanelMessage({ type: 'reveal', entry: { key: 'lm_head' } }, handlers);
  handlePanelMessage({ type: 'reveal', entry: {} }, handlers);
  handlePanelMessage({ type: 'exportCsv', csv: 'a,b\n' }, handlers);
  handlePanelMessage({ type: 'rm -rf' }, handlers);
  assert.deepEqual(calls, ['ready', 'reveal lm_head', 'invalid reveal.entry needs a key', 'csv 4', 'invalid unknown message type "rm -rf"']);
  assert.deepEqual(validateWebviewMessage(null), { ok: false, error: 'message without a type' });
});
