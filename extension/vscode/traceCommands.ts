// Open Trace and Open Trace Folder: any trace the engine reads (our Chrome-trace JSON, Kineto files
// plain or gzipped, a tensorboard_trace_handler folder, a CommDebugMode dump, Flight Recorder dumps
// pickled or JSON) is read and checked in the extension host, summarised in the output channel, and
// shown in the trace panel. A file the engine cannot read gives its located error and nothing opens.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { engine } from './lazy-engine';
import { traceFolder, type TraceStorage } from './traceFolder';
import type { LoadedTrace } from '../core/trace/types';

let extensionPath = '';

/** One line for the output channel: what the file or folder holds. */
export function describeTrace(loaded: LoadedTrace): string {
  if (loaded.kind === 'timeline') {
    const byCat = new Map<string, number>();
    for (const e of loaded.trace.events) byCat.set(e.cat, (byCat.get(e.cat) ?? 0) + 1);
    const cats = [...byCat].map(([c, n]) => `${n} ${c}`).join(', ');
    return `${loaded.trace.ranks.length} rank(s), ${loaded.trace.events.length} events (${cats})`;
  }
  if (loaded.kind === 'comm-debug-mode') return `CommDebugMode counts for ${loaded.modules.length} module(s)`;
  const r = loaded.report;
  return `Flight Recorder dumps of ${r.ranks.length} rank(s), ${r.records.length} collective record(s), ${r.findings.length} finding(s)`;
}

async function show(log: vscode.OutputChannel, targets: vscode.Uri[], plan?: vscode.Uri): Promise<void> {
  let loaded: LoadedTrace;
  const paths = targets.map((t) => t.fsPath);
  try {
    loaded = await engine().readTraceFile(paths.length === 1 ? paths[0] : paths);
  } catch (e) {
    log.appendLine((e as Error).message);
    void vscode.window.showErrorMessage(`Shardscope: ${(e as Error).message}`);
    return;
  }
  const what = describeTrace(loaded);
  log.appendLine(`trace ${paths.join(', ')}: ${what}`);
  // The panel needs its webview bundle; a build without it says what the trace holds.
  if (existsSync(join(extensionPath, 'dist/webview.js'))) {
    await vscode.commands.executeCommand('shardscope.showTracePanel', targets.length === 1 ? targets[0] : targets, plan);
    return;
  }
  void vscode.window.showInformationMessage(`Shardscope: ${paths.map((p) => basename(p)).join(', ')}: ${what}. This build has no trace panel; open the file in Perfetto (ui.perfetto.dev) for a timeline.`);
}

/**
 * One Kineto file shows one rank: when the folder holds the other ranks' files of the same job (by name or
 * distributedInfo), offer to open them with it.
 */
async function withSiblingRanks(log: vscode.OutputChannel, picked: vscode.Uri[]): Promise<vscode.Uri[]> {
  if (picked.length !== 1 || !/\.json(\.gz)?$/i.test(picked[0].fsPath)) return picked;
  let siblings: { path: string; rank: number; by: string }[] = [];
  try {
    siblings = await engine().siblingRankFiles(picked[0].fsPath);
  } catch (e) {
    log.appendLine(`looking for the other ranks' files beside ${picked[0].fsPath}: ${(e as Error).message}`);
  }
  if (!siblings.length) return picked;
  const ranks = siblings.map((s) => s.rank).join(', ');
  const all = `Open All ${siblings.length + 1} Ranks`;
  const pick = await vscode.window.showInformationMessage(
    `Shardscope: ${basename(picked[0].fsPath)} holds one rank; the folder has rank${siblings.length > 1 ? 's' : ''} ${ranks} of the same job (by ${[...new Set(siblings.map((s) => s.by))].join(' and ')}).`,
    all, 'Only This File');
  return pick === all ? [picked[0], ...siblings.map((s) => vscode.Uri.file(s.path))] : picked;
}

async function openTrace(log: vscode.OutputChannel, storage: TraceStorage, uri?: vscode.Uri, plan?: vscode.Uri): Promise<void> {
  let picked: vscode.Uri[] | undefined = uri ? [uri] : undefined;
  if (!picked) {
    const folder = traceFolder(storage);
    picked = await vscode.window.showOpenDialog({
      title: 'Shardscope: open traces (ours, torch.profiler, CommDebugMode or Flight Recorder); select every rank\'s file',
      canSelectMany: true,
      defaultUri: folder && existsSync(folder) ? vscode.Uri.file(folder) : undefined,
      // Flight Recorder names its dumps nccl_trace_rank_<r>, with no extension.
      filters: { Traces: ['json', 'gz', 'pkl'], 'All files': ['*'] },
    });
    if (picked?.length) picked = await withSiblingRanks(log, picked);
  }
  if (picked?.length) await show(log, picked, plan);
}

/** A folder: torch.profiler's tensorboard_trace_handler output (one file per rank) or Flight Recorder dumps. */
async function openTraceFolder(log: vscode.OutputChannel, storage: TraceStorage, uri?: vscode.Uri, plan?: vscode.Uri): Promise<void> {
  if (!uri) {
    const folder = traceFolder(storage);
    const picked = await vscode.window.showOpenDialog({
      title: 'Shardscope: open a folder of traces (one file per rank)',
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: folder && existsSync(folder) ? vscode.Uri.file(folder) : vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    uri = picked?.[0];
  }
  if (uri) await show(log, [uri], plan);
}

export function registerTraceCommands(log: vscode.OutputChannel, context: TraceStorage & { extensionPath: string }): vscode.Disposable[] {
  extensionPath = context.extensionPath;
  return [
    vscode.commands.registerCommand('shardscope.openTrace', (uri?: vscode.Uri, plan?: vscode.Uri) => openTrace(log, context, uri, plan)),
    vscode.commands.registerCommand('shardscope.openTraceFolder', (uri?: vscode.Uri, plan?: vscode.Uri) => openTraceFolder(log, context, uri, plan)),
  ];
}
