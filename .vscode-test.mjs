// The extension-host suite for @vscode/test-cli on machines where desktop VS Code can be downloaded
// (`npm run test:vscode`). Here the same suite runs in code-server instead (npm run test:e2e); this file
// is validated by a unit test. The workspace is a scratch copy of examples/ with the planted fault.
import { defineConfig } from '@vscode/test-cli';
import { scratchWorkspace } from './e2e/harness.mjs';

export default defineConfig({
  label: 'shardscope-extension-host',
  files: 'dist-e2e/host/suite.js',
  version: '1.100.3',
  workspaceFolder: scratchWorkspace(),
  extensionDevelopmentPath: '.',
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'bdd', timeout: 60000 },
});
