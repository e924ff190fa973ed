// The trace panel: a webview with the shapes of the plan and the timeline of a trace. The HTML (strict
// CSP, nonce) and message validation come from the editor-free panel host in core/trace; this file
// supplies URIs, the data and the editor actions. Data arrives only by postMessage after 'ready'.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import { engine } from './lazy-engine';
import type { HostMessage, EntryRef } from './engine';
import type { PlanController } from './controller';
import { revealFile, revealPlace } from './revealGuard';

let current: vscode.WebviewPanel | undefined;

/** Messages for a trace file (timeline, counts or hang report) plus the shapes of the plan, if given. */
async function messagesFor(ctl: PlanController, traceUri: vscode.Uri, planUri?: vscode.Uri): Promise<HostMessage[]> {
  const out: HostMessage[] = [];
  const planDoc = planUri ? await vscode.workspace.openTextDocument(planUri) : undefined;
  const a = planDoc && ctl.analysis(planDoc);
  if (a?.sharded) out.push({ type: 'shapes', payload: engine().shapesPayload(a.sharded, { planFile: planDoc!.uri.fsPath }) });
  try {
    const loaded = await engine().readTraceFile(traceUri.fsPath);
    if (loaded.kind === 'timeline') out.push({ type: 'timeline', payload: engine().timelinePayload(loaded.trace, basename(traceUri.fsPath)) });
    else if (loaded.kind === 'comm-debug-mode') out.push({ type: 'commDebug', modules: loaded.modules });
    else out.push({ type: 'hang', report: loaded.report });
  } catch (e) {
    out.push({ type: 'error', message: (e as Error).message });
  }
  return out;
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

export async function showTracePanel(ctl: PlanController, extensionUri: vscode.Uri, log: vscode.OutputChannel, traceUri: vscode.Uri, planUri?: vscode.Uri): Promise<void> {
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
  const messages = messagesFor(ctl, traceUri, planUri);
  panel.webview.onDidReceiveMessage((raw) =>
    engine().handlePanelMessage(raw, {
      ready: () => void messages.then((ms) => ms.forEach((m) => void panel.webview.postMessage(m))),
      reveal: (entry) => void revealEntry(entry, planUri ? [planUri] : []),
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
