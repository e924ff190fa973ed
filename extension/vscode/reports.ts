// Show Shapes and Show Collectives open read-only virtual documents (their own URI scheme), so closing
// one never asks to save. Showing a report again for the same plan refreshes the document in place.
import * as vscode from 'vscode';

export const REPORT_SCHEME = 'shardscope-report';

class ReportProvider implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This report is no longer available: run Show Shapes or Show Collectives again.';
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

const provider = new ReportProvider();

export function registerReports(): vscode.Disposable[] {
  return [provider, vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, provider)];
}

/** Opens (or refreshes) the report `kind` of the plan `planPath` beside the editor. */
export async function showReport(kind: 'Shapes' | 'Collectives', planPath: string, text: string): Promise<void> {
  const name = vscode.workspace.asRelativePath(planPath);
  // The name shows in the tab; the plan path in the query keeps reports of same-named plans apart.
  const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${kind} — ${name.split(/[\\/]/).pop()}`, query: planPath });
  provider.set(uri, `${kind} — ${name}\n\n${text}\n`);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}
