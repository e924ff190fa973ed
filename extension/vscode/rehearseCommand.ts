// Rehearse Plan: runs the plan's per-rank programs on the CPU or CUDA backend with progress and
// cancellation. Refused in untrusted folders. The rehearsal engine is looked up in the lazily loaded
// engine bundle, so a build without it still checks plans and says why it cannot run them.
import * as vscode from 'vscode';
import { engine } from './lazy-engine';
import { refuseUntrusted } from './trust';
import type { PlanController } from './controller';

/** What the engine bundle offers for rehearsals, when it has them. */
interface RehearseApi {
  rehearse(input: { analysis: unknown; planIndex?: number; backend: string; cudaLibraryPath?: string; traceFolder?: string; signal: AbortSignal; onProgress(message: string, fraction?: number): void }): Promise<{ tracePath?: string; summary: string }>;
}

export function rehearsalApi(): RehearseApi | undefined {
  const e = engine() as unknown as Partial<RehearseApi>;
  return typeof e.rehearse === 'function' ? (e as RehearseApi) : undefined;
}

async function rehearse(ctl: PlanController, log: vscode.OutputChannel, uri?: vscode.Uri, planIndex?: number): Promise<void> {
  if (refuseUntrusted(log, 'Rehearse Plan')) return;
  const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  const analysis = doc && ctl.analysis(doc);
  if (!analysis?.sharded) {
    void vscode.window.showWarningMessage('Shardscope: open a plan that binds to a model before rehearsing it.');
    return;
  }
  const api = rehearsalApi();
  if (!api) {
    const msg = 'Shardscope: this build has no rehearsal runtime; shapes and collectives are available, runs are not.';
    log.appendLine(msg);
    void vscode.window.showWarningMessage(msg);
    return;
  }
  const cfg = vscode.workspace.getConfiguration('shardscope');
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Shardscope: rehearsing', cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let last = 0;
      try {
        const r = await api.rehearse({
          analysis,
          planIndex,
          backend: cfg.get<string>('backend', 'auto'),
          cudaLibraryPath: cfg.get<string>('cudaLibraryPath') || undefined,
          traceFolder: cfg.get<string>('traceFolder') || undefined,
          signal: abort.signal,
          onProgress: (message, fraction) => {
            const inc = fraction === undefined ? undefined : Math.max(0, fraction * 100 - last);
            if (fraction !== undefined) last = fraction * 100;
            progress.report({ message, increment: inc });
          },
        });
        log.appendLine(r.summary);
        if (r.tracePath) await vscode.commands.executeCommand('shardscope.openTrace', vscode.Uri.file(r.tracePath));
      } catch (e) {
        const msg = abort.signal.aborted ? 'rehearsal cancelled' : (e as Error).message;
        log.appendLine(`rehearsal: ${msg}`);
        if (!abort.signal.aborted) void vscode.window.showErrorMessage(`Shardscope: ${msg}`);
      }
    },
  );
}

export function registerRehearseCommand(ctl: PlanController, log: vscode.OutputChannel): vscode.Disposable[] {
  return [vscode.commands.registerCommand('shardscope.rehearse', (uri?: vscode.Uri, planIndex?: number) => rehearse(ctl, log, uri, planIndex))];
}
