// A real Flight Recorder JSON dump of some hundred kilobytes (torch writes "entries" long before
// "pg_config"), made by torch at test time: read as a dump, its hang found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readTraceFile } from '../../../extension/core/trace/read';
import { main } from '../../../extension/cli/main';
import { oraclePython } from '../../oracle/python-env';

test('a Flight Recorder JSON dump over 200 KB from torch is read as a dump and its hang found', async () => {
  const env = oraclePython();
  if ('skip' in env) {
    console.log(`skipped: ${env.skip}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fr-large-'));
  try {
    const gen = spawnSync(env.python, ['test/oracle/flight_recorder_large.py', dir, '600'], { encoding: 'utf8', timeout: 180000 });
    assert.equal(gen.status, 0, gen.stderr);
    assert.match(gen.stdout, /^2\.13\./, 'made by torch 2.13');
    const files = [0, 1].map((r) => join(dir, `nccl_trace_rank_${r}.json`));
    for (const f of files) assert.ok(statSync(f).size > 200 * 1024, `${f} is ${statSync(f).size} bytes`);
    const loaded = await readTraceFile(dir);
    assert.equal(loaded.kind, 'flight-recorder');
    if (loaded.kind !== 'flight-recorder') return;
    assert.deepEqual(loaded.report.ranks, [0, 1]);
    // (gloo may report its last few collectives as not yet completed when a rank dumps right after them:
    // those findings have no missing rank; the one a rank never entered is the hang.)
    assert.deepEqual(loaded.report.findings.filter((f) => f.missing.length).map((f) => [f.pg, f.seq, f.op, f.entered, f.missing]), [['0', 601, 'all_reduce', [0], [1]]]);
    assert.equal(loaded.report.records.filter((r) => r.rank === 1).length, 600, 'every collective of rank 1 recorded');
    const out: string[] = [], err: string[] = [];
    const code = await main(['trace', 'summary', ...files], { out: (l) => out.push(l), err: (l) => err.push(l) });
    assert.equal(code, 1, `exit 1: a hang was found (${err.join('\n')})`);
    assert.match(out.join('\n'), /group 0 collective 601 \(all_reduce\): ranks 1 never entered/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
