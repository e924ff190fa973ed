// The rehearsal, for the editor, the CLI and tests (no vscode import):
//
//   rehearse(planFile | { uri, text, doc? }, { executor?, model?, ranks?, backend?, layers?, tokens?, widthScale?, tail?,
//            backward?, ncclTestsLog?, trace?, signal?, onProgress?(message, fraction), onLog?(line),
//            onEvent?(traceEvent) })
//     → Promise<RehearsalResult>
//
// The result says `verdict` ('match' | 'mismatch' | 'error'), `maxRelError`, `firstMismatch` (module,
// plan entry, file, line), `error` (why the plan cannot run, located), `notes` (width scale, sub-mesh),
// the `trace` (measured and predicted events; chromeTrace() writes the file Perfetto opens) and the
// per-collective summary. Bad input (no such file, syntax error, an unavailable backend) throws a
// RehearsalError whose message is already located (file:line:col).
//
// `executor` runs the programs: extension/runtime's nativeExecutor() (the addon in a child process) in the
// product; without one (or when the addon is not built) the JS interpreter runs them and the notes say so.
// `model` is the model the caller resolved (the editor's, for a Python plan); else the plan's "model".
export { rehearse, rehearsedGroup, defaultLayers, predictedEvents, RehearsalError, type RehearseOptions, type RehearsalResult, type PlanSource, type Located } from './rehearse';
export { verdictLine, hasTrace } from './verdict';
export { chromeTrace, summarizeCollectives, type CollectiveSummary } from './trace-export';
export { interpreterExecutor, type Executor, type ExecuteRequest, type ExecuteResult, type GpuAvailability } from './executor';
