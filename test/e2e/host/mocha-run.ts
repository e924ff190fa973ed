// Runs one mocha suite in the extension host and writes the results where the runner outside VS Code
// reads them (.shardscope-e2e-results.json in the workspace).
import Mocha from 'mocha';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

export function runSuite(load: () => void): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: false });
  mocha.suite.emit('pre-require', globalThis, 'suite', mocha);
  load();
  const results: { title: string; state: string; error?: string; ms?: number }[] = [];
  const out = join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.shardscope-e2e-results.json');
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      // Written whole, then renamed into place: the runner polls for the file and must never read half of it.
      writeFileSync(`${out}.tmp`, JSON.stringify({ failures, results }, null, 2));
      renameSync(`${out}.tmp`, out);
      if (failures) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', ms: t.duration }));
    runner.on('fail', (t, err) => results.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) }));
  });
}
