// `shardscope trace summary|export-csv <files...>`: the per-kind collective summary of one or more traces
// (our JSON, Kineto files or a tensorboard_trace_handler folder), as a table, JSON or CSV; for Flight
// Recorder dumps the collectives some ranks never entered, for a CommDebugMode dump its counts.
import { register } from './commands';
import { flag, UsageError } from './args';
import { readTraceFile } from '../core/trace/read';
import { summarizeCollectives, summaryToCsv } from '../core/trace/summary';
import { commDebugTotals } from '../core/trace/comm-debug-mode';
import type { CollectiveSummary } from '../core/trace/types';

function table(s: CollectiveSummary): string[] {
  const head = ['op', 'count/rank', 'total µs', 'mean busbw GB/s', 'max skew µs'];
  const rows = s.collectives.map((c) => [c.op, String(c.count), c.total_us.toFixed(1), c.mean_busbw_gbps.toFixed(2), c.max_skew_us.toFixed(1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [`ranks: ${s.ranks.join(', ')}`, line(head), ...rows.map(line)];
}

register({
  name: 'trace',
  summary: 'collective summary of traces (ours, Kineto files or folders): count, time, bus bandwidth, skew',
  usage: 'shardscope trace summary <files or folders...> [--json]  |  shardscope trace export-csv <files or folders...>',
  async run(args, io) {
    const [sub, ...paths] = args.positional;
    if (sub !== 'summary' && sub !== 'export-csv') throw new UsageError(`expected "summary" or "export-csv" after "trace", found ${sub === undefined ? 'nothing' : JSON.stringify(sub)}`);
    if (!paths.length) throw new UsageError(`trace ${sub} needs at least one trace file or folder`);
    // A bad trace (TraceReadError, located) goes to main: one line, exit 2; 1 means a hang was found.
    const loaded = await readTraceFile(paths);
    if (loaded.kind === 'flight-recorder') {
      const r = loaded.report;
      if (flag(args, 'json')) io.out(JSON.stringify({ ranks: r.ranks, hang: r.findings }));
      else {
        io.out(`ranks: ${r.ranks.join(', ')}`);
        if (!r.findings.length) io.out('every rank entered and completed every collective it recorded');
        for (const f of r.findings) {
          io.out(`group ${f.pg} collective ${f.seq} (${f.op}): ${f.missing.length ? `ranks ${f.missing.join(', ')} never entered` : 'all ranks entered'}${f.notCompleted.length ? `; ranks ${f.notCompleted.join(', ')} did not complete` : ''}`);
        }
      }
      return r.findings.some((f) => f.missing.length) ? 1 : 0;
    }
    if (loaded.kind === 'comm-debug-mode') {
      // counts, not timings: the totals and each module that issued collectives (its submodules included)
      const totals = commDebugTotals(loaded.modules);
      const issued = loaded.modules.filter((m) => Object.keys(m.forward).length || Object.keys(m.backward).length);
      if (flag(args, 'json')) io.out(JSON.stringify({ commDebugMode: { totals, modules: issued.map(({ fqn, forward, backward }) => ({ fqn, forward, backward })) } }));
      else {
        io.out(`CommDebugMode totals (forward + backward): ${Object.entries(totals).map(([op, n]) => `${op} ${n}`).join(', ') || 'no collectives'}`);
        const fmt = (c: Record<string, number>): string => Object.entries(c).map(([op, n]) => `${op} ${n}`).join(', ') || '-';
        for (const m of issued) io.out(`${'  '.repeat(m.depth)}${m.fqn}: forward ${fmt(m.forward)}; backward ${fmt(m.backward)}`);
      }
      return 0;
    }
    const s = summarizeCollectives(loaded.trace);
    if (sub === 'export-csv') io.out(summaryToCsv(s).trimEnd());
    else if (flag(args, 'json')) io.out(JSON.stringify(s));
    else for (const l of table(s)) io.out(l);
    return 0;
  },
});
