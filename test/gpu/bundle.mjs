// Bundles what the GPU run executes into test/gpu/.carry/ (run by test/gpu/prepare.sh on a machine with
// node_modules): the run's own scripts, the native test suite (each file as scripts/test.mjs bundles
// it, but with every npm package inside, so the GPU machine needs no node_modules besides esbuild,
// which the tests' helpers call to build the runtime child) and the CUDA bench.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CARRY = 'test/gpu/.carry';

function find(dir, re) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? find(p, re) : re.test(n) ? [p] : [];
  });
}

const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
  // jsonc-parser's UMD build does not bundle; its ESM build does (as scripts/build.mjs).
  mainFields: ['module', 'main'], external: ['esbuild'],
  // The engine reads files through the host interface every Node entry point installs first.
  inject: ['extension/node-host/install.ts'],
};
// The bench module reads import.meta.url (to load the addon in its own process): an ES module, with the
// require and __dirname of its own that the CommonJS code bundled inside it uses.
const esmBanner = [
  "import { createRequire as __cr } from 'node:module'; import { dirname as __dn } from 'node:path'; import { fileURLToPath as __fu } from 'node:url';",
  'const require = __cr(import.meta.url); const __dirname = __dn(__fu(import.meta.url));',
].join('\n');
const esm = { format: 'esm', outExtension: { '.js': '.mjs' }, banner: { js: esmBanner } };
const jobs = [
  { dir: 'scripts', entries: ['check-examples', 'measure-addon', 'report'].map((n) => `test/gpu/${n}.ts`), base: 'test/gpu' },
  { dir: 'scripts', entries: ['test/gpu/bench-cuda.ts'], base: 'test/gpu', ...esm },
  { dir: 'tests', entries: find('test/native', /\.test\.ts$/), base: 'test/native' },
];
for (const j of jobs) rmSync(join(CARRY, j.dir), { recursive: true, force: true });
await Promise.all(jobs.map(({ dir, entries, base, ...o }) => build({ ...common, ...o, entryPoints: entries, outdir: join(CARRY, dir), outbase: base })));
for (const j of jobs) console.log(`bundled ${j.entries.length} file(s) into ${join(CARRY, j.dir)}/`);
