// Runs execute code on the user's machine and GPUs: only in trusted folders. The command's enablement
// hides it in Restricted Mode, but a command can still be invoked by id, so the handler checks again.
import * as vscode from 'vscode';
import { PlanPathConsent, type AnswerStore } from './planPaths';

export function refuseUntrusted(log: vscode.OutputChannel, what: string): boolean {
  if (vscode.workspace.isTrusted) return false;
  const msg = `Shardscope: ${what} is not available in Restricted Mode: trust this folder to run plans. Plans are still checked.`;
  log.appendLine(msg);
  void vscode.window.showWarningMessage(msg);
  return true;
}

/**
 * Runs `fn` now in a trusted folder; in Restricted Mode once trust is granted (no reload needed). Anything
 * that starts a process (the Python version check, the runtime child) goes through here or refuseUntrusted.
 */
export function whenTrusted(fn: () => void): vscode.Disposable {
  if (vscode.workspace.isTrusted) {
    fn();
    return { dispose() {} };
  }
  const sub = vscode.workspace.onDidGrantWorkspaceTrust(() => {
    sub.dispose();
    fn();
  });
  return sub;
}

/** The confirm dialog for a plan path outside the workspace; answers kept in the workspace's state. */
export function planPathConsent(context: vscode.ExtensionContext, answered: () => void): PlanPathConsent {
  return new PlanPathConsent({
    folders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    store: context.workspaceState as AnswerStore,
    ask: async (path, planFile) => {
      const pick = await vscode.window.showWarningMessage(
        `Shardscope: the plan ${vscode.workspace.asRelativePath(planFile)} names ${path}, outside this workspace and the Hugging Face cache. Read it to check the plan?`,
        { modal: true, detail: 'The answer is remembered for this workspace. Nothing in the file is run; it is read as a model configuration.' },
        'Allow',
        "Don't Allow",
      );
      return pick === 'Allow' ? true : pick === "Don't Allow" ? false : undefined;
    },
    answered,
  });
}
