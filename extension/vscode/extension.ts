// Activation: cheap registrations only; documents are analysed when they are opened or edited.
import * as vscode from 'vscode';
import { PlanController } from './controller';
import { registerProviders } from './providers';
import { registerCommands } from './commands';
import { registerPicks } from './picks';
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
  // The status bar's model, mesh and GPU memory picks, kept per workspace.
  const picks = registerPicks(context, ctl);
  const updateStatus = picks.update;
  context.subscriptions.push(
    log,
    ctl,
    ...picks.disposables,
    ...registerProviders(ctl, SELECTOR),
    ...registerCommands(ctl),
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
