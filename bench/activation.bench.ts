// The extension's own activation time: dist/extension.js loaded and activated with a stand-in vscode
// module (VS Code's own start-up is not counted). Budget 50 ms.
import Module from 'node:module';
import { resolve } from 'node:path';

export default async function () {
  const stub = resolve('test/stubs/vscode.cjs');
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const orig = M._resolveFilename;
  M._resolveFilename = (req: string, ...rest: unknown[]) => (req === 'vscode' ? stub : orig(req, ...rest));
  const require = Module.createRequire(resolve('package.json'));
  const t0 = performance.now();
  const ext = require(resolve('dist/extension.js'));
  const loaded = performance.now();
  // What activation reads of its context: subscriptions, the per-workspace picks, where it is installed.
  const ctx = { subscriptions: [] as { dispose(): void }[], workspaceState: { get: () => undefined, update: async () => {} }, extensionPath: resolve('.'), extensionUri: {} };
  const api = ext.activate(ctx);
  const t1 = performance.now();
  for (const d of ctx.subscriptions) d.dispose();
  M._resolveFilename = orig;
  return [
    { name: 'extension load + activate (first time, cold)', value: t1 - t0, unit: 'ms', budget: 50, better: 'lower', note: `require ${(loaded - t0).toFixed(1)} ms, activate() ${api.activationMs().toFixed(2)} ms` },
  ];
}
