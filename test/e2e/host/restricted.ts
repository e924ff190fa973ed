// Runs inside VS Code's extension host with Restricted Mode on, in a workspace planted by
// test/fixtures/untrusted/plant.mjs: plans are checked, and nothing the workspace holds is executed.
import * as vscode from 'vscode';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { plantedMarkers } from '../../fixtures/untrusted/plant.mjs';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Shardscope in Restricted Mode', function () {
  this.timeout(60000);

  it('runs in Restricted Mode', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('ignores the workspace\'s values of the restricted settings', () => {
    // The planted .vscode/settings.json names a python3 script and a library folder of the workspace.
    const cfg = vscode.workspace.getConfiguration('shardscope');
    assert.equal(cfg.get('pythonPath'), '');
    assert.equal(cfg.get('cudaLibraryPath'), '');
  });

  it('checks the plans, and nothing planted runs: no Python, no runtime child, no addon', async () => {
    const ext = vscode.extensions.getExtension('shardscope.shardscope')!;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(join(ws(), 'untrusted.shardplan.json')));
    await vscode.window.showTextDocument(doc);
    const api = (await ext.activate()) as { analysis(d: vscode.TextDocument): { sharded?: unknown; modelSource: string } | undefined };
    const a = api.analysis(doc);
    assert.ok(a?.sharded, `the plan is bound (model ${a?.modelSource})`);
    // A planted fault still gets its diagnostic.
    const fault = await vscode.workspace.openTextDocument(vscode.Uri.file(join(ws(), 'fault.shardplan.json')));
    for (let i = 0; i < 200 && !vscode.languages.getDiagnostics(fault.uri).some((d) => d.code === 'SS105'); i++) await sleep(100);
    assert.ok(vscode.languages.getDiagnostics(fault.uri).some((d) => d.code === 'SS105'), 'the fault is marked');
    // Rehearse Plan invoked by id is refused; the shapes report (no process) opens.
    await vscode.commands.executeCommand('shardscope.rehearse', doc.uri);
    await vscode.commands.executeCommand('shardscope.showShapes', doc.uri);
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.getText().startsWith('Shapes')));
    // The version check would have run within this time after activation in a trusted folder.
    await sleep(4000);
    assert.deepEqual(plantedMarkers(ws()), []);
  });
});
