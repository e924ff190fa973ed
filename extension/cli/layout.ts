// `shardscope layout`: what each rank holds of one tensor under given placements.
import { register } from './commands';
import { UsageError, requireString, flag } from './args';
import { parseMesh, parsePlacements, allLayouts, MeshSyntaxError, PlacementSyntaxError, ShardingError, placementRepr } from '../core/sharding';
import type { LocalLayout } from '../core/sharding';

function parseShape(text: string): number[] {
  const parts = text.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UsageError(`bad --shape '${text}': expected sizes such as 7,5`);
  return parts.map(Number);
}

export function layoutJson(layouts: LocalLayout[]) {
  return {
    ranks: layouts.map((l) => ({ rank: l.rank, coord: l.coord, local_shape: l.localShape, global_offset: l.globalOffset, ranges: l.ranges })),
  };
}

register({
  name: 'layout',
  summary: 'per-rank local shape, offset and index ranges of one tensor',
  usage: 'shardscope layout --shape 7,5 --mesh dp=2,tp=2 --placements "Shard(0),Shard(0)" [--json]',
  run(args, io) {
    const shape = parseShape(requireString(args, 'shape'));
    let layouts: LocalLayout[];
    try {
      const mesh = parseMesh(requireString(args, 'mesh'));
      const placements = parsePlacements(requireString(args, 'placements'));
      if (placements.length !== mesh.dims.length) {
        throw new UsageError(`--placements has ${placements.length} placement(s) but --mesh has ${mesh.dims.length} dim(s): give one placement per mesh dim`);
      }
      layouts = allLayouts(shape, mesh, placements);
      if (!flag(args, 'json')) {
        io.out(`tensor [${shape.join(', ')}] on mesh ${mesh.dims.map((d) => `${d.name}=${d.size}`).join(',')} with ${placements.map(placementRepr).join(', ')}`);
        const rows = layouts.map((l) => [
          String(l.rank),
          `(${l.coord.join(', ')})`,
          `[${l.localShape.join(', ')}]`,
          `[${l.globalOffset.join(', ')}]`,
          l.ranges.length ? l.ranges.map((b) => b.map(([s, e]) => `${s}:${e}`).join(' × ')).join(' ∪ ') : 'empty',
        ]);
        const head = ['rank', 'coord', 'local shape', 'offset', 'holds'];
        const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        io.out(head.map((h, i) => h.padEnd(w[i])).join('  '));
        for (const r of rows) io.out(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
        return 0;
      }
    } catch (e) {
      if (e instanceof MeshSyntaxError || e instanceof PlacementSyntaxError || e instanceof ShardingError) throw new UsageError(e.message);
      throw e;
    }
    io.out(JSON.stringify(layoutJson(layouts)));
    return 0;
  },
});
