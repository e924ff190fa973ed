// The transformers version of the workspace's Python environment decides the style vocabulary
// (unless a setting names it). Asked once, off the activation path, with a timeout.
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';

export function detectTransformersVersion(log: vscode.OutputChannel): Promise<string | undefined> {
  const cfg = vscode.workspace.getConfiguration('shardscope');
  const python = cfg.get<string>('pythonPath') || 'python3';
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import transformers, sys; sys.stdout.write(transformers.__version__)'], { timeout: 8000, cwd }, (err, stdout) => {
      if (err) {
        log.appendLine(`transformers version: not found with ${python} (${err.message.split('\n')[0]}); the style vocabulary is detected from the plans`);
        resolve(undefined);
      } else {
        log.appendLine(`transformers ${stdout.trim()} found with ${python}`);
        resolve(stdout.trim() || undefined);
      }
    });
  });
}
