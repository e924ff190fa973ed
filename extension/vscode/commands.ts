// Commands: show the shapes / collectives of a plan (the picks are in picks.ts).
import * as vscode from 'vscode';
import { engine } from './lazy-engine';
import type { PlanController } from './controller';
import { registerReports, showReport } from './reports';

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

export function registerCommands(ctl: PlanController): vscode.Disposable[] {
  return [
    ...registerReports(),
    vscode.commands.registerCommand('shardscope.showShapes', async (uri?: vscode.Uri) => {
      const a = await planAnalysis(ctl, uri);
      if (a) await showReport('Shapes', a.uri, engine().shapesReport(a.graph!, a.sharded!));
    }),
    vscode.commands.registerCommand('shardscope.showCollectives', async (uri?: vscode.Uri) => {
      const a = await planAnalysis(ctl, uri);
      if (!a) return;
      const t = a.sharded!.totals;
      // Never "none" for a model whose layer flow is not traced: say what was not computed and why.
      if (a.graph?.flowUnknown) return showReport('Collectives', a.uri, `collectives not computed: ${a.graph.flowUnknown}`);
      await showReport('Collectives', a.uri, `${engine().collectivesReport(a.sharded!.collectives)}\n\nper step: forward ${engine().formatTotals(t.forward)}; backward ${engine().formatTotals(t.backward)}; optimizer step ${engine().formatTotals(t.optimizer)}`);
    }),
  ];
}
