// The model catalog costs nothing at activation (it is read on first use) and little at a file's first
// diagnostics: a fresh Node process loads the engine bundle the extension loads (dist/engine.js) and
// analyses a real configuration file from the local wheel mirror, catalog read included. Budget 100 ms.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { median } from './measure';
import { configurationFile } from './real-config';

export default async function () {
  const real = await configurationFile('5.18.0', 'deepseek_v3');
  if (!real) return [{ name: 'first diagnostics, cold (catalog load included)', value: NaN, unit: 'ms', note: 'skipped: no local wheel mirror' }];
  const script = `
    const t0 = performance.now();
    const e = require(${JSON.stringify(resolve('dist/engine.js'))});
    const t1 = performance.now();
    const a = e.analyzeDocument(${JSON.stringify(real.path)}, ${JSON.stringify(real.text)}, { transformersVersion: '5.18.0', defaultMesh: 'tp=8' });
    const t2 = performance.now();
    process.stdout.write(JSON.stringify({ load: t1 - t0, first: t2 - t1, params: a.graph ? a.graph.params.length : 0, origin: a.graph ? a.graph.origin : 'none' }));`;
  const runs: { load: number; first: number; params: number; origin: string }[] = [];
  for (let i = 0; i < 7; i++) {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    runs.push(JSON.parse(r.stdout));
  }
  const first = median(runs.map((r) => r.first));
  return [
    { name: 'first diagnostics of a file, cold (engine loaded, catalog read)', value: first, unit: 'ms', budget: 100, better: 'lower', note: `real configuration_deepseek_v3.py of 5.18.0, ${runs[0].params} params from ${runs[0].origin}; engine require ${median(runs.map((r) => r.load)).toFixed(1)} ms` },
  ];
}
