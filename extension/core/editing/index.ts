// Plan editing as pure functions over text and offsets: the VS Code adapter and the CLI call these.
//   analyzeDocument(uri, text, ctx) → plans, model, mesh, binding, diagnostics with quick fixes
//   complete(analysis, offset)      → completion items with their replace ranges
//   hover(analysis, offset)         → markdown for a style or a pattern
//   quickFixes(analysis, range)     → the fixes of the diagnostics there (also on each Diagnostic.fixes)
//   codeLenses(analysis)            → Shapes · Collectives · Run above each plan
export { analyzeDocument, analysisFor, type Analysis, type AnalysisPart } from './analyze';
export { complete, type CompletionItem } from './completion';
export { hover, type Hover } from './hover';
export { codeLenses, type CodeLensData } from './codelens';
export { quickFixes, applyFix, type LocatedFix } from './quickfix';
export { CODES, CODE_BY_ID, type CodeInfo } from './codes';
export type { EditingContext } from './context';
export { ASSUMED_GPU_MEMORY_GIB, PICK_MESH_COMMAND, PICK_GPU_MEMORY_COMMAND, assumptionsOf, type Assumptions } from './assumptions';
