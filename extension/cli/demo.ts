// `shardscope demo`: checks, per-rank shapes and collectives of every example plan.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { register } from './commands';
import { parseArgs, UsageError } from './args';
import { loadBound, groupedShapes } from './workspace';
import { checkFile } from './check';
import { placementRepr } from '../core/sharding';
import { formatBytes, wildcardName, formatTotals } from '../core/analysis';
import type { ScheduledCollective } from '../core/analysis';

/** Decoder layers grouped where their collectives agree (DeepSeek-V3: dense layers 0-2, MoE layers 3-60), one line per pass. */
function layerCollectiveLines(list: ScheduledCollective[]): string[] {
  const byLayer = new Map<number, ScheduledCollective[]>();
  for (const c of list) if (c.layer !== undefined) (byLayer.get(c.layer) ?? byLayer.set(c.layer, []).get(c.layer)!).push(c);
  const passLine = (cs: ScheduledCollective[], pass: string): string => {
    const ops = new Map<string, { n: number; bytes: number; modules: Set<string> }>();
    for (const c of cs.filter((x) => x.pass === pass)) {
      const v = ops.get(c.op) ?? ops.set(c.op, { n: 0, bytes: 0, modules: new Set() }).get(c.op)!;
      v.n++;
      v.bytes += c.bytes;
      v.modules.add(wildcardName(c.module).replace(/^.*\.layers\.\*\./, ''));
    }
    return [...ops].map(([op, v]) => `${v.n}× ${op} ${formatBytes(v.bytes)} (${[...v.modules].join(', ')})`).join('; ') || 'none';
  };
  const groups: { from: number; to: number; sig: string; cs: ScheduledCollective[] }[] = [];
  for (const layer of [...byLayer.keys()].sort((a, b) => a - b)) {
    const cs = byLayer.get(layer)!;
    const sig = cs.map((c) => `${c.pass} ${c.op} ${wildcardName(c.module)} ${c.bytes}`).join('|');
    const last = groups[groups.length - 1];
    if (last && last.sig === sig && last.to === layer - 1) last.to = layer;
    else groups.push({ from: layer, to: layer, sig, cs });
  }
  if (!groups.length) return ['  collectives per layer: none'];
  const out = ['  collectives per layer:'];
  for (const g of groups) {
    const label = g.from === g.to ? `layer ${g.from}` : `layers ${g.from}-${g.to}`;
    out.push(`    ${label.padEnd(12)} forward  ${passLine(g.cs, 'forward')}`);
    out.push(`    ${''.padEnd(12)} backward ${passLine(g.cs, 'backward')}`);
  }
  return out;
}

/** How far the examples walk goes: symbolic links are not followed, and a folder tree this big is no examples folder. */
const MAX_DEPTH = 8;
const MAX_ENTRIES = 20000;

function findPlans(root: string): string[] {
  const out: string[] = [];
  let seen = 0;
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return; // an unreadable folder holds no examples we can show
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) throw new UsageError(`${root}: more than ${MAX_ENTRIES} files and folders, not a folder of examples`);
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.shardplan.json')) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

register({
  name: 'demo',
  summary: 'checks, per-rank shapes and collectives of every example plan',
  usage: 'shardscope demo [examples dir]',
  run(args, io) {
    const dir = args.positional[0] ?? 'examples';
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such folder (expected a folder of *.shardplan.json examples)`);
    let errors = 0;
    for (const file of findPlans(dir)) {
      const b = loadBound(parseArgs([file]));
      const s = b.sharded;
      io.out(`\n━━ ${file}: ${b.graph.modelType}, ${b.graph.params.length} parameters, mesh ${b.mesh.dims.map((d) => `${d.name}=${d.size}`).join(',')}`);
      const diags = checkFile(file, {});
      errors += diags.filter((d) => d.severity === 'error').length;
      io.out(diags.length ? diags.map((d) => `  ${d.severity} ${d.code} (line ${d.line}): ${d.message}`).join('\n') : '  checks: no problems');
      const layer = s.params.filter((p) => /\.layers\.(\d+)\./.test(p.name));
      const shown = new Set<string>();
      for (const p of [...s.params.filter((x) => !/\.layers\./.test(x.name)), ...layer]) {
        const key = wildcardName(p.name);
        if (shown.has(key) || p.placements.length === 0) continue;
        shown.add(key);
        io.out(`  ${key.padEnd(46)} [${p.globalShape.join(', ')}] ${p.placements.map(placementRepr).join(', ')} → ${groupedShapes(p.localShapes)}`);
      }
      const unsharded = s.params.filter((p) => p.placements.length === 0).length;
      io.out(`  (${unsharded} parameters stay plain tensors, replicated)`);
      io.out(`  memory per rank: ${formatBytes(Math.max(...s.memory.map((m) => m.total)))} (parameters ${formatBytes(Math.max(...s.memory.map((m) => m.params)))})`);
      for (const line of layerCollectiveLines(s.collectives)) io.out(line);
      io.out(`  per step: forward ${formatTotals(s.totals.forward)}; backward ${formatTotals(s.totals.backward)}; optimizer step ${formatTotals(s.totals.optimizer)}`);
    }
    return errors ? 1 : 0;
  },
});
