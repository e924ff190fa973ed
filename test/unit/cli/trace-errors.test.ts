// `shardscope trace`: a bad trace is the input's fault (one located line, exit 2); exit 1 is kept for
// "a hang was found".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../../extension/cli/main';

async function trace(...paths: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(['trace', 'summary', ...paths], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('every bad trace exits 2 with one file:line:col line; a hang exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-traces-'));
  try {
    const bad: Record<string, string | Buffer> = {
      'truncated.json': '{"traceEvents": [{"ph": "X", "name": "a"',
      'empty.json': '',
      'junk.json': Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]),
      'junk.json.gz': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x67, 0x61, 0x72]),
      'cut.json.gz': gzipSync(Buffer.from('{"traceEvents": [' + '{"ph":"X","name":"all_reduce","ts":1,"dur":2,"pid":0,"tid":0},'.repeat(50))).subarray(0, 40),
      'bad-syntax.json': '{"traceEvents": [\n  {"ph": "X", "name": "gemm", "ts": 1,, "dur": 2}\n]}',
      'fr-entries.json': '{"entries": 5, "pg_config": {}}',
      'fr-bad-json.json': '{"entries": [{"collective_seq_id": 1}], "pg_config": {,}}',
      'cdm.json': '{"fqn": 3}',
      'cut.pkl': Buffer.from([0x80, 0x04, 0x95]),
    };
    for (const [name, body] of Object.entries(bad)) writeFileSync(join(dir, name), body);
    mkdirSync(join(dir, 'no-traces'));
    const cases = [...Object.keys(bad).map((n) => join(dir, n)), join(dir, 'no-traces'), join(dir, 'absent.json')];
    for (const p of cases) {
      const r = await trace(p);
      assert.equal(r.code, 2, `${p}: exit ${r.code} (${r.err.join(' | ')})`);
      assert.equal(r.err.length, 1, `${p}: one line, got ${JSON.stringify(r.err)}`);
      assert.ok(r.err[0].startsWith(`${p}:`), `${p}: located, got ${r.err[0]}`);
      assert.match(r.err[0].slice(p.length), /^:\d+:\d+: \S/, `${p}: file:line:col: message, got ${r.err[0]}`);
      assert.deepEqual(r.out, [], `${p}: nothing on stdout`);
    }
    // the syntax error is located where it is
    assert.match((await trace(join(dir, 'bad-syntax.json'))).err[0], /bad-syntax\.json:2:/);
    const hang = await trace('test/fixtures/trace/flight-recorder');
    assert.equal(hang.code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
