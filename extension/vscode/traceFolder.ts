// Where rehearsals write their Chrome-trace files, and picking one of them.
import * as vscode from 'vscode';
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** The trace folder of the first workspace folder (setting shardscope.traceFolder). */
export function traceFolder(): string | undefined {
  const setting = vscode.workspace.getConfiguration('shardscope').get<string>('traceFolder') || '.shardscope/traces';
  if (isAbsolute(setting)) return setting;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return root ? join(root, setting) : undefined;
}

/** Trace files in the folder, newest first. */
export function listTraces(folder: string): { path: string; mtime: number }[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => ({ path: join(folder, n), mtime: statSync(join(folder, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
}
