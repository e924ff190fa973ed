// Hovers: on a style, what it does; on a pattern, what it matches, global → local shapes, bytes per
// rank and the collectives it adds per step.
import { lookupStyle, resolveStyleRef, styleMarkdown, listStyles } from '../styles';
import { placementRepr } from '../sharding';
import { formatBytes, bytesOf, wildcardName } from '../analysis';
import type { BoundParam } from '../analysis';
import type { TextRange, PlanEntry } from '../plan/types';
import { analysisFor, type Analysis } from './analyze';

export interface Hover {
  range: TextRange;
  markdown: string;
}

function entryAt(a: Analysis, offset: number): { entry: PlanEntry; onKey: boolean } | undefined {
  for (const p of a.doc.plans) {
    for (const e of p.entries) {
      if (offset >= e.keyRange.start && offset <= e.keyRange.end) return { entry: e, onKey: true };
      if (offset >= e.valueRange.start && offset <= e.valueRange.end) return { entry: e, onKey: false };
    }
  }
  return undefined;
}

function ranksText(p: BoundParam): string {
  const first = p.localShapes[0].join(',');
  const differ = p.localShapes.map((s, r) => [r, s] as const).filter(([, s]) => s.join(',') !== first);
  if (!differ.length) return 'the same on every rank';
  return differ.slice(0, 4).map(([r, s]) => `rank ${r} [${s.join(', ')}]`).join(', ') + (differ.length > 4 ? `, … (${differ.length} ranks differ)` : '');
}

export function hover(whole: Analysis, offset: number): Hover | undefined {
  const at = entryAt(whole, offset);
  if (!at) return undefined;
  // The entry's own class's model (a file can hold several config classes).
  const a = analysisFor(whole, whole.doc.plans.find((p) => p.entries.includes(at.entry)) ?? offset);
  const { entry } = at;
  if (!at.onKey) {
    const r = resolveStyleRef(entry.style, a.generation);
    if ('error' in r) return { range: entry.valueRange, markdown: `**${entry.styleText}**: ${r.error}` };
    const name = entry.style.kind === 'name' ? entry.style.name : r.name;
    const catalog = entry.style.kind === 'name' ? lookupStyle(name, a.generation)?.entry : listStyles('torch').find((e) => e.name === r.name);
    const kind = a.sharded ? matchedParams(a, entry)[0]?.kind : undefined;
    return { range: entry.valueRange, markdown: styleMarkdown(name, catalog?.doc ?? '', catalog?.source ?? '', r, kind) };
  }
  if (!a.sharded || !a.graph) return { range: entry.keyRange, markdown: `**${entry.key}**\n\nNo model to check against: open a folder with a config.json, or pick a model in the status bar.` };
  const params = matchedParams(a, entry);
  const lines = [`**${entry.key}** → \`${entry.styleText}\``, ''];
  if (!params.length) {
    lines.push(`Matches no parameter of this ${a.graph.modelType} model on ${meshText(a)}.`);
  } else {
    const modules = new Set(params.map((p) => p.param.name.slice(0, p.param.name.lastIndexOf('.'))));
    lines.push(`Matches ${modules.size} module${modules.size > 1 ? 's' : ''} on ${meshText(a)}:`, '');
    const seen = new Set<string>();
    let bytesRank0 = 0;
    for (const { param } of params) {
      bytesRank0 += param.localShapes[0].reduce((x, y) => x * y, 1) * bytesOf(param.dtype);
      const w = wildcardName(param.name);
      if (seen.has(w)) continue;
      seen.add(w);
      lines.push(`- \`${w.split('.').slice(-2).join('.')}\` [${param.globalShape.join(', ')}] ${param.placements.length ? param.placements.map(placementRepr).join(', ') : 'not sharded'} → rank 0 [${param.localShapes[0].join(', ')}]; ${ranksText(param)}`);
    }
    lines.push('', `Parameters per rank: ${formatBytes(bytesRank0)} (rank 0).`);
  }
  const colls = a.sharded.collectives.filter((c) => c.entry?.key === entry.key);
  if (colls.length) {
    const agg = new Map<string, { n: number; bytes: number }>();
    for (const c of colls) {
      const k = `${c.pass} ${c.op}`;
      const v = agg.get(k) ?? { n: 0, bytes: 0 };
      v.n++;
      v.bytes += c.bytes;
      agg.set(k, v);
    }
    lines.push('', 'Collectives per step: ' + [...agg].map(([k, v]) => `${v.n}× ${k} (${formatBytes(v.bytes)})`).join(', ') + '.');
  } else lines.push('', 'Collectives per step: none.');
  return { range: entry.keyRange, markdown: lines.join('\n') };
}

function meshText(a: Analysis): string {
  return a.mesh.dims.map((d) => `${d.name}=${d.size}`).join(',');
}

function matchedParams(a: Analysis, entry: PlanEntry): { param: BoundParam; kind: import('../models/types').ModuleKind }[] {
  const out: { param: BoundParam; kind: import('../models/types').ModuleKind }[] = [];
  for (const p of a.sharded!.params) {
    if (p.entry?.key !== entry.key) continue;
    const owner = a.graph!.modules.get(p.name.slice(0, p.name.lastIndexOf('.')));
    out.push({ param: p, kind: owner?.kind ?? 'other' });
  }
  return out;
}
