// Where rehearsals write their Chrome-trace files.
import * as vscode from 'vscode';
import { isAbsolute, join } from 'node:path';

/** The trace folder of the first workspace folder (setting shardscope.traceFolder). */
export function traceFolder(): string | undefined {
  const setting = vscode.workspace.getConfiguration('shardscope').get<string>('traceFolder') || '.shardscope/traces';
  if (isAbsolute(setting)) return setting;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return root ? join(root, setting) : undefined;
}
