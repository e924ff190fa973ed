// Resolve a model reference (config.json path, checkpoint folder, preset name, inline config) to a ModelGraph.
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { join, resolve, isAbsolute } from 'node:path';
import type { ModelGraph, ModuleKind, ModuleNode, ParamInfo } from './types';
import { ARCHITECTURES } from './architectures';
import { normalizeConfig, ModelConfigError } from './config';
import { buildGraph } from './build';
import { findPreset, PRESETS } from './presets';
import { readCheckpointFolder, convertCheckpoint, CheckpointError } from './safetensors';
import { parseJsonLocated } from '../util/json';

export class ModelLoadError extends Error {}

const graphCache = new Map<string, ModelGraph>();

/** A ModelGraph from config.json values; cached by their JSON so editors can call it on every keystroke. */
export function graphFromConfig(raw: Record<string, unknown>, where = 'config.json'): ModelGraph {
  const key = JSON.stringify(raw);
  const hit = graphCache.get(key);
  if (hit) return hit;
  const type = raw.model_type;
  const arch = typeof type === 'string' ? ARCHITECTURES[type] : undefined;
  if (!arch) {
    throw new ModelLoadError(
      `${where}: model_type ${JSON.stringify(type)} has no architecture descriptor (known: ${Object.keys(ARCHITECTURES).join(', ')}); give a checkpoint folder to read its shapes from the safetensors headers`,
    );
  }
  const g = buildGraph(arch, normalizeConfig(raw, where));
  if (graphCache.size > 32) graphCache.clear();
  graphCache.set(key, g);
  return g;
}

/** Read a config.json: syntax errors are located (path:line:col); anything but a JSON object is refused. */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelLoadError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const v = parseJsonLocated(text, path);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ModelLoadError(`${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** Load any model reference; `baseDir` resolves relative paths (e.g. the folder of a *.shardplan.json). */
export function loadModel(ref: string | Record<string, unknown>, baseDir = process.cwd()): ModelGraph {
  try {
    if (typeof ref === 'object') return graphFromConfig(ref, 'inline config');
    const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return loadCheckpointFolder(path);
      return graphFromConfig(loadConfigFile(path), path);
    }
    const cached = hfCacheConfig(ref);
    if (cached) return graphFromConfig(loadConfigFile(cached), cached);
    const preset = findPreset(ref);
    if (preset) return graphFromConfig(preset.config, `preset ${preset.name}`);
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
  const home = process.env.HOME ?? '';
  const roots = [process.env.HF_HUB_CACHE, process.env.HF_HOME && join(process.env.HF_HOME, 'hub'), home && join(home, '.cache/huggingface/hub')].filter((x): x is string => !!x);
  for (const root of roots) {
    const snaps = join(root, `models--${repoId.replace('/', '--')}`, 'snapshots');
    if (!existsSync(snaps)) continue;
    const dirs = readdirSync(snaps).map((d) => join(snaps, d)).filter((d) => existsSync(join(d, 'config.json')));
    dirs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (dirs.length) return join(dirs[0], 'config.json');
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
export function graphFromCheckpoint(dir: string, config?: Record<string, unknown>): ModelGraph {
  const cfgPath = join(dir, 'config.json');
  const raw = config ?? (existsSync(cfgPath) ? loadConfigFile(cfgPath) : undefined);
  const hasWeights = existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.safetensors.index.json'));
  if (!raw && !hasWeights) throw new ModelLoadError(`${dir}: no config.json and no safetensors files`);
  const layers = typeof raw?.num_hidden_layers === 'number' ? raw.num_hidden_layers : undefined;
  const converted = hasWeights ? convertCheckpoint(readCheckpointFolder(dir), layers) : undefined;
  const arch = raw && typeof raw.model_type === 'string' ? ARCHITECTURES[raw.model_type] : undefined;
  if (raw && arch) {
    const g = buildGraph(arch, normalizeConfig(raw, cfgPath));
    if (converted) {
      const byName = new Map(converted.params.map((p) => [p.name, p]));
      for (const p of g.params) {
        const h = byName.get(p.name);
        if (!h) continue;
        p.dtype = h.dtype;
        if (h.shape.join() !== p.shape.join()) p.shape = h.shape; // the checkpoint is the truth
      }
      g.setAside = converted.setAside;
      g.origin = `descriptor:${arch.modelType}+safetensors`;
    }
    return g;
  }
  if (!converted) throw new ModelLoadError(`${dir}: model_type ${JSON.stringify(raw?.model_type)} has no descriptor and there are no safetensors files to read shapes from`);
  return genericGraph(converted.params, converted.setAside, raw);
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
