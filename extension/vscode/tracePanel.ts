// The trace panel: a webview with the shapes of the plan and the timeline of a trace. The HTML (strict
// CSP, nonce) and message validation come from the editor-free panel host in core/trace; this file
// supplies URIs, the data and the editor actions. Data arrives only by postMessage after 'ready'.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { engine } from './lazy-engine';
import type { HostMessage, EntryRef } from './engine';
import type { LoadedTrace, Trace } from '../core/trace/types';
// Small and editor-free: bundled with the extension rather than loading the engine for it.
import { planFileOfTrace } from '../core/trace/panel-host';
import type { PlanController } from './controller';
import { revealFile, revealPlace } from './revealGuard';

let current: vscode.WebviewPanel | undefined;

/** The GPU limit for the memory bars: the plan's run.gpu_memory_gib, else the status bar's pick, else the setting, else none (the panel assumes 80 GiB and says so). */
function gpuLimit(ctl: PlanController, a: { doc: { run?: { gpuMemoryGiB?: number } } }): { gpuLimitBytes?: number; gpuLimitSource?: 'plan' | 'setting' | 'pick' } {
  const plan = a.doc.run?.gpuMemoryGiB;
  if (plan && plan > 0) return { gpuLimitBytes: plan * 2 ** 30, gpuLimitSource: 'plan' };
  const pick = (ctl.choices as { gpuMemoryGiB?: number }).gpuMemoryGiB;
  if (pick && pick > 0) return { gpuLimitBytes: pick * 2 ** 30, gpuLimitSource: 'pick' };
  const s = vscode.workspace.getConfiguration('shardscope').inspect<number>('gpuMemoryGiB');
  const set = s?.workspaceFolderValue ?? s?.workspaceValue ?? s?.globalValue;
  return set && set > 0 ? { gpuLimitBytes: set * 2 ** 30, gpuLimitSource: 'setting' } : {};
}

/**
 * The plan a rehearsal trace came from, for its Shapes tab when the trace is opened on its own: the file its
 * events' plan entries name (most of them), found beside the trace, in a workspace folder, or as written.
 */
function planOfTrace(trace: Trace, traceDir: string): vscode.Uri | undefined {
  const named = planFileOfTrace(trace);
  if (!named) return undefined;
  const places = isAbsolute(named) ? [named] : [join(traceDir, named), ...(vscode.workspace.workspaceFolders ?? []).map((f) => join(f.uri.fsPath, named))];
  const found = places.find((f) => existsSync(f));
  return found ? vscode.Uri.file(found) : undefined;
}

/** Messages for trace files (timeline, counts or hang report) plus the shapes of the plan: the one given, else the one a rehearsal trace names. */
async function messagesFor(ctl: PlanController, log: vscode.OutputChannel, traces: vscode.Uri[], planUri?: vscode.Uri): Promise<{ messages: HostMessage[]; plan?: vscode.Uri }> {
  const out: HostMessage[] = [];
  let loaded: LoadedTrace | undefined;
  try {
    const paths = traces.map((t) => t.fsPath);
    loaded = await engine().readTraceFile(paths.length === 1 ? paths[0] : paths);
  } catch (e) {
    out.push({ type: 'error', message: (e as Error).message });
  }
  const title = traces.length === 1 ? basename(traces[0].fsPath) : `${basename(traces[0].fsPath)} + ${traces.length - 1} more`;
  if (!planUri && loaded?.kind === 'timeline') {
    planUri = planOfTrace(loaded.trace, dirname(traces[0].fsPath));
    if (planUri) log.appendLine(`trace ${traces[0].fsPath}: shapes from ${planUri.fsPath}, the plan its events name`);
  }
  const planDoc = planUri ? await vscode.workspace.openTextDocument(planUri) : undefined;
  const a = planDoc && ctl.analysis(planDoc);
  if (a?.sharded) {
    out.unshift({ type: 'shapes', payload: engine().shapesPayload(a.sharded, { planFile: planDoc!.uri.fsPath, ...gpuLimit(ctl, a) }) });
    const meshNow = a.mesh.dims.map((d) => `${d.name}=${d.size}`).join(',');
    if (loaded?.kind === 'timeline' && loaded.trace.meta.mesh && loaded.trace.meta.mesh !== meshNow) log.appendLine(`trace ${traces[0].fsPath}: rehearsed on ${loaded.trace.meta.mesh}; the Shapes tab shows the plan on ${meshNow}`);
  }
  if (loaded?.kind === 'timeline') out.push({ type: 'timeline', payload: engine().timelinePayload(loaded.trace, title) });
  else if (loaded?.kind === 'comm-debug-mode') out.push({ type: 'commDebug', modules: loaded.modules });
  else if (loaded) out.push({ type: 'hang', report: loaded.report });
  return { messages: out, plan: planUri };
}

/**
 * Opens the plan file at an entry (its range, else its line) in the first column. The entry may come from a
 * trace file of any origin: only a file inside the workspace (or one of `allowed`, the plan the trace was
 * opened with) opens, at a place that exists in it; otherwise a message says why not.
 */
export async function revealEntry(entry: EntryRef, allowed: vscode.Uri[] = []): Promise<void> {
  const target = revealFile(entry, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), allowed.map((u) => u.fsPath));
  if ('message' in target) return void vscode.window.showWarningMessage(`Shardscope: cannot go to the plan entry: ${target.message}.`);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(target.file));
  const place = revealPlace(entry, doc.lineCount, doc.getText().length);
  if ('message' in place) return void vscode.window.showWarningMessage(`Shardscope: cannot go to the plan entry in ${vscode.workspace.asRelativePath(doc.uri)}: ${place.message}.`);
  const range = 'line' in place ? new vscode.Range(place.line - 1, 0, place.line - 1, 0) : new vscode.Range(doc.positionAt(place.start), doc.positionAt(place.end));
  await vscode.window.showTextDocument(doc, { selection: range, viewColumn: vscode.ViewColumn.One });
}

export async function showTracePanel(ctl: PlanController, extensionUri: vscode.Uri, log: vscode.OutputChannel, trace: vscode.Uri | vscode.Uri[], planUri?: vscode.Uri): Promise<void> {
  const traces = Array.isArray(trace) ? trace : [trace];
  const traceUri = traces[0];
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  current?.dispose();
  const panel = vscode.window.createWebviewPanel('shardscope.trace', `Shardscope: ${basename(traceUri.fsPath)}`, vscode.ViewColumn.Beside, {
    enableScripts: true,
    localResourceRoots: [dist],
  });
  current = panel;
  panel.onDidDispose(() => {
    if (current === panel) current = undefined;
  });
  const messages = messagesFor(ctl, log, traces, planUri);
  panel.webview.onDidReceiveMessage((raw) =>
    engine().handlePanelMessage(raw, {
      ready: () => void messages.then((ms) => ms.messages.forEach((m) => void panel.webview.postMessage(m))),
      reveal: (entry) => void messages.then((ms) => revealEntry(entry, ms.plan ? [ms.plan] : [])),
      exportCsv: (csv) =>
        void vscode.window.showSaveDialog({ filters: { CSV: ['csv'] } }).then((to) => {
          if (to) writeFileSync(to.fsPath, csv);
        }),
      invalid: (error) => log.appendLine(`panel: dropped an invalid message: ${error}`),
    }),
  );
  panel.webview.html = engine().panelHtml({
    nonce: randomBytes(16).toString('base64'),
    cspSource: panel.webview.cspSource,
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    title: basename(traceUri.fsPath),
  });
}
