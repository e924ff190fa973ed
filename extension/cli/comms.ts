// `shardscope comms`: the collectives a plan induces per layer, forward and backward, with bytes.
import { register } from './commands';
import { flag } from './args';
import { loadBound } from './workspace';
import { collectivesReport, formatTotals } from '../core/analysis';
import { findingLines } from './findings';

register({
  name: 'comms',
  summary: 'collectives per layer, forward and backward, with bytes and totals',
  usage: 'shardscope comms <config.json | checkpoint folder | preset | *.shardplan.json | *.py> [--plan <file> | --plan auto] --mesh tp=4 [--ep tp] [--transformers 5.18.0] [--json]',
  run(args, io) {
    const b = loadBound(args);
    const s = b.sharded;
    // A model whose layer flow is not traced has no computed collectives: say so, never "none".
    const unknown = b.graph.flowUnknown;
    if (flag(args, 'json')) {
      io.out(JSON.stringify({
        ...(unknown ? { not_computed: unknown } : {}),
        collectives: s.collectives.map((c) => ({ module: c.module, pass: c.pass, op: c.op, bytes: c.bytes, group: c.group, layer: c.layer ?? null, shape: c.shape, why: c.why })),
        totals: s.totals,
      }));
      return 0;
    }
    if (unknown) io.out(`collectives not computed: ${unknown}`);
    else {
      io.out(collectivesReport(s.collectives));
      io.out(`totals per step: forward ${formatTotals(s.totals.forward)}; backward ${formatTotals(s.totals.backward)}; optimizer step ${formatTotals(s.totals.optimizer)}`);
    }
    for (const l of findingLines(s.findings)) io.out(l);
    return 0;
  },
});

