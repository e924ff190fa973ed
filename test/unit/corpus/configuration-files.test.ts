// Every configuration file with a tensor- or expert-parallel plan inside every transformers wheel of the
// local mirror, read from the wheel at test time and checked at tp=2 against its own version: no finding of
// SS001-SS199 at warning or error severity, except the true ones listed below with why they are true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasWheelMirror, mirrorWheels, readZipTexts } from '../helpers/wheels';
import { analyzeDocument } from '../../../extension/core/editing';
import { lineColumn } from '../../../extension/core/util/json';

/** Findings that are right: the file's own plan really does what the code says (key '': wherever it is placed). */
const INKLING_WHY =
  "InklingExperts fuses gate_up_proj as chunk(2) halves [gate; up] (modeling_inkling.py), and its plan gives it plain colwise, which transformers applies as Shard(dim=1) (seen on the fake process group, test/fixtures/oracle/catalog): rank 0 holds only gate rows";
const HEAD_DIM_WHY =
  'the class leaves head_dim None and its attention multiplies by it, so transformers itself cannot build the model from these defaults (TypeError on the meta device; test/oracle/catalog records the class with head_dim given)';
const TRUE_FINDINGS: { version: string; model: string; code: string; key: string; why: string }[] = [
  ...['5.17.0', '5.18.0'].flatMap((version) => ['hunyuan_v1_moe', 'ministral'].map((model) => ({ version, model, code: 'SS004', key: '', why: HEAD_DIM_WHY }))),
  { version: '5.17.0', model: 'inkling', code: 'SS105', key: 'colwise', why: INKLING_WHY },
  { version: '5.18.0', model: 'inkling', code: 'SS105', key: 'colwise', why: INKLING_WHY },
];

const CONFIG_FILE = /^transformers\/models\/([^/]+)\/configuration_[^/]+\.py$/;

test('every configuration file with a plan checks clean against its own transformers version', async (t) => {
  if (!hasWheelMirror()) {
    console.log('skipped: no local wheel mirror (/opt/pypi/simple is absent)');
    return;
  }
  const wheels = mirrorWheels('transformers');
  assert.ok(wheels.length >= 1, 'the mirror lists transformers wheels');
  const unexpected: string[] = [];
  const seenTrue = new Set<number>();
  for (const w of wheels) {
    const texts = await readZipTexts(w.path, (n) => CONFIG_FILE.test(n));
    const root = `/mirror/transformers-${w.version}/`;
    const readFile = (p: string) => (p.startsWith(root) ? texts.get(p.slice(root.length)) : undefined);
    let files = 0;
    const notes = new Map<string, number>();
    for (const [name, text] of texts) {
      if (!/base_model_(tp|ep)_plan/.test(text)) continue;
      files++;
      const model = CONFIG_FILE.exec(name)![1];
      const a = analyzeDocument(root + name, text, { transformersVersion: w.version, meshOverride: 'tp=2', readFile });
      for (const d of a.diagnostics) {
        if (d.severity === 'info' || d.severity === 'hint') notes.set(d.code, (notes.get(d.code) ?? 0) + 1);
        if (!/^SS(0\d\d|1\d\d)$/.test(d.code) || (d.severity !== 'error' && d.severity !== 'warning')) continue;
        const key = text.slice(d.range.start, d.range.end).replace(/^["']|["']$/g, '');
        const i = TRUE_FINDINGS.findIndex((f) => f.version === w.version && f.model === model && f.code === d.code && (f.key === '' || f.key === key));
        if (i >= 0) seenTrue.add(i);
        else {
          const { line, column } = lineColumn(text, d.range.start);
          unexpected.push(`${w.version} ${name}:${line}:${column}: ${d.code} ${d.message}`);
        }
      }
    }
    t.diagnostic(`transformers ${w.version}: ${files} configuration files with a plan; notes ${[...notes].map(([c, n]) => `${c}×${n}`).join(', ') || 'none'}`);
    assert.ok(files > 0, `transformers ${w.version} has configuration files with a plan`);
  }
  assert.deepEqual(unexpected, [], `${unexpected.length} findings on transformers' own files`);
  const stale = TRUE_FINDINGS.filter((_, i) => !seenTrue.has(i) && wheels.some((w) => w.version === TRUE_FINDINGS[i].version));
  assert.deepEqual(stale, [], 'every listed true finding still appears');
});
