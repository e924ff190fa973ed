// Models: architecture descriptors, config.json loading, safetensors headers, presets and built-in plans.
export type * from './types';
export { ARCHITECTURES, type Architecture } from './architectures';
export { normalizeConfig, architectureOf, ModelConfigError } from './config';
export { buildGraph } from './build';
export { PRESETS, findPreset, type Preset } from './presets';
export { plansOf, type ModelPlans } from './plans';
export { readSafetensorsHeader, readCheckpointFolder, convertCheckpoint, CheckpointError, type TensorHeader } from './safetensors';
export { hfCacheRoots } from './hf-cache';
export { loadModel, loadConfigFile, loadCheckpointFolder, graphFromCheckpoint, graphFromConfig, genericGraph, hfCacheConfig, ModelLoadError, UnknownArchitectureError, type ModelOptions } from './load';
