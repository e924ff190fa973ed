// A style's hover: one sentence, its placements and collectives as Markdown tables (each on its own row,
// never run together), one documentation link, and no provenance (commit hashes, pull requests, dates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeDocument, hover } from '../../../extension/core/editing';
import { listStyles, lookupStyle, styleMarkdown } from '../../../extension/core/styles';

const f = 'examples/mixtral-8x7b/tp.shardplan.json';
const text = readFileSync(f, 'utf8');
const md = (style: string) => hover(analyzeDocument(f, text, {}), text.indexOf(`"${style}"`) + 3)!.markdown;

test('packed_colwise on fused experts: a placement table with one row per tensor and a collectives table', () => {
  const m = md('packed_colwise');
  const rows = m.split('\n');
  assert.match(rows[0], /^\*\*packed_colwise\*\* — [^\n]+\.$/);
  assert.ok(rows.includes('| experts | placement |'), m);
  assert.ok(rows.some((r) => /^\| `gate_up_proj` \| _StridedShard\(dim=1, sf=2\) \|$/.test(r)), m);
  assert.ok(rows.includes('| pass | collectives |'), m);
  assert.ok(rows.some((r) => /^\| forward \| /.test(r)) && rows.some((r) => /^\| backward \| /.test(r)), m);
  assert.equal((m.match(/\]\(https:\/\//g) ?? []).length, 1, 'one link');
});

test('no style hover cites commits, pull requests or dates, and every table row is well formed', () => {
  for (const e of listStyles()) {
    const gen = e.generations[0];
    const m = styleMarkdown(e.name, e.doc, e.source, lookupStyle(e.name, gen)?.semantics);
    assert.doesNotMatch(m, /PR #|[0-9a-f]{40}|≈ 20\d\d|@ [0-9a-f]{7}/, e.name);
    for (const row of m.split('\n').filter((r) => r.startsWith('|'))) assert.equal(row.replace(/\\\|/g, '').split('|').length, 4, `${e.name}: ${row}`);
  }
});
