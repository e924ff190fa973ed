// `shardscope comms`: the collectives a plan induces per layer, forward and backward, with bytes.
import { register } from './commands';
import { flag } from './args';
import { loadBound } from './workspace';
import { formatBytes } from '../core/analysis';
import type { ScheduledCollective } from '../core/analysis';

register({
  name: 'comms',
  summary: 'collectives per layer, forward and backward, with bytes and totals',
  usage: 'shardscope comms <config.json | checkpoint folder | preset | *.shardplan.json> [--plan <file> | --plan auto] --mesh tp=4 [--ep tp] [--json]',
  run(args, io) {
    const b = loadBound(args);
    const s = b.sharded;
    if (flag(args, 'json')) {
      io.out(JSON.stringify({
        collectives: s.collectives.map((c) => ({ module: c.module, pass: c.pass, op: c.op, bytes: c.bytes, group: c.group, layer: c.layer ?? null, shape: c.shape, why: c.why })),
        totals: s.totals,
      }));
      return 0;
    }
    io.out(formatCollectives(s.collectives));
    io.out(`totals per step: forward ${formatTotals(s.totals.forward)}; backward ${formatTotals(s.totals.backward)}; optimizer step ${formatTotals(s.totals.optimizer)}`);
    return 0;
  },
});

export function formatTotals(t: Partial<Record<string, number>>): string {
  const e = Object.entries(t);
  return e.length ? e.map(([op, n]) => `${n} ${op}`).join(', ') : 'none';
}

/** Collectives grouped: identical layers print once ("layers 3-60"). */
export function formatCollectives(list: ScheduledCollective[]): string {
  const lines: string[] = [];
  for (const pass of ['forward', 'backward', 'optimizer'] as const) {
    lines.push(`${pass}:`);
    const byLayer = new Map<string, ScheduledCollective[]>();
    for (const c of list.filter((x) => x.pass === pass)) {
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
    for (const [k, items] of byLayer) {
      const label = k.startsWith('layer:') ? `layer ${k.slice(6)}` : 'model end';
      const sig = items.map((c) => `${c.op}|${c.bytes}|${shortModule(c.module)}`).join(';');
      if (run && run.sig === sig && k.startsWith('layer:')) run.last = label;
      else {
        flush();
        run = { first: label, last: label, sig, items };
      }
    }
    flush();
  }
  return lines.join('\n');
}

function shortModule(m: string): string {
  return m.replace(/^model\.layers\.\d+\./, '');
}
