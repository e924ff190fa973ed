// Rehearse Plan: runs the plan's layers sharded on the CPU rank threads (or GPUs), compares them with
// the unsharded reference, writes the trace and opens it beside the plan. Asks only when the defaults do
// not serve (no model for the plan; GPUs too few for its group). Progress and cancellation through a
// notification. Refused in untrusted folders: a run executes work on the user's machine.
import * as vscode from 'vscode';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { engine } from './lazy-engine';
import { refuseUntrusted } from './trust';
import { traceFolder, type TraceStorage } from './traceFolder';
import { revealEntry } from './tracePanel';
import type { PlanController } from './controller';

/** Whether this build can rehearse (the engine bundle carries the rehearsal). */
export function rehearsalAvailable(): boolean {
  return typeof (engine() as { rehearse?: unknown }).rehearse === 'function';
}

async function rehearse(log: vscode.OutputChannel, ctl: PlanController | undefined, storage: TraceStorage, uri?: vscode.Uri): Promise<void> {
  if (refuseUntrusted(log, 'Rehearse Plan')) return;
  const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!doc) {
    void vscode.window.showWarningMessage('Shardscope: open a plan to rehearse it.');
    return;
  }
  const cfg = vscode.workspace.getConfiguration('shardscope');
  let backend = cfg.get<'auto' | 'cpu' | 'cuda'>('backend', 'auto');
  // The model and mesh the diagnostics use (a Python plan often names neither: the editor resolved them).
  let analysis = ctl?.analysis(doc);
  if (ctl && analysis && !analysis.graph) {
    // No model for this plan yet: the same pick as the status bar's, then the plan is analysed again.
    await vscode.commands.executeCommand('shardscope.pickModel');
    ctl.forget(doc);
    analysis = ctl.analysis(doc);
    if (!analysis?.graph) {
      log.appendLine('rehearsal: no model picked');
      return;
    }
  }
  // The programs run on the native addon in a child process, never in the extension host.
  // The CUDA libraries may come with the workspace's PyTorch (its nvidia/*/lib folders); asked only when GPUs may be used.
  const sitePackages = backend === 'cpu' ? [] : await engine().pythonSitePackages(cfg.get<string>('pythonPath') || 'python3', { base: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath });
  const executor = engine().nativeExecutor({ libraryDirs: engine().cudaLibraryDirs({ setting: cfg.get<string>('cudaLibraryPath') || undefined, sitePackages }) });
  if (executor.unavailable) log.appendLine(`rehearsal: ${executor.unavailable}; the JS interpreter runs the programs`);
  else if (backend !== 'cpu' && executor.gpus) {
    // The defaults serve when the GPUs can hold the plan's tensor-parallel group (or, on 'auto', when
    // there is no GPU at all: the CPU, said in the verdict). Otherwise the user picks.
    const dims = analysis?.mesh?.dims;
    const need = dims?.length ? engine().rehearsedGroup(dims).size : 1;
    const g = await executor.gpus();
    if (g.count < need && (backend === 'cuda' || g.count > 0)) {
      const why = g.count ? `${g.count} GPU${g.count > 1 ? 's' : ''} visible; the plan's tensor-parallel group needs ${need}` : `no GPU can be used: ${g.reason ?? 'none found'}`;
      const pick = await vscode.window.showQuickPick(
        [
          { label: '$(server-process) Rehearse on the CPU', description: `${Math.min(need, 16)} rank threads`, detail: why, backend: 'cpu' as const },
          { label: '$(close) Cancel', detail: 'set CUDA_VISIBLE_DEVICES, or a plan whose group fits the GPUs', backend: undefined },
        ],
        { title: 'Shardscope: where to rehearse', placeHolder: why },
      );
      if (!pick?.backend) {
        log.appendLine(`rehearsal: not started (${why})`);
        return;
      }
      backend = pick.backend;
    }
  }
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Shardscope: rehearsing', cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let done = 0;
      try {
        const r = await engine().rehearse(
          { uri: doc.uri.fsPath, text: doc.getText() },
          {
            backend,
            executor,
            model: analysis?.graph,
            mesh: analysis?.mesh,
            signal: abort.signal,
            onLog: (line) => log.appendLine(line),
            onProgress: (message, fraction) => {
              progress.report({ message, increment: Math.max(0, fraction * 100 - done) });
              done = Math.max(done, fraction * 100);
            },
          },
        );
        const text = engine().verdictLine(r);
        log.appendLine(`rehearsal of ${vscode.workspace.asRelativePath(doc.uri)}: ${text}`);
        for (const n of r.notes) log.appendLine(`note: ${n}`);
        const folder = traceFolder(storage);
        let tracePath: string | undefined;
        // A refused plan ran nothing: no trace to write or offer (it would open as "0 events on 0 ranks").
        if (folder && engine().hasTrace(r)) {
          mkdirSync(folder, { recursive: true });
          tracePath = join(folder, `${basename(doc.uri.fsPath).replace(/\.(shardplan\.json|py|json)$/, '')}-${r.backend}-${Date.now()}.json`);
          writeFileSync(tracePath, JSON.stringify(engine().chromeTrace(r.trace)));
          log.appendLine(`trace: ${tracePath}`);
        }
        // The trace opens beside the plan; the verdict stays as a message, with the way to the plan line.
        if (tracePath) void vscode.commands.executeCommand('shardscope.openTrace', vscode.Uri.file(tracePath), doc.uri);
        const where = r.firstMismatch?.file && r.firstMismatch.line ? { file: r.firstMismatch.file, line: r.firstMismatch.line } : r.error?.file ? { file: r.error.file, line: r.error.line ?? 1 } : undefined;
        const show = r.verdict === 'match' ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
        void show(`Shardscope: ${text}`, ...(where ? ['Go to Plan Entry'] : []), ...(tracePath ? ['Open Trace'] : [])).then((pick) => {
          if (pick === 'Open Trace' && tracePath) void vscode.commands.executeCommand('shardscope.openTrace', vscode.Uri.file(tracePath), doc.uri);
          if (pick === 'Go to Plan Entry' && where) void revealEntry({ key: '', ...where }, [doc.uri]);
        });
      } catch (e) {
        const msg = abort.signal.aborted ? 'rehearsal cancelled' : (e as Error).message;
        log.appendLine(`rehearsal: ${msg}`);
        // RehearsalError messages are already located (file:line:col); anything else is a defect to log.
        if (!abort.signal.aborted) void vscode.window.showErrorMessage(`Shardscope: ${msg}`);
      }
    },
  );
}

export function registerRehearseCommand(log: vscode.OutputChannel, storage: TraceStorage, ctl?: PlanController): vscode.Disposable[] {
  return [vscode.commands.registerCommand('shardscope.rehearse', (uri?: vscode.Uri) => rehearse(log, ctl, storage, uri))];
}
