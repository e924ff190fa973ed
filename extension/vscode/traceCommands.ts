// Open Trace and Open Trace Folder: a Chrome-trace JSON file (a rehearsal's, or any file in that
// format) checked on open, summarised in the output channel, and shown in the trace panel when this
// build has one.
import * as vscode from 'vscode';
import type { ParseError } from 'jsonc-parser';
import { readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';

let extensionPath = '';
const setExtensionPath = (p: string) => (extensionPath = p);
import { engine } from './lazy-engine';
import { listTraces, traceFolder } from './traceFolder';

export interface TraceSummary {
  ranks: number[];
  events: number;
  byCategory: Record<string, number>;
}

/** Parses a trace file; a malformed one gives `file:line:col: what was expected`. */
export function readTrace(path: string, text = readFileSync(path, 'utf8')): TraceSummary {
  const errors: ParseError[] = [];
  const json = engine().parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length) throw new Error(`${path}:${lineCol(text, errors[0].offset)}: ${engine().printParseErrorCode(errors[0].error)}: a Chrome trace (JSON) was expected`);
  const events = Array.isArray(json) ? json : json?.traceEvents;
  if (!Array.isArray(events)) throw new Error(`${path}:1:1: expected a Chrome trace: an object with a "traceEvents" array, or an array of events`);
  const ranks = new Set<number>();
  const byCategory: Record<string, number> = {};
  let complete = 0;
  for (const e of events) {
    if (e?.ph !== 'X') continue;
    complete++;
    if (typeof e.pid === 'number') ranks.add(e.pid);
    const cat = typeof e.cat === 'string' ? e.cat : 'other';
    byCategory[cat] = (byCategory[cat] ?? 0) + 1;
  }
  return { ranks: [...ranks].sort((a, b) => a - b), events: complete, byCategory };
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

async function openTrace(log: vscode.OutputChannel, uri?: vscode.Uri, plan?: vscode.Uri): Promise<void> {
  if (!uri) {
    const folder = traceFolder();
    const picked = await vscode.window.showOpenDialog({
      title: 'Shardscope: open a trace (Chrome trace JSON)',
      canSelectMany: false,
      defaultUri: folder ? vscode.Uri.file(folder) : undefined,
      filters: { 'Chrome trace': ['json'] },
    });
    uri = picked?.[0];
  }
  if (!uri) return;
  let s: TraceSummary;
  try {
    s = readTrace(uri.fsPath);
  } catch (e) {
    log.appendLine((e as Error).message);
    void vscode.window.showErrorMessage(`Shardscope: ${(e as Error).message}`);
    return;
  }
  const cats = Object.entries(s.byCategory).map(([c, n]) => `${n} ${c}`).join(', ');
  log.appendLine(`trace ${uri.fsPath}: ${s.ranks.length} rank(s), ${s.events} events (${cats})`);
  // The panel needs its webview bundle; a build without it opens the trace as text.
  if (existsSync(join(extensionPath, 'dist/webview.js'))) {
    await vscode.commands.executeCommand('shardscope.showTracePanel', uri, plan);
    return;
  }
  await vscode.window.showTextDocument(uri, { preview: true });
  void vscode.window.showInformationMessage(`Shardscope: ${basename(uri.fsPath)}: ${s.ranks.length} rank(s), ${s.events} events (${cats}). This build has no trace panel; open the file in Perfetto (ui.perfetto.dev) for a timeline.`);
}

async function openTraceFolder(log: vscode.OutputChannel): Promise<void> {
  const folder = traceFolder();
  const traces = folder ? listTraces(folder) : [];
  if (!folder || traces.length === 0) {
    void vscode.window.showInformationMessage(`Shardscope: no traces yet in ${folder ?? 'the workspace (open a folder first)'}; Rehearse Plan writes them there.`);
    return;
  }
  const pick = await vscode.window.showQuickPick(
    traces.map((t) => ({ label: basename(t.path), description: new Date(t.mtime).toLocaleString(), path: t.path })),
    { title: `Shardscope: traces in ${vscode.workspace.asRelativePath(folder)}` },
  );
  if (pick) await openTrace(log, vscode.Uri.file(pick.path));
}

export function registerTraceCommands(log: vscode.OutputChannel, extensionPath: string): vscode.Disposable[] {
  setExtensionPath(extensionPath);
  return [
    vscode.commands.registerCommand('shardscope.openTrace', (uri?: vscode.Uri, plan?: vscode.Uri) => openTrace(log, uri, plan)),
    vscode.commands.registerCommand('shardscope.openTraceFolder', () => openTraceFolder(log)),
  ];
}
