// `shardscope shapes`: every parameter's global shape, placements and local shape per rank; memory per rank.
import { register } from './commands';
import { flag } from './args';
import { loadBound } from './workspace';
import { placementRepr } from '../core/sharding';
import { shapesReport } from '../core/analysis';
import { findingLines } from './findings';

register({
  name: 'shapes',
  summary: 'per-parameter placements and per-rank local shapes, memory per rank',
  usage: 'shardscope shapes <config.json | checkpoint folder | preset | *.shardplan.json | *.py> [--plan <file> | --plan auto] --mesh tp=4 [--ep tp] [--transformers 5.18.0] [--json]',
  run(args, io) {
    const b = loadBound(args);
    const s = b.sharded;
    if (flag(args, 'json')) {
      io.out(JSON.stringify({
        params: s.params.map((p) => ({ name: p.name, global_shape: p.globalShape, placements: p.placements.map(placementRepr), local_shapes: p.localShapes })),
        memory_per_rank: s.memory.map((m) => m.total),
        ...(b.graph.flowUnknown ? { activations_not_computed: b.graph.flowUnknown } : {}),
        ...(b.graph.catalog ? { transformers: b.graph.catalog.version } : {}),
      }));
      return 0;
    }
    io.out(shapesReport(b.graph, s));
    if (b.graph.catalog?.note) io.out(`note: ${b.graph.catalog.note}`);
    if (b.graph.flowUnknown) io.out(`note: activations and collectives not computed: ${b.graph.flowUnknown}`);
    for (const l of findingLines(s.findings)) io.out(l);
    return 0;
  },
});

