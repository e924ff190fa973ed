// Bundles the screenshot script as the test runner bundles the webview tests, then runs it.
import { build } from 'esbuild';
import { join } from 'node:path';
import { rmSync } from 'node:fs';

const out = join('.test-out', `screenshot-${process.pid}`, 'screenshot.cjs');
await build({
  entryPoints: ['test/webview/screenshot.ts'], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  packages: 'external', logLevel: 'warning', inject: ['extension/node-host/install.ts'],
});
try {
  await import(join(process.cwd(), out));
} finally {
  process.on('exit', () => rmSync(join('.test-out', `screenshot-${process.pid}`), { recursive: true, force: true }));
}
