// A minimal stand-in for the `vscode` module: enough for activate() to run outside VS Code, so its own
// activation time can be measured by `npm run bench`.
const noop = () => ({ dispose() {} });
class EventEmitter { constructor() { this.event = () => noop(); } fire() {} dispose() {} }
module.exports = {
  EventEmitter,
  StatusBarAlignment: { Left: 1, Right: 2 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  CodeActionKind: { QuickFix: 'quickfix' },
  window: {
    createOutputChannel: () => ({ appendLine() {}, dispose() {} }),
    createStatusBarItem: () => ({ show() {}, dispose() {} }),
  },
  languages: {
    createDiagnosticCollection: () => ({ set() {}, delete() {}, dispose() {}, get() { return []; } }),
    registerCompletionItemProvider: noop,
    registerHoverProvider: noop,
    registerCodeActionsProvider: noop,
    registerCodeLensProvider: noop,
  },
  commands: { registerCommand: noop },
  workspace: {
    // Every setting at its default: inspect() finds no value anybody set.
    getConfiguration: () => ({ get: (_k, d) => d, inspect: () => undefined }),
    onDidOpenTextDocument: noop,
    onDidChangeTextDocument: noop,
    onDidCloseTextDocument: noop,
    registerTextDocumentContentProvider: noop,
    onDidChangeConfiguration: noop,
    onDidGrantWorkspaceTrust: noop,
    isTrusted: true,
    textDocuments: [],
    workspaceFolders: [],
  },
};
