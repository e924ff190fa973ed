// Keeps one analysis per plan document, debounced and cancelling stale work; publishes diagnostics.
import * as vscode from 'vscode';
import type { Analysis } from './engine';
import type { EditingContext } from '../core/editing';
import { engine } from './lazy-engine';
import { editingContext, isPlanDocument, type Choices } from './context';

const DEBOUNCE_MS = 150;

export class PlanController implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('shardscope');
  private readonly analyses = new Map<string, { version: number; analysis: Analysis }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidAnalyze = this.changed.event;
  readonly choices: Choices = {};
  /** Which paths a plan may name (the workspace's and the Hugging Face cache's, and those the user allowed). */
  allowPath?: EditingContext['allowPath'];

  constructor(private readonly log: vscode.OutputChannel) {}

  /** The analysis of a document at its current version (computed now if stale). */
  analysis(doc: vscode.TextDocument): Analysis | undefined {
    if (!isPlanDocument(doc)) return undefined;
    const key = doc.uri.toString();
    const hit = this.analyses.get(key);
    if (hit && hit.version === doc.version) return hit.analysis;
    return this.run(doc);
  }

  schedule(doc: vscode.TextDocument): void {
    if (!isPlanDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    const version = doc.version;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        // A newer edit supersedes this one: its own timer will run.
        if (doc.isClosed || doc.version !== version) return;
        this.run(doc);
      }, DEBOUNCE_MS),
    );
  }

  refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc);
  }

  forget(doc: vscode.TextDocument): void {
    this.analyses.delete(doc.uri.toString());
    this.diagnostics.delete(doc.uri);
  }

  private run(doc: vscode.TextDocument): Analysis | undefined {
    try {
      const t0 = performance.now();
      const a = engine().analyzeDocument(doc.uri.fsPath || doc.uri.toString(), doc.getText(), editingContext(this.choices, this.allowPath));
      this.analyses.set(doc.uri.toString(), { version: doc.version, analysis: a });
      this.diagnostics.set(
        doc.uri,
        a.diagnostics.map((d) => {
          const range = new vscode.Range(doc.positionAt(d.range.start), doc.positionAt(Math.max(d.range.end, d.range.start)));
          const diag = new vscode.Diagnostic(range, d.message, severity(d.severity));
          diag.code = d.code;
          diag.source = 'shardscope';
          return diag;
        }),
      );
      this.log.appendLine(`analyzed ${vscode.workspace.asRelativePath(doc.uri)} in ${(performance.now() - t0).toFixed(1)} ms: ${a.diagnostics.length} diagnostic(s), model ${a.modelSource}`);
      this.changed.fire(doc.uri);
      return a;
    } catch (e) {
      // The engine never throws by contract; if it does, the editor must live on.
      this.log.appendLine(`analysis of ${doc.uri.toString()} failed: ${(e as Error).stack ?? e}`);
      return undefined;
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.diagnostics.dispose();
    this.changed.dispose();
  }
}

function severity(s: string): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'info':
      return vscode.DiagnosticSeverity.Information;
    default:
      return vscode.DiagnosticSeverity.Hint;
  }
}
