// `npm run screenshot`: the README's screenshot (docs/screenshot.png) from the panel as it is: a real CPU
// rehearsal of examples/mixtral-8x7b/tp.shardplan.json on its timeline with an all-reduce selected, and
// the plan's Shapes tab (docs/screenshot-shapes.png), rendered by the UI harness in headless Chromium.
import { readFileSync } from 'node:fs';
import { openPanel, shutdown, NO_CHROMIUM } from './harness';
import { rehearse } from '../../extension/core/rehearse';
import { analyzeDocument } from '../../extension/core/editing';
import { timelinePayload } from '../../extension/core/trace/timeline-payload';
import { shapesPayload } from '../../extension/core/trace/shapes-payload';
import { tryReadInputText } from '../../extension/core/host/files';

const PLAN = 'examples/mixtral-8x7b/tp.shardplan.json';

async function main(): Promise<void> {
  if (NO_CHROMIUM) throw new Error(NO_CHROMIUM);
  const r = await rehearse(PLAN, { budgetElements: 1.5e6 });
  if (r.verdict === 'error') throw new Error(`${PLAN}: the rehearsal failed: ${r.error?.message}`);
  const a = analyzeDocument(PLAN, readFileSync(PLAN, 'utf8'), { readFile: (p) => tryReadInputText(p, 'config') });
  if (!a.sharded) throw new Error(`${PLAN}: the plan did not bind: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  const timeline = timelinePayload(r.trace, 'mixtral-8x7b tp=8 · CPU rehearsal');
  const p = await openPanel({ width: 1400, height: 860 });
  await p.send({ type: 'shapes', payload: shapesPayload(a.sharded, { planFile: PLAN }) });
  await p.send({ type: 'timeline', payload: timeline });
  // An all-reduce of the experts on rank 0, as the user would click it.
  const pick = [...timeline.start.keys()].find((i) => timeline.kinds[timeline.kind[i]] === 'all_reduce' && timeline.match[i] >= 0 && !timeline.lanes[timeline.lane[i]].predicted
    && /experts/.test(timeline.entries[timeline.entry[i]]?.key ?? '')) ?? [...timeline.start.keys()].find((i) => timeline.match[i] >= 0);
  if (pick !== undefined) await p.page.evaluate((i) => (window as unknown as { __shardscope: { timeline: { select(i: number): void } } }).__shardscope.timeline.select(i), pick);
  await p.page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
  await p.page.screenshot({ path: 'docs/screenshot.png', fullPage: false });
  await p.page.click('[data-tab=shapes]');
  await p.page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
  await p.page.screenshot({ path: 'docs/screenshot-shapes.png', fullPage: false });
  await p.close();
  console.log(`docs/screenshot.png, docs/screenshot-shapes.png: ${PLAN}, ${timeline.start.length} events on ${timeline.ranks.length} ranks`);
}

main().then(shutdown, async (e) => { await shutdown(); console.error(e instanceof Error ? e.message : e); process.exit(1); });
