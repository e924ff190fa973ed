// The editing context from VS Code settings and the status bar's choice; files are read from disk.
import * as vscode from 'vscode';
// The extension's own bundle reads plan-side files through the engine's host interface too.
import '../node-host/install';
import { tryReadInputText } from '../core/host/files';
import type { EditingContext } from '../core/editing';
import type { Generation } from '../core/styles';

export interface Choices {
  model?: string;
  mesh?: string;
  /** GPU memory per rank in GiB, picked in the status bar's mesh item. */
  gpuMemoryGiB?: number;
  /** Detected in the workspace's Python environment. */
  transformersVersion?: string;
}

export function editingContext(choices: Choices, allowPath?: EditingContext['allowPath']): EditingContext {
  const cfg = vscode.workspace.getConfiguration('shardscope');
  const generation = cfg.get<string>('generation', 'auto');
  return {
    generation: generation === 'auto' ? undefined : (generation as Generation),
    transformersVersion: cfg.get<string>('transformersVersion') || choices.transformersVersion,
    defaultMesh: choices.mesh ?? cfg.get<string>('defaultMesh', 'tp=8'),
    // Picked or set by the user: findings on it are no longer assumptions (warnings).
    meshChosen: choices.mesh !== undefined || isSet(cfg, 'defaultMesh'),
    model: choices.model ?? (cfg.get<string>('model') || undefined),
    configPath: cfg.get<string>('configPath') || undefined,
    // Only a value somebody named: the setting's default is the engine's assumption, said as such.
    gpuMemoryGiB: choices.gpuMemoryGiB ?? (isSet(cfg, 'gpuMemoryGiB') ? cfg.get<number>('gpuMemoryGiB') || undefined : undefined),
    seqLen: cfg.get<number>('seqLen') || undefined,
    allowPath,
    // Through the engine's bounded reader: a FIFO or device named config.json must not block the extension host.
    readFile: (path) => tryReadInputText(path, 'config'),
  };
}

/** Documents whose plans Shardscope reads. */
export function isPlanDocument(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote') return false;
  const name = doc.fileName;
  if (/\.shardplan\.json$/i.test(name)) return true;
  if (doc.languageId === 'python') return /_plan\b|tp_plan|parallelize_module|TPStyle\(/.test(doc.getText());
  if (/(^|[\\/])config\.json$/i.test(name)) return /base_model_(tp|ep|sp)_plan/.test(doc.getText());
  return false;
}

/** Whether the user (or the workspace) set the setting, as opposed to leaving its default. */
export function isSet(cfg: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = cfg.inspect(key);
  return i?.globalValue !== undefined || i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
}
