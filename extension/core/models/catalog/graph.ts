// A ModelGraph from a catalog entry and configuration values: the parameter tree transformers builds,
// with shapes evaluated from the recorded expressions and module kinds from the recorded roles.
import type { ModelGraph, ModuleKind, ModuleNode, NormalizedConfig, ParamInfo } from '../types';
import type { CatalogArchitecture, CatalogModule, LayerVariant, ModuleRole, Presence } from './types';
import { evalExpr } from './expr';
import { LIMITS } from '../../limits';
import { resolveConfig, lookupField, type ConfigValues } from './resolve-config';
import { layerVariants } from './layer-rule';
import { flowFromRoles, NonStandardFlow } from './flow';
import { configDType } from '../config';

export class CatalogGraphError extends Error {}

/** The catalog records an architecture's plans and defaults but not its modules (4.x source it could not read). */
export class StructureNotRecorded extends CatalogGraphError {}

const KIND_OF_ROLE: Partial<Record<ModuleRole, ModuleKind>> = {
  causal_lm: 'model', base: 'base', embedding: 'embedding', layers: 'container', decoder_layer: 'decoder_layer',
  final_norm: 'norm', input_norm: 'norm', post_attention_norm: 'norm', pre_mlp_norm: 'norm', post_mlp_norm: 'norm',
  attn_q_norm: 'norm', attn_k_norm: 'norm', mla_q_a_norm: 'norm', mla_kv_a_norm: 'norm',
  lm_head: 'linear', rotary: 'rotary', attention: 'attention',
  attn_q: 'linear', attn_k: 'linear', attn_v: 'linear', attn_qkv: 'linear', attn_o: 'linear',
  mla_q_a: 'linear', mla_q_b: 'linear', mla_kv_a: 'linear', mla_kv_b: 'linear',
  mlp: 'mlp', mlp_gate: 'linear', mlp_up: 'linear', mlp_gate_up: 'linear', mlp_down: 'linear',
  moe: 'moe', router: 'router', experts: 'experts', shared_experts: 'mlp', shared_expert_gate: 'linear',
};

function kindOf(m: CatalogModule): ModuleKind {
  const k = KIND_OF_ROLE[m.role];
  if (k) return k;
  if (/^(Linear|.*Linear)$/.test(m.class)) return 'linear';
  if (/Embedding$/.test(m.class) && !/Rotary/.test(m.class)) return 'embedding';
  if (/Norm/.test(m.class)) return 'norm';
  if (m.class === 'ModuleList' || m.class === 'ModuleDict') return 'container';
  return 'other';
}

/** The configuration values normalised for the binder, from what the version resolved. */
export function normalizedFromCatalog(arch: CatalogArchitecture, cfg: ConfigValues, moeLayers: number[], given: ConfigValues = cfg): NormalizedConfig {
  const n = (name: string): number | undefined => {
    const v = lookupField(cfg, name);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const first = (...names: string[]) => names.map(n).find((v) => v !== undefined);
  const hidden = first('hidden_size', 'd_model', 'n_embd') ?? 0;
  const heads = first('num_attention_heads', 'n_head', 'num_heads') ?? 0;
  const out: NormalizedConfig = {
    modelType: arch.modelType,
    hiddenSize: hidden,
    numLayers: first('num_hidden_layers', 'n_layer', 'num_layers') ?? 0,
    numHeads: heads,
    numKvHeads: first('num_key_value_heads') ?? heads,
    headDim: first('head_dim') ?? (heads ? Math.floor(hidden / heads) : 0),
    intermediateSize: first('intermediate_size', 'ffn_dim', 'n_inner') ?? 0,
    vocabSize: first('vocab_size') ?? 0,
    tieWordEmbeddings: cfg.tie_word_embeddings === true,
    rmsNormEps: first('rms_norm_eps', 'layer_norm_eps', 'norm_eps') ?? 1e-6,
    dtype: configDType(cfg),
    maxPositionEmbeddings: first('max_position_embeddings'),
    // What the configuration says, as config.json wrote it; the class's defaults fill the fields above.
    raw: given,
  };
  const experts = first('num_local_experts', 'num_experts', 'n_routed_experts', 'moe_num_experts');
  if (experts !== undefined && moeLayers.length) {
    out.numExperts = experts;
    out.numExpertsPerTok = first('num_experts_per_tok', 'moe_topk', 'top_k');
    out.moeIntermediateSize = first('moe_intermediate_size', 'expert_intermediate_size') ?? out.intermediateSize;
    out.numSharedExperts = first('n_shared_experts', 'num_shared_experts') ?? 0;
    out.moeLayers = moeLayers;
    const k = first('first_k_dense_replace');
    if (k !== undefined) out.firstKDenseReplace = k;
  }
  if (first('kv_lora_rank') !== undefined) {
    const q = given.q_lora_rank === null ? null : lookupField(cfg, 'q_lora_rank');
    out.qLoraRank = typeof q === 'number' ? q : null;
    out.kvLoraRank = first('kv_lora_rank');
    out.qkNopeHeadDim = first('qk_nope_head_dim');
    out.qkRopeHeadDim = first('qk_rope_head_dim');
    out.vHeadDim = first('v_head_dim');
    if (out.qkRopeHeadDim !== undefined) out.headDim = out.qkRopeHeadDim;
  }
  return out;
}

/** Build the graph of one configuration. `given` is what config.json (or a config class) says. */
export function graphFromCatalog(arch: CatalogArchitecture, given: ConfigValues, version: string, where = 'config.json'): ModelGraph {
  if (!arch.ends.modules.length && !arch.layers) {
    throw new StructureNotRecorded(`${where}: transformers ${version}'s module structure of ${arch.modelType} is not recorded (${arch.flow.standard ? 'no modules' : arch.flow.why}), so patterns, shapes and collectives are not checked`);
  }
  const cfg = resolveConfig(arch, given);
  const look = (f: string) => lookupField(cfg, f);
  const dim = (expr: string, name: string): number => {
    const v = evalExpr(expr, look);
    if (v === undefined || !Number.isInteger(v) || v < 0) {
      throw new CatalogGraphError(`${where}: the shape of ${name} is ${expr}, which this configuration does not define (transformers ${version}, ${arch.configClass})`);
    }
    if (v > LIMITS.tensorDim) throw new CatalogGraphError(`${where}: ${name} has a dimension ${expr} = ${v}, over the limit of ${LIMITS.tensorDim}`);
    return v;
  };
  const modules = new Map<string, ModuleNode>();
  const roleOf = new Map<string, ModuleRole>();
  const params: ParamInfo[] = [];
  const dtype = configDType(cfg);
  const root: ModuleNode = { path: '', className: arch.causalLm ?? arch.configClass.replace(/Config$/, 'Model'), kind: 'model', params: [], children: [] };
  modules.set('', root);
  const ensure = (path: string, className = 'Module', kind: ModuleKind = 'container'): ModuleNode => {
    const hit = modules.get(path);
    if (hit) return hit;
    const dot = path.lastIndexOf('.');
    const parent = ensure(dot < 0 ? '' : path.slice(0, dot));
    const node: ModuleNode = { path, className, kind, params: [], children: [] };
    parent.children.push(node);
    modules.set(path, node);
    return node;
  };
  // 4.x per-expert modules are written once with "{e}" in their paths, under a module that says how many.
  let repeatCount: number | undefined;
  const expand = <T extends { path?: string; name?: string }>(items: T[], key: 'path' | 'name'): T[] =>
    items.flatMap((x) => {
      const text = x[key] as string;
      if (!text.includes('{e}')) return [x];
      const owner = items.find((m) => (m as { repeat?: string }).repeat && text.startsWith(`${(m as { path: string }).path}.{e}`)) as { repeat?: string } | undefined;
      const n = owner?.repeat ? dim(owner.repeat, text) : repeatCount;
      if (n === undefined) throw new CatalogGraphError(`${where}: ${text} repeats per expert, but the catalog says not how many`);
      if (n > LIMITS.experts) throw new CatalogGraphError(`${where}: ${n} experts per layer, over the limit of ${LIMITS.experts}`);
      return Array.from({ length: n }, (_, e) => ({ ...x, [key]: text.split('{e}').join(String(e)) }));
    });
  // A null the configuration writes for a field that decides the structure is that field's null (the
  // generator built the class with it: DeepSeek's q_lora_rank=None builds q_proj), not a value left to derive.
  const present = (x: { when?: Presence }) => !x.when || isTruthy(given[x.when.field] === null ? null : look(x.when.field)) === (x.when.is === 'truthy');
  const addModule = (prefix: string, m: CatalogModule, attrs?: ModuleNode['attrs']) => {
    if (!present(m)) return;
    const path = m.path ? (prefix ? `${prefix}.${m.path}` : m.path) : prefix;
    const node = ensure(path, m.class, kindOf(m));
    node.className = m.class;
    node.kind = kindOf(m);
    if (attrs) node.attrs = { ...node.attrs, ...attrs };
    roleOf.set(path, m.role);
  };
  const addParam = (prefix: string, name: string, shape: string[]) => {
    const full = prefix ? `${prefix}.${name}` : name;
    const dot = full.lastIndexOf('.');
    const owner = ensure(dot < 0 ? '' : full.slice(0, dot));
    const p: ParamInfo = { name: full, local: full.slice(dot + 1), shape: shape.map((e) => dim(e, full)), dtype };
    owner.params.push(p);
    params.push(p);
  };
  // Ends and layers in transformers' module order (embedding, layers, norm, head), each module's
  // parameters right after it, so the graph lists parameters as named_parameters() does.
  const endParams = new Map<string, typeof arch.ends.params>();
  for (const p of arch.ends.params) {
    const dot = p.name.lastIndexOf('.');
    const owner = dot < 0 ? '' : p.name.slice(0, dot);
    endParams.set(owner, [...(endParams.get(owner) ?? []), p]);
  }
  let variants: string[] = [];
  const expanded = new Map<string, CatalogModule[]>();
  const expandedParams = new Map<string, CatalogArchitecture['ends']['params']>();
  const addLayers = () => {
    if (!arch.layers || variants.length) return;
    const count = dim(arch.layers.count, 'the number of layers');
    if (count > LIMITS.layers) throw new CatalogGraphError(`${where}: ${arch.layers.count} is ${count}, over the limit of ${LIMITS.layers} decoder layers`);
    variants = layerVariants(arch.layers.rule, count, cfg);
    ensure(arch.layers.path, 'ModuleList', 'container');
    roleOf.set(arch.layers.path, 'layers');
    for (let i = 0; i < count; i++) {
      const v = arch.layers.variants[variants[i]];
      if (!v) throw new CatalogGraphError(`${where}: layer ${i} is of kind "${variants[i]}", which the catalog of transformers ${version} does not describe`);
      const prefix = `${arch.layers.path}.${i}`;
      const rep = v.modules.find((m) => m.repeat && present(m));
      repeatCount = rep?.repeat ? dim(rep.repeat, `${prefix}.${rep.path}`) : undefined;
      const mods = expanded.get(variants[i]) ?? expanded.set(variants[i], expand(v.modules, 'path')).get(variants[i])!;
      const prms = expandedParams.get(variants[i]) ?? expandedParams.set(variants[i], expand(v.params, 'name')).get(variants[i])!;
      for (const m of mods) addModule(prefix, m, m.path === '' ? { layer: i, moe: v.modules.some((x) => x.role === 'moe') } : undefined);
      // Buffers (DeepSeek's e_score_correction_bias) are in the checkpoint but are not parameters: nothing shards them.
      // a parameter of a module the configuration does not build is not built either (q_a_proj.bias when
      // attention_bias is true but q_lora_rank null)
      const absent = v.modules.filter((m) => !present(m)).map((m) => `${m.path}.`);
      for (const p of prms) if (!p.buffer && present(p) && !absent.some((a) => p.name.startsWith(a))) addParam(prefix, p.name, p.shape);
    }
    if (!count) variants = [];
  };
  for (const m of arch.ends.modules) {
    addModule('', m);
    for (const p of endParams.get(m.path) ?? []) if (!p.buffer && present(p) && present(m)) addParam('', p.name, p.shape);
    endParams.delete(m.path);
    if (arch.layers && m.path === arch.layers.path) addLayers();
  }
  addLayers();
  for (const ps of endParams.values()) for (const p of ps) if (!p.buffer && present(p)) addParam('', p.name, p.shape);
  const moeLayers = variants.flatMap((v, i) => (arch.layers!.variants[v].modules.some((m) => m.role === 'moe') ? [i] : []));
  const config = normalizedFromCatalog(arch, cfg, moeLayers, given);
  for (const [path, node] of modules) setAttrs(node, roleOf.get(path), config);
  const graph: ModelGraph = {
    modelType: arch.modelType,
    basePrefix: arch.basePrefix,
    config,
    root,
    params,
    modules,
    flow: { head: [], tail: [] },
    origin: `catalog:transformers-${version}`,
  };
  if (config.tieWordEmbeddings && arch.tied?.length) graph.tied = arch.tied.filter(([a, b]) => params.some((p) => p.name === a) && params.some((p) => p.name === b));
  if (!arch.layers) {
    graph.flowUnknown = `the catalog of transformers ${version} records no decoder layers for ${arch.modelType} (${arch.flow.standard ? 'not recorded' : arch.flow.why}), so keys under layers are not checked either`;
    graph.layersUnknown = true;
  } else if (!arch.flow.standard) graph.flowUnknown = `transformers ${version} builds ${arch.modelType} with ${arch.flow.why}`;
  else if (arch.layers.path !== `${arch.basePrefix}.layers`) graph.flowUnknown = `${arch.modelType} keeps its decoder layers at ${arch.layers.path}, where the layer flow is not traced`;
  else {
    const widthOf = (path: string) => modules.get(path)?.params.find((p) => p.local === 'weight')?.shape[0];
    try {
      // The flow of the modules this configuration builds (a `when` leaves some out: MLA without q_lora_rank).
      const only = (v: LayerVariant): LayerVariant => ({ modules: v.modules.filter(present), params: v.params.filter(present) });
      const built: CatalogArchitecture = {
        ...arch,
        ends: only(arch.ends),
        layers: { ...arch.layers, variants: Object.fromEntries(Object.entries(arch.layers.variants).map(([k, v]) => [k, only(v)])) },
      };
      graph.flow = flowFromRoles(built, config, widthOf, arch.layers.path);
    } catch (e) {
      if (!(e instanceof NonStandardFlow)) throw e;
      graph.flowUnknown = `${arch.modelType}'s layers do not follow the standard decoder flow: ${e.message}`;
    }
  }
  return graph;
}

/** Python's truth of a config value (null, false, 0, "" and empty lists are false). */
function isTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return !!v;
}

/** Facts the binder reads off a module: in/out features, head sizes, packed expert weights. */
function setAttrs(node: ModuleNode, role: ModuleRole | undefined, cfg: NormalizedConfig): void {
  const w = node.params.find((p) => p.local === 'weight');
  const a: Record<string, number | string | boolean> = { ...node.attrs };
  if (node.kind === 'linear' && w?.shape.length === 2) {
    a.in_features = w.shape[1];
    a.out_features = w.shape[0];
    if (role === 'attn_q' || role === 'attn_k' || role === 'attn_v') a.head_dim = cfg.headDim;
    if (role === 'mla_q_b') a.head_dim = (cfg.qkNopeHeadDim ?? 0) + (cfg.qkRopeHeadDim ?? 0);
    if (role === 'mla_kv_b') a.head_dim = (cfg.qkNopeHeadDim ?? 0) + (cfg.vHeadDim ?? 0);
    if (role === 'lm_head') a.tied = cfg.tieWordEmbeddings;
  }
  if (node.kind === 'norm' && w?.shape.length === 1) a.size = w.shape[0];
  if (node.kind === 'embedding' && w?.shape.length === 2) Object.assign(a, { num_embeddings: w.shape[0], embedding_dim: w.shape[1] });
  if (node.kind === 'attention') Object.assign(a, { num_heads: cfg.numHeads, num_kv_heads: cfg.numKvHeads, head_dim: cfg.headDim });
  if (node.kind === 'mlp') {
    const down = node.children.find((c) => /down_proj$/.test(c.path))?.params.find((p) => p.local === 'weight');
    if (down) a.intermediate_size = down.shape[1];
  }
  if (node.kind === 'moe' || node.kind === 'router') {
    if (cfg.numExperts !== undefined) a.num_experts = cfg.numExperts;
    if (node.kind === 'moe' && cfg.numExpertsPerTok !== undefined) a.top_k = cfg.numExpertsPerTok;
  }
  if (node.kind === 'experts') {
    const gu = node.params.find((p) => p.local === 'gate_up_proj');
    const down = node.params.find((p) => p.local === 'down_proj');
    if (gu?.shape.length === 3) {
      a.num_experts = gu.shape[0];
      // [E, 2I, H] (Mixtral and most) or [E, H, 2I] with interleaved gate/up (gpt-oss).
      const transposed = gu.shape[1] === cfg.hiddenSize && gu.shape[2] !== cfg.hiddenSize;
      a.intermediate_size = (transposed ? gu.shape[2] : gu.shape[1]) / 2;
      a.packed = 2;
      a.transposed = transposed;
      a.interleaved = transposed;
    } else if (down?.shape.length === 3) a.num_experts = down.shape[0];
  }
  if (Object.keys(a).length) node.attrs = a;
}
