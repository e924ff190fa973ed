// Resolve a model reference (config.json path, checkpoint folder, preset name, inline config) to a ModelGraph.
import { join, resolve, isAbsolute } from 'node:path';
import type { ModelGraph, ModuleKind, ModuleNode, ParamInfo } from './types';
import { ARCHITECTURES } from './architectures';
import { normalizeConfig, ModelConfigError } from './config';
import { buildGraph } from './build';
import { findPreset, PRESETS } from './presets';
import { readCheckpointFolder, convertCheckpoint, CheckpointError } from './safetensors';
import { parseJsonLocated } from '../util/json';
import { hfCacheRoots } from './hf-cache';
import { checkConfigLimits } from '../limit-checks';
import { hostFiles, readInputText, HostFileError } from '../host/files';
import { catalogArchitecture, catalogModelTypes, catalogOf, catalogSkipReason, graphFromCatalog, CatalogGraphError, StructureNotRecorded, pickVersion, type CatalogArchitecture } from './catalog';
import { LayerRuleError } from './catalog/layer-rule';

export class ModelLoadError extends Error {}

/** A configuration whose architecture neither the catalog of the version in use nor a description knows. */
export class UnknownArchitectureError extends ModelLoadError {}

const graphCache = new Map<string, ModelGraph>();

export interface ModelOptions {
  /** The transformers version in use (setting, --transformers, or the user's Python); else the newest recorded. */
  transformers?: string;
}

/**
 * The architecture entry a configuration is built from: its own model_type, or (composite configurations
 * such as Llama 4 or Gemma 3) the model_type of its text configuration, whose class carries the plans.
 */
function catalogEntry(raw: Record<string, unknown>, version: string): { arch: CatalogArchitecture; values: Record<string, unknown> } | undefined {
  const type = raw.model_type;
  const own = typeof type === 'string' ? catalogArchitecture(type, version) : undefined;
  if (own) return { arch: own, values: raw };
  for (const v of Object.values(raw)) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
    const sub = v as Record<string, unknown>;
    const arch = typeof sub.model_type === 'string' ? catalogArchitecture(sub.model_type, version) : undefined;
    if (arch) return { arch, values: sub };
  }
  return undefined;
}

/**
 * A ModelGraph from config.json values, as the transformers version in use builds it (the model catalog);
 * the hand-written descriptors answer only where the catalog has no entry. Cached by the values and the
 * version, so editors can call it on every keystroke.
 */
export function graphFromConfig(raw: Record<string, unknown>, where = 'config.json', opts: ModelOptions = {}): ModelGraph {
  const choice = pickVersion(opts.transformers);
  const key = JSON.stringify([choice.version, raw]);
  const hit = graphCache.get(key);
  if (hit) return hit;
  const type = raw.model_type;
  const entry = catalogEntry(raw, choice.version);
  let g: ModelGraph;
  if (entry) {
    try {
      g = graphFromCatalog(entry.arch, entry.values, choice.version, where);
    } catch (e) {
      if (e instanceof StructureNotRecorded) throw new UnknownArchitectureError(e.message);
      if (e instanceof CatalogGraphError || e instanceof LayerRuleError) throw new ModelLoadError(e.message);
      throw e;
    }
    g.catalog = { version: choice.version, note: choice.note };
  } else {
    const arch = typeof type === 'string' ? ARCHITECTURES[type] : undefined;
    if (!arch) throw new UnknownArchitectureError(unknownArchitecture(type, where, choice.version));
    g = buildGraph(arch, normalizeConfig(raw, where));
    const recorded = catalogOf(choice.version) !== undefined;
    g.catalog = { version: choice.version, note: recorded ? `${type} is not in the catalog of transformers ${choice.version}; its structure comes from Shardscope's own description` : undefined };
  }
  if (graphCache.size > 32) graphCache.clear();
  graphCache.set(key, g);
  return g;
}

/** Why a model_type cannot be built, naming what is known. */
function unknownArchitecture(type: unknown, where: string, version: string): string {
  const known = catalogModelTypes(version);
  if (typeof type !== 'string') return `${where}: no "model_type", so the architecture is unknown`;
  const skipped = catalogSkipReason(type, version);
  if (skipped) return `${where}: model_type "${type}" is not recorded in the catalog of transformers ${version} (${skipped}); give a checkpoint folder to read its shapes from the safetensors headers`;
  const count = known.length || Object.keys(ARCHITECTURES).length;
  return `${where}: model_type "${type}" has no tensor- or expert-parallel plan in transformers ${version} and no description in Shardscope (${count} architectures known); give a checkpoint folder to read its shapes from the safetensors headers`;
}

/** Read a config.json: syntax errors are located (path:line:col); anything but a JSON object is refused. */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readInputText(path, 'config');
  } catch (e) {
    if (e instanceof HostFileError) throw new ModelLoadError(e.message);
    throw e;
  }
  const v = parseJsonLocated(text, path);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ModelLoadError(`${path}: expected a JSON object`);
  // A value over the stated limits (layers, experts, a dimension) is placed on its key.
  checkConfigLimits(v as Record<string, unknown>, path, text);
  return v as Record<string, unknown>;
}

/** Load any model reference; `baseDir` resolves relative paths (e.g. the folder of a *.shardplan.json). */
export function loadModel(ref: string | Record<string, unknown>, baseDir = process.cwd(), opts: ModelOptions = {}): ModelGraph {
  try {
    if (typeof ref === 'object') return graphFromConfig(ref, 'inline config', opts);
    const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
    const st = hostFiles().stat(path);
    if (st) {
      if (st.kind === 'dir') return graphFromCheckpoint(path, undefined, opts);
      return graphFromConfig(loadConfigFile(path), path, opts);
    }
    const cached = hfCacheConfig(ref);
    if (cached) return graphFromConfig(loadConfigFile(cached), cached, opts);
    const preset = findPreset(ref);
    if (preset) return graphFromConfig(preset.config, `preset ${preset.name}`, opts);
    throw new ModelLoadError(`'${ref}' is neither a file, a folder nor a preset (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
  } catch (e) {
    if (e instanceof ModelConfigError || e instanceof CheckpointError) throw new ModelLoadError(e.message);
    throw e;
  }
}

/**
 * The config.json of a repo id ("org/name") in the Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub or
 * ~/.cache/huggingface/hub), newest snapshot first; undefined when it is not there.
 */
export function hfCacheConfig(repoId: string): string | undefined {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repoId)) return undefined;
  const roots = hfCacheRoots();
  for (const root of roots) {
    const snaps = join(root, `models--${repoId.replace('/', '--')}`, 'snapshots');
    const files = hostFiles();
    if (files.stat(snaps)?.kind !== 'dir') continue;
    const dirs = files.list(snaps).map((d) => ({ d: join(snaps, d), st: files.stat(join(snaps, d, 'config.json')) })).filter((x) => x.st?.kind === 'file');
    dirs.sort((a, b) => b.st!.mtimeMs - a.st!.mtimeMs);
    if (dirs.length) return join(dirs[0].d, 'config.json');
  }
  return undefined;
}

/** A checkpoint folder: config.json plus safetensors headers (dtypes from the checkpoint; shapes checked). */
export function loadCheckpointFolder(dir: string): ModelGraph {
  return graphFromCheckpoint(dir);
}

/**
 * A checkpoint folder's graph; `config` (config.json values) stands in for the folder's own config.json
 * when given. Shapes and dtypes come from the safetensors headers after transformers' load conversions.
 */
export function graphFromCheckpoint(dir: string, config?: Record<string, unknown>, opts: ModelOptions = {}): ModelGraph {
  const cfgPath = join(dir, 'config.json');
  const files = hostFiles();
  const raw = config ?? (files.stat(cfgPath) ? loadConfigFile(cfgPath) : undefined);
  const hasWeights = !!files.stat(join(dir, 'model.safetensors')) || !!files.stat(join(dir, 'model.safetensors.index.json'));
  if (!raw && !hasWeights) throw new ModelLoadError(`${dir}: no config.json and no safetensors files`);
  const layers = typeof raw?.num_hidden_layers === 'number' ? raw.num_hidden_layers : undefined;
  const converted = hasWeights ? convertCheckpoint(readCheckpointFolder(dir), layers) : undefined;
  const known = raw && (catalogEntry(raw, pickVersion(opts.transformers).version) || (typeof raw.model_type === 'string' && ARCHITECTURES[raw.model_type]));
  if (raw && known) {
    // graphFromConfig caches; the checkpoint's dtypes and shapes are laid over a copy.
    const g = structuredCloneGraph(graphFromConfig(raw, cfgPath, opts));
    if (converted) {
      const byName = new Map(converted.params.map((p) => [p.name, p]));
      for (const p of g.params) {
        const h = byName.get(p.name);
        if (!h) continue;
        p.dtype = h.dtype;
        if (h.shape.join() !== p.shape.join()) p.shape = h.shape; // the checkpoint is the truth
      }
      g.setAside = converted.setAside;
      g.origin = `${g.origin}+safetensors`;
    }
    return g;
  }
  if (!converted) throw new ModelLoadError(`${dir}: model_type ${JSON.stringify(raw?.model_type)} has no descriptor and there are no safetensors files to read shapes from`);
  return genericGraph(converted.params, converted.setAside, raw);
}

/** A deep copy of a graph (its module map rebuilt over the copied tree). */
function structuredCloneGraph(g: ModelGraph): ModelGraph {
  const root = structuredClone(g.root);
  const modules = new Map<string, ModuleNode>();
  const params: ParamInfo[] = [];
  const walk = (m: ModuleNode) => {
    modules.set(m.path, m);
    params.push(...m.params);
    m.children.forEach(walk);
  };
  walk(root);
  const order = new Map(g.params.map((p, i) => [p.name, i]));
  params.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  return { ...g, root, modules, params, config: { ...g.config }, flow: g.flow };
}

/** A module tree from parameter names alone, for architectures with no descriptor. */
export function genericGraph(params: { name: string; shape: number[]; dtype: ParamInfo['dtype'] }[], setAside: { key: string; reason: string }[] = [], raw?: Record<string, unknown>): ModelGraph {
  const root: ModuleNode = { path: '', className: 'Model', kind: 'model', params: [], children: [] };
  const modules = new Map<string, ModuleNode>([['', root]]);
  const ensure = (path: string): ModuleNode => {
    const hit = modules.get(path);
    if (hit) return hit;
    const dot = path.lastIndexOf('.');
    const parent = ensure(dot < 0 ? '' : path.slice(0, dot));
    const n: ModuleNode = { path, className: 'Module', kind: 'other', params: [], children: [] };
    parent.children.push(n);
    modules.set(path, n);
    return n;
  };
  const all: ParamInfo[] = [];
  for (const p of params) {
    const dot = p.name.lastIndexOf('.');
    const m = ensure(dot < 0 ? '' : p.name.slice(0, dot));
    const info: ParamInfo = { name: p.name, local: p.name.slice(dot + 1), shape: p.shape, dtype: p.dtype };
    m.params.push(info);
    all.push(info);
  }
  for (const m of modules.values()) m.kind = guessKind(m);
  const basePrefix = modules.has('model') ? 'model' : '';
  const cfg = raw ? tryNormalize(raw) : undefined;
  return {
    modelType: typeof raw?.model_type === 'string' ? raw.model_type : 'unknown',
    basePrefix,
    config: cfg ?? { modelType: 'unknown', hiddenSize: 0, numLayers: 0, numHeads: 0, numKvHeads: 0, headDim: 0, intermediateSize: 0, vocabSize: 0, tieWordEmbeddings: false, rmsNormEps: 1e-6, dtype: all[0]?.dtype ?? 'bfloat16', raw: raw ?? {} },
    root,
    params: all,
    modules,
    flow: { head: [], tail: [] },
    origin: 'safetensors',
    setAside,
  };
}

function tryNormalize(raw: Record<string, unknown>) {
  try {
    return normalizeConfig(raw);
  } catch {
    return undefined;
  }
}

function guessKind(m: ModuleNode): ModuleKind {
  const last = m.path.slice(m.path.lastIndexOf('.') + 1);
  if (m.path === '') return 'model';
  if (/^\d+$/.test(last)) return 'decoder_layer';
  if (last === 'layers') return 'container';
  const w = m.params.find((p) => p.local === 'weight');
  if (/embed/.test(last) && w?.shape.length === 2) return 'embedding';
  if (/norm/.test(last) && w?.shape.length === 1) return 'norm';
  if (m.params.some((p) => p.shape.length === 3)) return 'experts';
  if (/(^gate$|router)/.test(last) && w?.shape.length === 2) return 'router';
  if (w?.shape.length === 2) return 'linear';
  if (/attn|attention/.test(last)) return 'attention';
  if (/mlp|moe/.test(last)) return 'mlp';
  return m.params.length ? 'other' : 'container';
}
