// Completion, hover, quick fixes and CodeLens, each a thin mapping of the engine's answer.
import * as vscode from 'vscode';
import { engine } from './lazy-engine';
import type { PlanController } from './controller';
import { rehearsalAvailable } from './rehearseCommand';

const range = (doc: vscode.TextDocument, r: { start: number; end: number }) => new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end));

export function registerProviders(ctl: PlanController, selector: vscode.DocumentSelector): vscode.Disposable[] {
  return [
    vscode.languages.registerCompletionItemProvider(
      selector,
      {
        provideCompletionItems(doc, pos) {
          const a = ctl.analysis(doc);
          if (!a) return undefined;
          return engine().complete(a, doc.offsetAt(pos)).map((c) => {
            const item = new vscode.CompletionItem(c.label, c.kind === 'style' ? vscode.CompletionItemKind.EnumMember : c.kind === 'key' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.Module);
            item.insertText = c.insertText;
            item.range = range(doc, c.range);
            item.detail = c.detail;
            if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
            item.sortText = c.sortText;
            if (c.retrigger) item.command = { command: 'editor.action.triggerSuggest', title: 'next segment' };
            return item;
          });
        },
      },
      '"',
      "'",
      '.',
    ),
    vscode.languages.registerHoverProvider(selector, {
      provideHover(doc, pos) {
        const a = ctl.analysis(doc);
        const h = a && engine().hover(a, doc.offsetAt(pos));
        return h ? new vscode.Hover(new vscode.MarkdownString(h.markdown), range(doc, h.range)) : undefined;
      },
    }),
    vscode.languages.registerCodeActionsProvider(
      selector,
      {
        provideCodeActions(doc, r) {
          const a = ctl.analysis(doc);
          if (!a) return [];
          const out: vscode.CodeAction[] = [];
          for (const d of a.diagnostics) {
            const dr = range(doc, d.range);
            if (!d.fixes || !dr.intersection(r) && !(r.isEmpty && dr.contains(r.start))) continue;
            for (const f of d.fixes) {
              const action = new vscode.CodeAction(f.title, vscode.CodeActionKind.QuickFix);
              if (f.edits.length) {
                action.edit = new vscode.WorkspaceEdit();
                for (const e of f.edits) action.edit.replace(doc.uri, range(doc, e.range), e.newText);
              }
              // A fix that is a pick (the mesh, the GPU memory) runs the status bar's command.
              if (f.command) action.command = { command: f.command, title: f.title };
              action.isPreferred = f.preferred;
              action.diagnostics = ctl.diagnostics.get(doc.uri)?.filter((x) => x.code === d.code && x.range.isEqual(dr));
              out.push(action);
            }
          }
          return out;
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.languages.registerCodeLensProvider(selector, {
      onDidChangeCodeLenses: ctl.onDidAnalyze as unknown as vscode.Event<void>,
      provideCodeLenses(doc) {
        const a = ctl.analysis(doc);
        if (!a) return [];
        return engine().codeLenses(a)
          // Run only where it can: a build with the rehearsal runtime, in a trusted folder.
          .filter((l) => l.command !== 'shardscope.rehearse' || (vscode.workspace.isTrusted && rehearsalAvailable()))
          .map((l) => new vscode.CodeLens(range(doc, l.range), { title: l.title, command: l.command, arguments: [doc.uri, l.planIndex] }));
      },
    }),
  ];
}

