// Activation: cheap registrations only; documents are analysed when they are opened or edited.
import * as vscode from 'vscode';
import { PlanController } from './controller';
import { registerProviders } from './providers';
import { registerCommands } from './commands';
import { detectTransformersVersion } from './python-env';
import { planPathConsent, whenTrusted } from './trust';
import { registerRehearseCommand } from './rehearseCommand';
import { registerTraceCommands } from './traceCommands';
import { traceFolder } from './traceFolder';
import { showTracePanel } from './tracePanel';

const SELECTOR: vscode.DocumentSelector = [
  { language: 'python' },
  { language: 'shardplan' },
  { language: 'json', pattern: '**/config.json' },
  { language: 'jsonc', pattern: '**/*.shardplan.json' },
  { language: 'json', pattern: '**/*.shardplan.json' },
];

/** Milliseconds the extension's own activate() took, for the output channel and tests. */
export let activationMs = 0;

export function activate(context: vscode.ExtensionContext) {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Shardscope');
  const ctl = new PlanController(log);
  const consent = planPathConsent(context, () => ctl.refreshAll());
  ctl.allowPath = (path, planFile, ask) => consent.allows(path, planFile, ask);
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  const updateStatus = () => {
    const cfg = vscode.workspace.getConfiguration('shardscope');
    const model = ctl.choices.model ?? (cfg.get<string>('model') || 'model from the file');
    const mesh = ctl.choices.mesh ?? cfg.get<string>('defaultMesh', 'tp=8');
    status.text = `$(server-process) ${model} · ${mesh}`;
    status.tooltip = 'Shardscope: the model and mesh plans are checked against when the file names none. Click to pick a model.';
    status.command = 'shardscope.pickModel';
    status.show();
  };
  updateStatus();
  context.subscriptions.push(
    log,
    ctl,
    status,
    ...registerProviders(ctl, SELECTOR),
    ...registerCommands(ctl, updateStatus),
    ...registerRehearseCommand(log, context, ctl),
    ...registerTraceCommands(log, context),
    vscode.commands.registerCommand('shardscope.showOutput', () => log.show(true)),
    vscode.commands.registerCommand('shardscope.showTracePanel', (trace: vscode.Uri, plan?: vscode.Uri) => showTracePanel(ctl, context.extensionUri, log, trace, plan)),
    // Granting trust brings the Run CodeLens (and the Python version check, below).
    vscode.workspace.onDidGrantWorkspaceTrust(() => ctl.refreshAll()),
    vscode.workspace.onDidOpenTextDocument((d) => ctl.schedule(d)),
    vscode.workspace.onDidChangeTextDocument((e) => ctl.schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => ctl.forget(d)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('shardscope')) {
        updateStatus();
        ctl.refreshAll();
      }
    }),
  );
  // Documents already open are analysed after activation returns; the Python environment is asked once,
  // in a trusted folder only (in Restricted Mode when trust is granted): asking it runs the interpreter.
  setTimeout(() => ctl.refreshAll(), 0);
  setTimeout(() => {
    context.subscriptions.push(
      whenTrusted(() => {
        if (vscode.workspace.getConfiguration('shardscope').get<string>('transformersVersion')) return;
        void detectTransformersVersion(log).then((v) => {
          if (!v) return;
          ctl.choices.transformersVersion = v;
          ctl.refreshAll();
        });
      }),
    );
  }, 0);
  activationMs = performance.now() - t0;
  log.appendLine(`Shardscope activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs: () => activationMs, analysis: (doc: vscode.TextDocument) => ctl.analysis(doc), traceFolder: () => traceFolder(context) };
}

export function deactivate() {}
