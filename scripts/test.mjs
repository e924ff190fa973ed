// Runs the test suites with Node's own runner. TypeScript tests are bundled by esbuild first.
// Usage: [TEST_FILTER=substring] node scripts/test.mjs [unit|native|webview|e2e ...]  (default: unit, native, webview;
// e2e is heavy and runs on its own: npm run test:e2e)
// e2e runs the extension in a real VS Code (code-server, installed from npm by e2e/server/install.sh)
// driven by Debian's headless Chromium.
import { build } from 'esbuild';
import { readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'native', 'webview'];
// One output folder per run, so that runs side by side never delete each other's bundles.
const outRoot = join('.test-out', String(process.pid));
rmSync(outRoot, { recursive: true, force: true });
process.on('exit', () => rmSync(outRoot, { recursive: true, force: true }));

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...findTests(p));
    else if (/\.test\.(ts|mjs|js)$/.test(name)) found.push(p);
  }
  return found.sort();
}

const files = [];
for (const suite of suites) {
  const filter = process.env.TEST_FILTER;
  for (const src of findTests(join('test', suite)).filter((f) => !filter || f.includes(filter))) {
    if (src.endsWith('.ts')) {
      const out = join(outRoot, src.replace(/\.ts$/, '.js'));
      await build({
        entryPoints: [src], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
        sourcemap: 'inline', packages: 'external', logLevel: 'warning',
        // The engine reads files through the host the entry points install; the tests install Node's.
        inject: ['extension/node-host/install.ts'],
      });
      files.push(out);
    } else files.push(src);
  }
}
if (suites.includes('e2e') && files.some((f) => f.includes('/e2e/'))) {
  if (!existsSync(process.env.CHROMIUM ?? '/usr/bin/chromium')) {
    console.error('the e2e suite needs Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium ripgrep)');
    process.exit(1);
  }
  const inst = spawnSync('bash', ['e2e/server/install.sh'], { stdio: 'inherit' });
  if (inst.status !== 0) process.exit(inst.status ?? 1);
  // The e2e suite installs the packaged .vsix, as users do.
  const pack = spawnSync('npm', ['run', 'package', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (pack.status !== 0) process.exit(pack.status ?? 1);
}
if (!files.length) {
  console.error('no tests found in', suites.join(', '));
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
