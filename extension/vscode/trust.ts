// Runs execute code on the user's machine and GPUs: only in trusted folders. The command's enablement
// hides it in Restricted Mode, but a command can still be invoked by id, so the handler checks again.
import * as vscode from 'vscode';

export function refuseUntrusted(log: vscode.OutputChannel, what: string): boolean {
  if (vscode.workspace.isTrusted) return false;
  const msg = `Shardscope: ${what} is not available in Restricted Mode: trust this folder to run plans. Plans are still checked.`;
  log.appendLine(msg);
  void vscode.window.showWarningMessage(msg);
  return true;
}
