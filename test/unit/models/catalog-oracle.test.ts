// The catalog against what transformers itself builds: for every recorded architecture, seeded random
// configurations (generated once by test/oracle/catalog/random_configs.py with the real library) give
// exactly the parameter names and global shapes built on the meta device, and `--plan auto` at tp=2 gives
// the placements and per-rank local shapes transformers applies on PyTorch's fake process group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { graphFromConfig } from '../../../extension/core/models';
import { bindPlan, autoPlanInputs } from '../../../extension/core/analysis';
import { parseMesh, placementRepr } from '../../../extension/core/sharding';
import { detectGeneration } from '../../../extension/core/styles';

type RankParam = 'plain' | { placements: string[]; local: number[] };
interface Case {
  seed: number;
  given: Record<string, unknown>;
  config: Record<string, unknown>;
  params: [string, number[]][];
  tp2: { ranks?: Record<string, RankParam>[]; error?: string };
}
interface Fixture { transformers: string; torch: string; tp: number; architectures: Record<string, Case[]> }

for (const version of ['5.17.0', '5.18.0']) {
  const path = `test/fixtures/oracle/catalog/transformers-${version}.json`;
  if (!existsSync(path)) continue;
  const fx = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
  const generation = detectGeneration([], { transformersVersion: version });

  test(`transformers ${version}: every catalog architecture builds exactly the parameters transformers builds`, () => {
    const wrong: string[] = [];
    for (const [type, cases] of Object.entries(fx.architectures)) {
      for (const c of cases) {
        const where = `${type} seed ${c.seed}`;
        let g;
        try {
          g = graphFromConfig({ ...c.given, model_type: type }, where, { transformers: version });
        } catch (e) {
          wrong.push(`${where}: ${(e as Error).message}`);
          continue;
        }
        const ours = g.params.map((p) => `${p.name} [${p.shape.join(', ')}]`);
        const theirs = c.params.map(([n, s]) => `${n} [${s.join(', ')}]`);
        const missing = theirs.filter((x) => !ours.includes(x));
        const extra = ours.filter((x) => !theirs.includes(x));
        if (missing.length || extra.length) wrong.push(`${where}: missing ${missing.slice(0, 3).join('; ')}${missing.length > 3 ? ` (+${missing.length - 3})` : ''}; extra ${extra.slice(0, 3).join('; ')}${extra.length > 3 ? ` (+${extra.length - 3})` : ''}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test(`transformers ${version}: --plan auto at tp=2 gives transformers' own placements and local shapes per rank`, () => {
    const wrong: string[] = [];
    for (const [type, cases] of Object.entries(fx.architectures)) {
      for (const c of cases) {
        const where = `${type} seed ${c.seed}`;
        let s;
        try {
          const g = graphFromConfig({ ...c.given, model_type: type }, where, { transformers: version });
          s = bindPlan(g, autoPlanInputs(g, generation), parseMesh(`tp=${fx.tp}`), { generation });
        } catch (e) {
          wrong.push(`${where}: ${(e as Error).message}`);
          continue;
        }
        // transformers refused to load this configuration at tp=2: the check must say it is an error too.
        if (!c.tp2.ranks) {
          if (!s.findings.some((f) => f.severity === 'error')) wrong.push(`${where}: transformers refuses it (${c.tp2.error}), the check finds no error`);
          continue;
        }
        const ours = new Map(s.params.map((p) => [p.name, p]));
        const bad = new Set<string>();
        c.tp2.ranks.forEach((params, rank) => {
          for (const [name, want] of Object.entries(params)) {
            const p = ours.get(name);
            if (!p) continue; // names are the other test's business
            const got = p.placements.filter((x) => x.kind !== 'replicate' || want !== 'plain').map(placementRepr);
            const wantP = want === 'plain' ? [] : want.placements;
            const wantLocal = want === 'plain' ? p.globalShape : want.local;
            if (got.join() !== wantP.join() || p.localShapes[rank].join() !== wantLocal.join()) bad.add(`${name.replace(/layers\.\d+\./, 'layers.*.')}: ours [${got.join(', ')}] ${JSON.stringify(p.localShapes[rank])}, transformers [${wantP.join(', ')}] ${JSON.stringify(wantLocal)} (rank ${rank})`);
          }
        });
        if (bad.size) wrong.push(`${where}: ${[...bad].slice(0, 3).join('; ')}${bad.size > 3 ? ` (+${bad.size - 3})` : ''}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
}
