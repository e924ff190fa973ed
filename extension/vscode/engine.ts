// The engine as the extension uses it, bundled on its own (dist/engine.js) and loaded on first use, so
// that activation stays cheap.
import '../node-host/install';
export { analyzeDocument, complete, hover, codeLenses } from '../core/editing';
export type { Analysis } from '../core/editing';
export { PRESETS } from '../core/models';
export { parseMesh } from '../core/sharding';
export { shapesReport, collectivesReport, formatTotals } from '../core/analysis';
export { parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
export { rehearse, rehearsedGroup, chromeTrace, verdictLine, hasTrace, RehearsalError, type RehearsalResult } from '../core/rehearse';
export { readTraceFile, siblingRankFiles, timelinePayload, shapesPayload, panelHtml, handlePanelMessage, type HostMessage, type EntryRef } from '../core/trace';
export { nativeExecutor, cudaLibraryDirs, pythonSitePackages } from '../runtime';
