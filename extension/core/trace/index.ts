// Traces: the model, importers (our JSON, Kineto, CommDebugMode, Flight Recorder), cross-rank matching,
// the collective summary, Chrome-trace export and the panel's payloads and host side.
// Node-only readers (fs, zlib) live in ./read and are exported from './node'.
export * from './types';
export { toChromeTrace, ChromeTraceBuilder, type ChromeTrace, type ChromeTraceEvent } from './chrome-trace';
export { TraceEventStream, TraceFormatError, streamTraceEvents, type TraceStreamHandlers } from './json-stream';
export { KinetoRankBuilder, mergeKineto } from './kineto';
export { matchCollectives } from './match';
export { summarizeCollectives, summaryToCsv } from './summary';
export { canonicalOp, opFromKernel, isCommKernel, busBwFactor, busBwGbps } from './ops';
export { hangReport, isFlightRecorderDump } from './flight-recorder';
export { commDebugModules, commDebugTotals, commDebugOp, commDebugBeside, commDebugModulePath, isCommDebugDump, type CommDebugBeside } from './comm-debug-mode';
export { timelinePayload, payloadTransferables } from './timeline-payload';
export { siblingRankFiles, type SiblingFile } from './siblings';
export { shapesPayload } from './shapes-payload';
export { panelHtml, handlePanelMessage, planFileOfTrace, type PanelHtmlOptions, type PanelHostHandlers } from './panel-host';
export * from './panel-protocol';
export { readTraceFile, readKinetoFiles, traceFilesIn, openTraceBytes, TraceReadError } from './read';
