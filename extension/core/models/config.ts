// config.json → NormalizedConfig, honouring each architecture's attribute_map aliases and defaults.
import type { DType, NormalizedConfig } from './types';
import { ARCHITECTURES, type Architecture } from './architectures';
import { asNumber } from '../util/coerce';
import { configLimitProblems } from '../limit-checks';

export class ModelConfigError extends Error {}

const DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', bfloat16: 'bfloat16', float16: 'float16', half: 'float16',
  float8_e4m3fn: 'float8_e4m3fn', float8_e5m2: 'float8_e5m2', float64: 'float64',
};

/** A configuration's dtype (dtype, else torch_dtype); anything but a known dtype name (an object, a number, "auto") reads as bfloat16. */
export function configDType(values: Record<string, unknown>): DType {
  const v = values.dtype ?? values.torch_dtype;
  return typeof v === 'string' && Object.hasOwn(DTYPES, v) ? DTYPES[v] : 'bfloat16';
}

export function architectureOf(raw: Record<string, unknown>): Architecture | undefined {
  const t = raw.model_type;
  return typeof t === 'string' ? ARCHITECTURES[t] : undefined;
}

/**
 * Names that mean the same config value: transformers' attribute_map makes `alias` and `target` read and
 * write one attribute, so a config.json may carry either (Mixtral's num_experts is num_local_experts).
 */
function aliasesOf(arch: Architecture | undefined, name: string): string[] {
  if (!arch) return [];
  const out: string[] = [];
  for (const [a, t] of Object.entries(arch.attributeMap)) {
    if (a === name) out.push(t);
    else if (t === name) out.push(a);
  }
  return out;
}

/** Read a config value by any of its names (attribute_map aliases in either direction), else the class default. */
function getter(raw: Record<string, unknown>, arch: Architecture | undefined, where: string) {
  const present = (v: unknown) => v !== undefined && v !== null;
  const get = (name: string): unknown => {
    const names = [name, ...aliasesOf(arch, name)];
    for (const n of names) if (present(raw[n])) return raw[n];
    for (const n of names) if (arch && present(arch.defaults[n])) return arch.defaults[n];
    return raw[name];
  };
  const num = (name: string): number => {
    const v = get(name);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ModelConfigError(`${where}: "${name}" is ${v === undefined ? 'missing' : `not a number (${JSON.stringify(v)})`}; expected a number`);
    }
    return v;
  };
  const optNum = (name: string): number | undefined => {
    const v = get(name);
    return typeof v === 'number' ? v : undefined;
  };
  return { get, num, optNum };
}

/** A config value as transformers reads it: by any of its names, else the configuration class's default. */
export function configValue(raw: Record<string, unknown>, name: string): unknown {
  return getter(raw, architectureOf(raw), 'config.json').get(name);
}

export function normalizeConfig(raw: Record<string, unknown>, where = 'config.json'): NormalizedConfig {
  const over = configLimitProblems(raw)[0];
  if (over) throw new ModelConfigError(`${where}: ${over.message}`);
  const arch = architectureOf(raw);
  const { get, num, optNum } = getter(raw, arch, where);
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : 'unknown';
  const hiddenSize = num('hidden_size');
  const numHeads = num('num_attention_heads');
  const numKvHeads = optNum('num_key_value_heads') ?? numHeads;
  const numLayers = num('num_hidden_layers');
  const cfg: NormalizedConfig = {
    modelType,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim: optNum('head_dim') ?? Math.floor(hiddenSize / numHeads),
    intermediateSize: num('intermediate_size'),
    vocabSize: num('vocab_size'),
    tieWordEmbeddings: get('tie_word_embeddings') === true,
    rmsNormEps: optNum('rms_norm_eps') ?? 1e-6,
    dtype: configDType({ dtype: get('dtype'), torch_dtype: get('torch_dtype') }),
    maxPositionEmbeddings: optNum('max_position_embeddings'),
    raw,
  };
  if (arch?.moe) {
    const experts = optNum('num_local_experts') ?? optNum('num_experts') ?? num('n_routed_experts');
    cfg.numExperts = experts;
    cfg.numExpertsPerTok = num('num_experts_per_tok');
    cfg.moeIntermediateSize = optNum('moe_intermediate_size') ?? cfg.intermediateSize;
    cfg.numSharedExperts = optNum('n_shared_experts') ?? 0;
    cfg.moeLayers = moeLayers(arch.modelType, numLayers, get);
    if (arch.modelType === 'deepseek_v3') cfg.firstKDenseReplace = num('first_k_dense_replace');
  }
  if (arch?.attention === 'mla') {
    // null is meaningful here (no low-rank query projection), so it is not replaced by the default.
    const q = 'q_lora_rank' in raw ? raw.q_lora_rank : get('q_lora_rank');
    cfg.qLoraRank = typeof q === 'number' ? q : null;
    cfg.kvLoraRank = num('kv_lora_rank');
    cfg.qkNopeHeadDim = num('qk_nope_head_dim');
    cfg.qkRopeHeadDim = num('qk_rope_head_dim');
    cfg.vHeadDim = num('v_head_dim');
    cfg.headDim = cfg.qkRopeHeadDim;
  }
  return cfg;
}

/** Which layers are MoE: Mixtral all; Qwen3-MoE by decoder_sparse_step and mlp_only_layers; DeepSeek-V3 from first_k_dense_replace. */
function moeLayers(modelType: string, numLayers: number, get: (n: string) => unknown): number[] {
  const all = Array.from({ length: numLayers }, (_, i) => i);
  if (modelType === 'qwen3_moe') {
    const step = asNumber(get('decoder_sparse_step') ?? 1);
    const only = get('mlp_only_layers');
    const dense = new Set(Array.isArray(only) ? only : []);
    return all.filter((i) => !dense.has(i) && step > 0 && (i + 1) % step === 0);
  }
  if (modelType === 'deepseek_v3') {
    const k = asNumber(get('first_k_dense_replace') ?? 0);
    const freq = asNumber(get('moe_layer_freq') ?? 1);
    return all.filter((i) => i >= k && i % freq === 0);
  }
  return all;
}
