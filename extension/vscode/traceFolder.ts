// Where rehearsals write their Chrome-trace files and Open Trace (Folder) starts looking.
import * as vscode from 'vscode';
import { isAbsolute, join } from 'node:path';

/** The places VS Code keeps for this extension: per workspace (none when no folder is open) and global. */
export type TraceStorage = Pick<vscode.ExtensionContext, 'storageUri' | 'globalStorageUri'>;

/** shardscope.traceFolder when set (absolute, or relative to the first workspace folder); else the
 *  extension's storage for this workspace, so that a rehearsal leaves the user's repository as it was. */
export function traceFolder(storage: TraceStorage): string | undefined {
  const setting = vscode.workspace.getConfiguration('shardscope').get<string>('traceFolder')?.trim();
  if (!setting) return join((storage.storageUri ?? storage.globalStorageUri).fsPath, 'traces');
  if (isAbsolute(setting)) return setting;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return root ? join(root, setting) : undefined;
}
