// `shardscope shapes`: every parameter's global shape, placements and local shape per rank; memory per rank.
import { register } from './commands';
import { flag } from './args';
import { loadBound, groupedShapes } from './workspace';
import { placementRepr } from '../core/sharding';
import { formatBytes, wildcardName } from '../core/analysis';

register({
  name: 'shapes',
  summary: 'per-parameter placements and per-rank local shapes, memory per rank',
  usage: 'shardscope shapes <config.json | checkpoint folder | preset | *.shardplan.json> [--plan <file> | --plan auto] --mesh tp=4 [--ep tp] [--json]',
  run(args, io) {
    const b = loadBound(args);
    const s = b.sharded;
    if (flag(args, 'json')) {
      io.out(JSON.stringify({
        params: s.params.map((p) => ({ name: p.name, global_shape: p.globalShape, placements: p.placements.map(placementRepr), local_shapes: p.localShapes })),
        memory_per_rank: s.memory.map((m) => m.total),
      }));
      return 0;
    }
    // Text: layers collapse to their pattern when every layer agrees.
    const seen = new Map<string, string>();
    for (const p of s.params) {
      const key = wildcardName(p.name);
      const line = `${p.placements.length ? p.placements.map(placementRepr).join(', ') : 'not sharded'}  ${p.placements.length ? groupedShapes(p.localShapes) : `[${p.globalShape.join(', ')}] on every rank`}`;
      const prev = seen.get(key);
      seen.set(key, prev === undefined || prev === line ? line : `${prev} (varies by layer)`);
    }
    io.out(`${b.graph.modelType} on ${b.mesh.dims.map((d) => `${d.name}=${d.size}`).join(',')}`);
    for (const [key, line] of seen) {
      const p = s.params.find((x) => wildcardName(x.name) === key)!;
      io.out(`  ${key.padEnd(48)} [${p.globalShape.join(', ')}]  ${line}`);
    }
    io.out('memory per rank: ' + groupedBytes(s.memory.map((m) => m.total)));
    return 0;
  },
});

function groupedBytes(v: number[]): string {
  const distinct = [...new Set(v)];
  if (distinct.length === 1) return `${formatBytes(v[0])} on every rank`;
  return v.map((x, r) => `rank ${r}: ${formatBytes(x)}`).join(', ');
}
