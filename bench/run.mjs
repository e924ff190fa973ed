// `npm run bench`: runs every bench/*.bench.ts (or .mjs) and prints one table of figures against budgets.
// A bench module's default export is an async function returning rows:
//   { name, value, unit, budget?: number, better?: 'lower'|'higher', note?: string }
// Usage: node bench/run.mjs [filter]
import { build } from 'esbuild';
import { readdirSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const filter = process.argv[2];
// The benches are ES modules (no __dirname to find the model catalog from): the checkout's data.
process.env.SHARDSCOPE_CATALOG_DIR ??= resolve('extension/core/models/catalog/data');
const outDir = 'bench/out';
mkdirSync(outDir, { recursive: true });
const files = readdirSync('bench').filter((f) => /\.bench\.(ts|mjs)$/.test(f) && (!filter || f.includes(filter))).sort();
const rows = [];
for (const f of files) {
  let modPath = join('bench', f);
  if (f.endsWith('.ts')) {
    const out = join(outDir, f.replace(/\.ts$/, '.mjs'));
    // The engine reads files (and the model catalog) through the host Node's entry points install.
    await build({ entryPoints: [modPath], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning', inject: ['extension/node-host/install.ts'] });
    modPath = out;
  }
  process.stderr.write(`bench: ${f} ...\n`);
  try {
    const mod = await import(pathToFileURL(resolve(modPath)).href);
    for (const r of await mod.default()) rows.push({ file: f, ...r });
  } catch (e) {
    rows.push({ file: f, name: 'FAILED', value: NaN, unit: '', note: String(e?.message ?? e) });
  }
}

const fmt = (v) => (typeof v !== 'number' || Number.isNaN(v) ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const table = rows.map((r) => {
  const better = r.better ?? 'lower';
  const hasBudget = typeof r.budget === 'number';
  const ratio = hasBudget ? (better === 'lower' ? r.value / r.budget : r.budget / r.value) : NaN;
  const verdict = !hasBudget ? '' : ratio <= 1 ? 'ok' : 'OVER';
  return [r.name, fmt(r.value), r.unit ?? '', hasBudget ? `${better === 'lower' ? '≤' : '≥'} ${fmt(r.budget)}` : '', hasBudget ? fmt(ratio) : '', verdict, r.note ?? ''];
});
const head = ['benchmark', 'value', 'unit', 'budget', 'ratio', '', 'note'];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => String(t[i]).length)));
const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
if (rows.some((r) => r.name === 'FAILED')) process.exitCode = 1;
