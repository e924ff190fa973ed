// The panel: tabs for shapes, timeline, summary, hang view and CommDebugMode. Messages from the host are
// validated on arrival; state survives hiding the panel through getState/setState.
import './panel.css';
import { validateHostMessage, type HostMessage, type ShapesPayload, type TimelinePayload, type WebviewMessage } from '../extension/core/trace/panel-protocol';
import type { CommDebugModule, HangReport } from '../extension/core/trace/types';
import { h, clear } from './dom';
import { loadState, saveState, vscode, type PanelState } from './state';
import { Timeline, STRAGGLER, UNCERTAIN } from './timeline';
import { ShapesView } from './shapes';
import { summaryTable, hangView, commDebugView } from './tables';

const state: PanelState = loadState();
// Data the panel showed before it was hidden comes again on restore: it must not move the user's tab.
const restored = new Set(state.seen ?? []);
/** Shows a tab for new data, unless this is the restore of data the panel already showed. */
function showTab(kind: HostMessage['type'], tab: PanelState['tab']): void {
  if (restored.delete(kind)) return;
  state.tab = tab;
}
const post = (m: WebviewMessage): void => vscode.postMessage(m);

const data: { shapes?: ShapesPayload; timeline?: TimelinePayload; hang?: HangReport; commDebug?: CommDebugModule[] } = {};
const timeline = new Timeline();
const shapes = new ShapesView();
shapes.collapsed = new Set(state.collapsed);
const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const tabsBar = h('nav', { class: 'tabs', role: 'tablist' });
const toolbar = h('div', { class: 'toolbar' });
const body = h('main', { class: 'body' });
const status = h('div', { class: 'status', 'data-testid': 'status', role: 'status' });
app.append(tabsBar, toolbar, body, status);

const TABS: [PanelState['tab'], string, () => boolean][] = [
  ['shapes', 'Shapes', () => !!data.shapes],
  ['timeline', 'Timeline', () => !!data.timeline],
  ['summary', 'Summary', () => !!data.timeline],
  ['hang', 'Hang view', () => !!data.hang],
  ['commDebug', 'CommDebugMode', () => !!data.commDebug],
];

let saveTimer: number | undefined;
function persist(): void {
  state.collapsed = [...shapes.collapsed];
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => saveState(state), 100);
}

timeline.onView = (t0, t1) => { state.view = { t0, t1 }; persist(); };
timeline.onReveal = (i) => { const e = data.timeline?.entries[i]; if (e) post({ type: 'reveal', entry: e }); };
shapes.onRank = (r) => { state.rank = r; persist(); };
shapes.onReveal = (entry) => post({ type: 'reveal', entry });

function stepPicker(p: TimelinePayload): HTMLElement | string {
  const steps = [...new Set(p.steps.map((s) => s.step))].sort((a, b) => a - b);
  if (!steps.length) return '';
  const sel = h('select', { 'data-testid': 'step-picker', 'aria-label': 'profiler step' }, h('option', { value: '' }, 'all steps'), ...steps.map((s) => h('option', { value: String(s) }, `step ${s}`)));
  sel.addEventListener('change', () => {
    if (!sel.value) return timeline.fit();
    const ss = p.steps.filter((s) => s.step === Number(sel.value));
    const t0 = Math.min(...ss.map((s) => s.ts)), t1 = Math.max(...ss.map((s) => s.ts + s.dur));
    timeline.setView(t0 - (t1 - t0) * 0.02, t1 + (t1 - t0) * 0.02);
    state.view = { t0: timeline.t0, t1: timeline.t1 };
    persist();
  });
  return sel;
}

const present = new WeakMap<TimelinePayload, string[]>();
/** The kinds a trace has events of, in the payload's order (the legend lists no kind the trace lacks). */
function kindsPresent(p: TimelinePayload): string[] {
  let ks = present.get(p);
  if (!ks) {
    const has = new Uint8Array(p.kinds.length);
    for (let i = 0; i < p.kind.length; i++) has[p.kind[i]] = 1;
    ks = p.kinds.filter((_, k) => has[k]);
    present.set(p, ks);
  }
  return ks;
}

/** Legend entries for the marks on collectives: the straggler of each, and matches made by order alone. */
function marks(p: TimelinePayload): HTMLElement[] {
  const out: HTMLElement[] = [];
  const item = (color: string, label: string, testid: string): HTMLElement => {
    const sw = h('span', { class: 'swatch' });
    sw.style.background = color;
    return h('span', { class: 'legend-item', 'data-testid': testid }, sw, label);
  };
  if (p.matches.some((m) => m.events.length > 1 && m.skewUs > 0)) out.push(item(STRAGGLER, 'straggler (left edge)', 'legend-straggler'));
  const uncertain = p.matches.filter((m) => m.uncertain).length;
  if (uncertain) out.push(item(UNCERTAIN, `uncertain match (underline): ${uncertain} of ${p.matches.length}`, 'legend-uncertain'));
  return out;
}

function render(): void {
  if (!TABS.find(([id, , has]) => id === state.tab && has())) state.tab = TABS.find(([, , has]) => has())?.[0] ?? state.tab;
  clear(tabsBar);
  for (const [id, label, has] of TABS) {
    if (!has()) continue;
    tabsBar.append(h('button', { role: 'tab', class: id === state.tab ? 'tab active' : 'tab', 'aria-selected': id === state.tab ? 'true' : 'false', 'data-tab': id, onclick: () => { state.tab = id; persist(); render(); } }, label));
  }
  clear(toolbar);
  clear(body);
  switch (state.tab) {
    case 'shapes':
      if (data.shapes) body.append(shapes.root);
      break;
    case 'timeline':
      if (data.timeline) {
        toolbar.append(h('span', { class: 'title' }, data.timeline.title), stepPicker(data.timeline), h('button', { onclick: () => timeline.fit() }, 'Fit'),
          h('span', { class: 'legend' }, ...kindsPresent(data.timeline).map((k) => {
            const sw = h('span', { class: 'swatch', 'data-kind': k });
            sw.style.background = `var(--ss-kind-${k}, ${kindSwatch(k)})`;
            return h('span', { class: 'legend-item' }, sw, k);
          }), ...marks(data.timeline)));
        body.append(timeline.root);
        timeline.invalidate();
      }
      break;
    case 'summary':
      if (data.timeline) body.append(summaryTable(data.timeline.summary, (csv) => post({ type: 'exportCsv', csv })));
      break;
    case 'hang':
      if (data.hang) body.append(hangView(data.hang));
      break;
    case 'commDebug':
      if (data.commDebug) body.append(commDebugView(data.commDebug, data.timeline?.summary, data.shapes?.collectives));
      break;
  }
}

import { kindColor as kindSwatch } from './colors';

/** What the panel could not draw and why: " · 3 events left out: negative duration (2), duration not finite (1)". */
function leftOut(p: TimelinePayload): string {
  const d = p.dropped ?? [];
  const total = d.reduce((s, x) => s + x.count, 0);
  if (!total) return '';
  return ` · ${total.toLocaleString()} event${total === 1 ? '' : 's'} left out: ${d.map((x) => `${x.reason} (${x.count.toLocaleString()})`).join(', ')}`;
}

function receive(m: HostMessage): void {
  switch (m.type) {
    case 'shapes':
      data.shapes = m.payload;
      shapes.setData(m.payload, state.rank);
      if (!data.timeline) showTab('shapes', 'shapes');
      else restored.delete('shapes');
      break;
    case 'timeline': {
      const first = !data.timeline;
      data.timeline = m.payload;
      timeline.setData(m.payload, first ? state.view : undefined);
      showTab('timeline', 'timeline');
      status.textContent = `${m.payload.start.length.toLocaleString()} events on ${m.payload.ranks.length.toLocaleString()} ranks${leftOut(m.payload)}`;
      break;
    }
    case 'hang':
      data.hang = m.report;
      showTab('hang', 'hang');
      break;
    case 'commDebug':
      data.commDebug = m.modules;
      showTab('commDebug', 'commDebug');
      break;
    case 'error':
      status.textContent = m.message;
      break;
  }
  if (m.type !== 'error') state.seen = [...new Set([...(state.seen ?? []), m.type])];
  persist();
  render();
}

window.addEventListener('message', (ev: MessageEvent) => {
  const v = validateHostMessage(ev.data);
  if (!v.ok) {
    status.textContent = `ignored a message: ${v.error}`;
    return;
  }
  receive(v.msg);
});

(window as unknown as { __shardscope: unknown }).__shardscope = { timeline, shapes, state };
render();
post({ type: 'ready' });
