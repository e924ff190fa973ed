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
    model: choices.model ?? (cfg.get<string>('model') || undefined),
    configPath: cfg.get<string>('configPath') || undefined,
    gpuMemoryGiB: cfg.get<number>('gpuMemoryGiB') || undefined,
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
