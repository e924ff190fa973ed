// Commands: show shapes / collectives of a plan, and pick the model and mesh plans are checked against.
import * as vscode from 'vscode';
import { engine } from './lazy-engine';
import type { PlanController } from './controller';

async function planAnalysis(ctl: PlanController, uri?: vscode.Uri) {
  const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!doc) {
    void vscode.window.showWarningMessage('Shardscope: open a plan (a *.shardplan.json, a config.json with plan keys, or a Python file with a plan) first.');
    return undefined;
  }
  const a = ctl.analysis(doc);
  if (!a?.sharded || !a.graph) {
    void vscode.window.showWarningMessage(`Shardscope: ${a ? `no model to bind the plan to (${a.modelSource}); pick one in the status bar` : 'this file holds no plan'}.`);
    return undefined;
  }
  return a;
}

async function showText(title: string, text: string) {
  const doc = await vscode.workspace.openTextDocument({ content: `${title}\n\n${text}\n`, language: 'plaintext' });
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

export function registerCommands(ctl: PlanController, status: () => void): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('shardscope.showShapes', async (uri?: vscode.Uri) => {
      const a = await planAnalysis(ctl, uri);
      if (a) await showText(`Shapes — ${vscode.workspace.asRelativePath(a.uri)}`, engine().shapesReport(a.graph!, a.sharded!));
    }),
    vscode.commands.registerCommand('shardscope.showCollectives', async (uri?: vscode.Uri) => {
      const a = await planAnalysis(ctl, uri);
      if (!a) return;
      const t = a.sharded!.totals;
      const title = `Collectives — ${vscode.workspace.asRelativePath(a.uri)}`;
      // Never "none" for a model whose layer flow is not traced: say what was not computed and why.
      if (a.graph?.flowUnknown) return showText(title, `collectives not computed: ${a.graph.flowUnknown}`);
      await showText(title, `${engine().collectivesReport(a.sharded!.collectives)}\n\nper step: forward ${engine().formatTotals(t.forward)}; backward ${engine().formatTotals(t.backward)}; optimizer step ${engine().formatTotals(t.optimizer)}`);
    }),
    vscode.commands.registerCommand('shardscope.pickModel', async () => {
      const items: (vscode.QuickPickItem & { ref?: string; browse?: boolean })[] = [
        ...engine().PRESETS.map((p) => ({ label: p.name, description: p.repo, detail: `${String(p.config.model_type)} · ${String(p.config.num_hidden_layers)} layers`, ref: p.name })),
        { label: '$(folder-opened) Browse for a config.json or checkpoint folder…', browse: true },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: 'Shardscope: model to check plans against', placeHolder: 'a preset, or a config.json / checkpoint folder' });
      if (!pick) return;
      let ref = pick.ref;
      if (pick.browse) {
        const uris = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, filters: { 'config.json': ['json'] } });
        ref = uris?.[0]?.fsPath;
      }
      if (!ref) return;
      ctl.choices.model = ref;
      status();
      ctl.refreshAll();
    }),
    vscode.commands.registerCommand('shardscope.pickMesh', async () => {
      const value = await vscode.window.showInputBox({
        title: 'Shardscope: device mesh',
        prompt: 'Named dims whose product is the world size',
        value: ctl.choices.mesh ?? vscode.workspace.getConfiguration('shardscope').get('defaultMesh', 'tp=8'),
        validateInput: (v) => {
          try {
            engine().parseMesh(v);
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (!value) return;
      ctl.choices.mesh = value;
      status();
      ctl.refreshAll();
    }),
  ];
}
