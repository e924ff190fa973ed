// The same end-to-end suite for @vscode/test-cli on machines where desktop VS Code can be downloaded
// (`npx vscode-test`). Here the suite runs in code-server instead (npm test); this file is validated by a test.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'shardscope-extension-host',
  files: 'dist-e2e/host/suite.js',
  version: '1.100.3',
  workspaceFolder: './examples',
  extensionDevelopmentPath: '.',
  mocha: { ui: 'bdd', timeout: 60000 },
});
