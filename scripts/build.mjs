// Bundles every entry point with esbuild. Entries whose source does not exist yet are skipped.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, copyFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const entries = [
  // The adapter loads the engine lazily from its own bundle, so activation does not parse it.
  { in: 'extension/vscode/extension.ts', out: 'dist/extension.js', platform: 'node', external: ['vscode', './engine.js'] },
  { in: 'extension/vscode/engine.ts', out: 'dist/engine.js', platform: 'node', external: ['vscode'] },
  { in: 'extension/cli/bin.ts', out: 'dist/cli.js', platform: 'node', banner: '#!/usr/bin/env node' },
  { in: 'extension/runtime/child.ts', out: 'dist/runtime-child.js', platform: 'node' },
  { in: 'webview/main.ts', out: 'dist/webview.js', platform: 'browser' },
];

await Promise.all(
  entries
    .filter((e) => existsSync(e.in))
    .map((e) =>
      build({
        entryPoints: [e.in],
        outfile: e.out,
        bundle: true,
        platform: e.platform,
        format: e.platform === 'browser' ? 'iife' : 'cjs',
        target: e.platform === 'browser' ? 'chrome120' : 'node20',
        sourcemap: true,
        // jsonc-parser's UMD build does not bundle; its ESM build does.
        mainFields: e.platform === 'browser' ? ['browser', 'module', 'main'] : ['module', 'main'],
        external: e.external ?? [],
        banner: e.banner ? { js: e.banner } : undefined,
        logLevel: 'warning',
      }),
    ),
);
// The model catalog is read on first use from dist/catalog/, not bundled, so activation does not parse it.
const catalogSrc = 'extension/core/models/catalog/data';
if (existsSync(catalogSrc)) {
  mkdirSync('dist/catalog', { recursive: true });
  for (const f of readdirSync(catalogSrc).filter((n) => n.endsWith('.json'))) copyFileSync(`${catalogSrc}/${f}`, `dist/catalog/${f}`);
}
if (!watch) console.log('built', entries.filter((e) => existsSync(e.in)).map((e) => e.out).join(', '));
