// The runtime's public surface: run RankPrograms in a child process, discover CUDA, convert events.
export { runPrograms, discoverCuda, defaultChildPath, startRuntimeChild, RuntimeProgramError, type RunProgramsOptions, type RuntimeChild } from './host';
export { cudaLibraryDirs, nvidiaLibDirs, pythonSitePackages } from './libraryDirs';
export { toTraceEvents } from './trace';
export { findAddon, addonCandidates, ADDON_FILE } from './addonPath';
export type { NativeEvent, NativeResult, RunReport, RankReport, RankProgress, Discovery, LibraryProbe, RuntimeBackend, GpuTopology, GpuDevice, GpuLink, PcieAncestor } from './protocol';
export { groupLink, toLinkTopology } from './topology';
export { nativeExecutor, nativeUnavailable, type NativeExecutorOptions } from './executor';
