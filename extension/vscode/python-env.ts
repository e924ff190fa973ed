// The transformers version of the workspace's Python environment decides the style vocabulary
// (unless a setting names it). Asked once, off the activation path, with a timeout, and only in a trusted
// folder: the interpreter runs isolated (-I, working directory outside the workspace), so nothing the
// workspace holds is imported.
import * as vscode from 'vscode';
import { runIsolatedPython, USER_SITE_PRELUDE } from '../runtime/isolatedPython';

export const VERSION_CODE = `${USER_SITE_PRELUDE}import sys, transformers\nsys.stdout.write(transformers.__version__)`;

export async function detectTransformersVersion(log: vscode.OutputChannel): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) return undefined;
  const cfg = vscode.workspace.getConfiguration('shardscope');
  const python = cfg.get<string>('pythonPath') || 'python3';
  // A relative pythonPath (".venv/bin/python") is the first workspace folder's.
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const r = await runIsolatedPython(python, VERSION_CODE, { base, timeoutMs: 8000 });
  if (!r.ok) {
    log.appendLine(`transformers version: not found with ${r.python ?? python} (${r.reason}); the style vocabulary is detected from the plans`);
    return undefined;
  }
  log.appendLine(`transformers ${r.stdout.trim()} found with ${r.python}`);
  return r.stdout.trim() || undefined;
}
