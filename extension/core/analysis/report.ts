// Plain-text reports of a binding, shared by the CLI and the editor's "Show Shapes/Collectives".
import type { ScheduledCollective, ShardedModel } from './types';
import type { ModelGraph } from '../models/types';
import { placementRepr } from '../sharding';
import { formatBytes } from './checks';
import { wildcardName } from './match';

/** "ranks 0-6 [a, b] · rank 7 [c, d]": per-rank shapes grouped where consecutive ranks agree. */
export function groupedShapes(shapes: number[][]): string {
  const parts: string[] = [];
  let start = 0;
  for (let r = 1; r <= shapes.length; r++) {
    if (r === shapes.length || shapes[r].join() !== shapes[start].join()) {
      const label = start === r - 1 ? `rank ${start}` : `ranks ${start}-${r - 1}`;
      parts.push(`${label} [${shapes[start].join(', ')}]`);
      start = r;
    }
  }
  return parts.length === 1 && shapes.length > 1 ? `all ranks [${shapes[0].join(', ')}]` : parts.join(' · ');
}

export function formatTotals(t: Partial<Record<string, number>>): string {
  const e = Object.entries(t);
  return e.length ? e.map(([op, n]) => `${n} ${op}`).join(', ') : 'none';
}

function shortModule(m: string): string {
  return m.replace(/^(model\.)?layers\.\d+\./, '');
}

/** Collectives grouped: identical consecutive layers print once ("layer 3-60"). */
export function collectivesReport(list: ScheduledCollective[]): string {
  const lines: string[] = [];
  for (const pass of ['forward', 'backward', 'optimizer'] as const) {
    const items = list.filter((x) => x.pass === pass);
    if (!items.length) continue;
    lines.push(`${pass === 'optimizer' ? 'optimizer step' : pass}:`);
    const byLayer = new Map<string, ScheduledCollective[]>();
    for (const c of items) {
      const k = c.layer === undefined ? `end:${c.module}` : `layer:${c.layer}`;
      byLayer.set(k, [...(byLayer.get(k) ?? []), c]);
    }
    let run: { first: string; last: string; sig: string; items: ScheduledCollective[] } | undefined;
    const flush = () => {
      if (!run) return;
      const label = run.first === run.last ? run.first : `${run.first}-${run.last.replace(/^layer /, '')}`;
      for (const c of run.items) lines.push(`  ${label.padEnd(14)} ${c.op.padEnd(15)} ${formatBytes(c.bytes).padStart(10)}  ${shortModule(c.module).padEnd(28)} group of ${c.group.length}  ${c.why}`);
      run = undefined;
    };
    // Outside the layers a collective belongs to the model's start (embedding) or end (norm, lm_head):
    // before the layers in forward order, after them in backward (and optimizer-step) order.
    let seenLayer = false;
    const reversed = pass !== 'forward';
    const hasLayers = items.some((c) => c.layer !== undefined);
    for (const [k, group] of byLayer) {
      if (k.startsWith('layer:')) seenLayer = true;
      const label = k.startsWith('layer:') ? `layer ${k.slice(6)}` : !hasLayers ? 'model' : seenLayer !== reversed ? 'model end' : 'model start';
      const sig = group.map((c) => `${c.op}|${c.bytes}|${shortModule(c.module)}`).join(';');
      if (run && run.sig === sig && k.startsWith('layer:')) run.last = label;
      else {
        flush();
        run = { first: label, last: label, sig, items: group };
      }
    }
    flush();
  }
  return lines.join('\n');
}

/** "6.25 GiB on every rank", or consecutive ranks grouped where they print the same ("ranks 0-6 2.1 GiB · rank 7 2.0 GiB"). */
export function memoryPerRankText(totals: number[]): string {
  const text = totals.map(formatBytes);
  if (new Set(text).size <= 1) return `${text[0] ?? formatBytes(0)} on every rank`;
  const parts: string[] = [];
  let start = 0;
  for (let r = 1; r <= text.length; r++) {
    if (r < text.length && text[r] === text[start]) continue;
    parts.push(`${r - 1 === start ? `rank ${start}` : `ranks ${start}-${r - 1}`} ${text[start]}`);
    start = r;
  }
  return parts.join(' · ');
}

/** Every parameter pattern with its placements and per-rank shapes; memory per rank. */
export function shapesReport(graph: ModelGraph, s: ShardedModel): string {
  const seen = new Map<string, { shape: number[]; line: string }>();
  for (const p of s.params) {
    const key = wildcardName(p.name);
    const line = `${p.placements.length ? p.placements.map(placementRepr).join(', ') : 'not sharded'}  ${p.placements.length ? groupedShapes(p.localShapes) : `[${p.globalShape.join(', ')}] on every rank`}`;
    const prev = seen.get(key);
    seen.set(key, { shape: p.globalShape, line: prev === undefined || prev.line === line ? line : `${prev.line} (varies by layer)` });
  }
  const out = [`${graph.modelType} on ${s.mesh.dims.map((d) => `${d.name}=${d.size}`).join(',')}`];
  for (const [key, v] of seen) out.push(`  ${key.padEnd(48)} [${v.shape.join(', ')}]  ${v.line}`);
  out.push(`memory per rank: ${memoryPerRankText(s.memory.map((m) => m.total))}`);
  return out.join('\n');
}
