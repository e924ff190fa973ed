// What the editor knows beyond the text: settings, the model the user picked, files nearby.
import type { Generation } from '../styles/types';

export interface EditingContext {
  /** Transformers generation from a setting; else from the workspace's transformers version; else detected. */
  generation?: Generation;
  transformersVersion?: string;
  /** Default mesh when the source names none, e.g. "tp=8". */
  defaultMesh?: string;
  /** The user named defaultMesh (a setting or the status-bar pick): findings on it are not assumptions. */
  meshChosen?: boolean;
  /** The model picked in the status bar: a preset name, a config.json path or a checkpoint folder. */
  model?: string;
  /** A config.json named in settings. */
  configPath?: string;
  /** GPU memory per rank the user named (setting, pick, --gpu-memory); without one the memory check
   *  assumes ASSUMED_GPU_MEMORY_GIB and says so. */
  gpuMemoryGiB?: number;
  seqLen?: number;
  /** A mesh that wins over the source's own, e.g. "tp=4" (the command line's --mesh). */
  meshOverride?: string;
  /** A model that wins over the source's own: preset, config.json or folder (the command line's --model). */
  modelOverride?: string;
  /**
   * Whether a path the plan itself names (its `model`, a relative import of its config class's parent) may
   * be read; the editor confines them to the workspace and the Hugging Face cache unless the user allows
   * more. `ask`: whether the user may be asked now (a model path), or the answer is only looked up.
   * Absent: every path may be read (the command line reads whatever it is given).
   */
  allowPath?: (path: string, planFile: string, ask: boolean) => boolean;
  /** Read a file of the workspace (so the engine stays free of any editor API); undefined when absent. */
  readFile?: (path: string) => string | undefined;
}
