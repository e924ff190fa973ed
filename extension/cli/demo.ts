// `shardscope demo`: checks, per-rank shapes and collectives of every example plan.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { register } from './commands';
import { parseArgs } from './args';
import { loadBound, groupedShapes } from './workspace';
import { checkFile } from './check';
import { placementRepr } from '../core/sharding';
import { formatBytes, wildcardName, formatTotals } from '../core/analysis';

function findPlans(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findPlans(p));
    else if (name.endsWith('.shardplan.json')) out.push(p);
  }
  return out;
}

register({
  name: 'demo',
  summary: 'checks, per-rank shapes and collectives of every example plan',
  usage: 'shardscope demo [examples dir]',
  run(args, io) {
    const dir = args.positional[0] ?? 'examples';
    let errors = 0;
    for (const file of findPlans(dir)) {
      const b = loadBound(parseArgs([file]));
      const s = b.sharded;
      io.out(`\n━━ ${file}: ${b.graph.modelType}, ${b.graph.params.length} parameters, mesh ${b.mesh.dims.map((d) => `${d.name}=${d.size}`).join(',')}`);
      const diags = checkFile(file, {});
      errors += diags.filter((d) => d.severity === 'error').length;
      io.out(diags.length ? diags.map((d) => `  ${d.severity} ${d.code} (line ${d.line}): ${d.message}`).join('\n') : '  checks: no problems');
      const layer = s.params.filter((p) => /\.layers\.(\d+)\./.test(p.name));
      const firstLayers = new Set<string>();
      const shown = new Set<string>();
      for (const p of [...s.params.filter((x) => !/\.layers\./.test(x.name)), ...layer]) {
        const key = wildcardName(p.name);
        const m = p.name.match(/\.layers\.(\d+)\./);
        if (m) firstLayers.add(m[1]);
        if (shown.has(key) || p.placements.length === 0) continue;
        shown.add(key);
        io.out(`  ${key.padEnd(46)} [${p.globalShape.join(', ')}] ${p.placements.map(placementRepr).join(', ')} → ${groupedShapes(p.localShapes)}`);
      }
      const unsharded = s.params.filter((p) => p.placements.length === 0).length;
      io.out(`  (${unsharded} parameters stay plain tensors, replicated)`);
      io.out(`  memory per rank: ${formatBytes(Math.max(...s.memory.map((m) => m.total)))} (parameters ${formatBytes(Math.max(...s.memory.map((m) => m.params)))})`);
      const perLayer = new Map<string, { n: number; bytes: number }>();
      for (const c of s.collectives.filter((c) => c.layer !== undefined && c.layer === s.collectives.find((x) => x.layer !== undefined)?.layer)) {
        const k = `${c.pass} ${c.op}`;
        const v = perLayer.get(k) ?? { n: 0, bytes: 0 };
        v.n++;
        v.bytes += c.bytes;
        perLayer.set(k, v);
      }
      io.out(`  collectives of the first layer: ${[...perLayer].map(([k, v]) => `${v.n}× ${k} (${formatBytes(v.bytes)})`).join(', ') || 'none'}`);
      io.out(`  per step: forward ${formatTotals(s.totals.forward)}; backward ${formatTotals(s.totals.backward)}; optimizer step ${formatTotals(s.totals.optimizer)}`);
    }
    return errors ? 1 : 0;
  },
});
