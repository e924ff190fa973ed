// Builds the module tree exactly as transformers 5 names it, from normalised config values.
import type { DType, FlowStep, ModelGraph, ModuleKind, ModuleNode, NormalizedConfig, ParamInfo } from './types';
import type { Architecture } from './architectures';

class TreeBuilder {
  readonly params: ParamInfo[] = [];
  readonly modules = new Map<string, ModuleNode>();
  constructor(readonly dtype: DType) {}

  node(parent: ModuleNode | null, name: string, className: string, kind: ModuleKind, attrs?: ModuleNode['attrs']): ModuleNode {
    const path = parent && parent.path ? `${parent.path}.${name}` : name;
    const n: ModuleNode = { path, className, kind, params: [], children: [], attrs };
    parent?.children.push(n);
    this.modules.set(path, n);
    return n;
  }

  param(m: ModuleNode, local: string, shape: number[]): void {
    const p: ParamInfo = { name: m.path ? `${m.path}.${local}` : local, local, shape, dtype: this.dtype };
    m.params.push(p);
    this.params.push(p);
  }

  linear(parent: ModuleNode, name: string, inF: number, outF: number, bias = false, attrs: ModuleNode['attrs'] = {}): ModuleNode {
    const m = this.node(parent, name, 'Linear', 'linear', { in_features: inF, out_features: outF, ...attrs });
    this.param(m, 'weight', [outF, inF]);
    if (bias) this.param(m, 'bias', [outF]);
    return m;
  }

  norm(parent: ModuleNode, name: string, className: string, size: number): ModuleNode {
    const m = this.node(parent, name, className, 'norm', { size });
    this.param(m, 'weight', [size]);
    return m;
  }
}

/** Build the ModelGraph of a known architecture. */
export function buildGraph(arch: Architecture, cfg: NormalizedConfig): ModelGraph {
  const b = new TreeBuilder(cfg.dtype);
  const P = arch.prefix;
  const H = cfg.hiddenSize;
  const root = b.node(null, '', `${P}ForCausalLM`, 'model');
  const base = b.node(root, 'model', `${P}Model`, 'base');
  const emb = b.node(base, 'embed_tokens', 'Embedding', 'embedding', { num_embeddings: cfg.vocabSize, embedding_dim: H });
  b.param(emb, 'weight', [cfg.vocabSize, H]);
  const layers = b.node(base, 'layers', 'ModuleList', 'container');
  const moe = new Set(cfg.moeLayers ?? []);
  for (let i = 0; i < cfg.numLayers; i++) {
    const layer = b.node(layers, String(i), `${P}DecoderLayer`, 'decoder_layer', { layer: i, moe: moe.has(i) });
    buildAttention(b, arch, cfg, layer);
    if (arch.moe && moe.has(i)) buildMoe(b, arch, cfg, layer);
    else buildMlp(b, P, layer, 'mlp', H, cfg.intermediateSize);
    b.norm(layer, 'input_layernorm', `${P}RMSNorm`, H);
    b.norm(layer, 'post_attention_layernorm', `${P}RMSNorm`, H);
    // transformers registers the norms before attention in module order; keep attention first only for params we emit above.
    reorderChildren(layer, ['self_attn', 'mlp', 'input_layernorm', 'post_attention_layernorm']);
  }
  b.norm(base, 'norm', `${P}RMSNorm`, H);
  b.node(base, 'rotary_emb', `${P}RotaryEmbedding`, 'rotary');
  b.linear(root, 'lm_head', H, cfg.vocabSize, false, { tied: cfg.tieWordEmbeddings });
  return {
    modelType: cfg.modelType,
    basePrefix: 'model',
    config: cfg,
    root,
    params: b.params,
    modules: b.modules,
    flow: flows(arch, cfg),
    origin: `descriptor:${arch.modelType}`,
  };
}

function reorderChildren(m: ModuleNode, order: string[]): void {
  const rank = (n: ModuleNode) => order.indexOf(n.path.slice(n.path.lastIndexOf('.') + 1));
  m.children.sort((a, c) => rank(a) - rank(c));
}

function buildAttention(b: TreeBuilder, arch: Architecture, cfg: NormalizedConfig, layer: ModuleNode): void {
  const P = arch.prefix;
  const H = cfg.hiddenSize;
  const nh = cfg.numHeads;
  const attn = b.node(layer, 'self_attn', `${P}Attention`, 'attention', { num_heads: nh, num_kv_heads: cfg.numKvHeads, head_dim: cfg.headDim });
  if (arch.attention === 'mla') {
    const qk = cfg.qkNopeHeadDim! + cfg.qkRopeHeadDim!;
    if (cfg.qLoraRank) {
      b.linear(attn, 'q_a_proj', H, cfg.qLoraRank);
      b.norm(attn, 'q_a_layernorm', `${P}RMSNorm`, cfg.qLoraRank);
      b.linear(attn, 'q_b_proj', cfg.qLoraRank, nh * qk, false, { head_dim: qk });
    } else {
      b.linear(attn, 'q_proj', H, nh * qk, false, { head_dim: qk });
    }
    b.linear(attn, 'kv_a_proj_with_mqa', H, cfg.kvLoraRank! + cfg.qkRopeHeadDim!);
    b.norm(attn, 'kv_a_layernorm', `${P}RMSNorm`, cfg.kvLoraRank!);
    b.linear(attn, 'kv_b_proj', cfg.kvLoraRank!, nh * (cfg.qkNopeHeadDim! + cfg.vHeadDim!), false, { head_dim: cfg.qkNopeHeadDim! + cfg.vHeadDim! });
    b.linear(attn, 'o_proj', nh * cfg.vHeadDim!, H);
    return;
  }
  const d = cfg.headDim;
  b.linear(attn, 'q_proj', H, nh * d, arch.qkvBias, { head_dim: d });
  b.linear(attn, 'k_proj', H, cfg.numKvHeads * d, arch.qkvBias, { head_dim: d });
  b.linear(attn, 'v_proj', H, cfg.numKvHeads * d, arch.qkvBias, { head_dim: d });
  b.linear(attn, 'o_proj', nh * d, H, arch.oBias);
  if (arch.qkNorm) {
    b.norm(attn, 'q_norm', `${P}RMSNorm`, d);
    b.norm(attn, 'k_norm', `${P}RMSNorm`, d);
  }
  if (arch.sinks) b.param(attn, 'sinks', [nh]);
}

function buildMlp(b: TreeBuilder, P: string, parent: ModuleNode, name: string, H: number, I: number): ModuleNode {
  const mlp = b.node(parent, name, `${P}MLP`, 'mlp', { intermediate_size: I });
  b.linear(mlp, 'gate_proj', H, I);
  b.linear(mlp, 'up_proj', H, I);
  b.linear(mlp, 'down_proj', I, H);
  return mlp;
}

function buildMoe(b: TreeBuilder, arch: Architecture, cfg: NormalizedConfig, layer: ModuleNode): void {
  const P = arch.prefix;
  const H = cfg.hiddenSize;
  const E = cfg.numExperts!;
  const I = cfg.moeIntermediateSize!;
  const moeCfg = arch.moe!;
  const block = b.node(layer, 'mlp', moeCfg.blockClass ?? `${P}SparseMoeBlock`, 'moe', { num_experts: E, top_k: cfg.numExpertsPerTok! });
  const router = b.node(block, moeCfg.router, moeCfg.routerClass ?? `${P}TopKRouter`, 'router', { num_experts: E });
  b.param(router, 'weight', [E, H]);
  if (moeCfg.routerBias) b.param(router, 'bias', [E]);
  // DeepSeek's e_score_correction_bias [E] is a buffer, not a parameter: nothing shards it.
  const experts = b.node(block, 'experts', `${P}Experts`, 'experts', {
    num_experts: E,
    intermediate_size: I,
    packed: 2,
    transposed: moeCfg.transposedExperts,
    interleaved: moeCfg.transposedExperts,
  });
  if (moeCfg.transposedExperts) {
    b.param(experts, 'gate_up_proj', [E, H, 2 * I]);
    if (moeCfg.expertBias) b.param(experts, 'gate_up_proj_bias', [E, 2 * I]);
    b.param(experts, 'down_proj', [E, I, H]);
    if (moeCfg.expertBias) b.param(experts, 'down_proj_bias', [E, H]);
  } else {
    b.param(experts, 'gate_up_proj', [E, 2 * I, H]);
    b.param(experts, 'down_proj', [E, H, I]);
  }
  if (moeCfg.sharedExperts && (cfg.numSharedExperts ?? 0) > 0) buildMlp(b, P, block, 'shared_experts', H, I * cfg.numSharedExperts!);
}

/** The activation flow of one decoder layer (dense and MoE) and of the model ends. */
function flows(arch: Architecture, cfg: NormalizedConfig): ModelGraph['flow'] {
  const attn: FlowStep[] = [
    { module: 'input_layernorm', op: 'norm', inputs: ['x'], output: 'h_norm1', outputShape: ['B', 'S', cfg.hiddenSize] },
    { module: 'self_attn', op: 'module_boundary', inputs: ['h_norm1'], output: 'attn_in', outputShape: ['B', 'S', cfg.hiddenSize] },
  ];
  if (arch.attention === 'mla') {
    const nh = cfg.numHeads;
    const qk = cfg.qkNopeHeadDim! + cfg.qkRopeHeadDim!;
    if (cfg.qLoraRank) {
      attn.push(
        { module: 'self_attn.q_a_proj', op: 'linear', inputs: ['attn_in'], output: 'q_a', outputShape: ['B', 'S', cfg.qLoraRank] },
        { module: 'self_attn.q_a_layernorm', op: 'norm', inputs: ['q_a'], output: 'q_a_n', outputShape: ['B', 'S', cfg.qLoraRank] },
        { module: 'self_attn.q_b_proj', op: 'linear', inputs: ['q_a_n'], output: 'q', outputShape: ['B', 'S', nh * qk] },
      );
    } else attn.push({ module: 'self_attn.q_proj', op: 'linear', inputs: ['attn_in'], output: 'q', outputShape: ['B', 'S', nh * qk] });
    attn.push(
      { module: 'self_attn.kv_a_proj_with_mqa', op: 'linear', inputs: ['attn_in'], output: 'kv_a', outputShape: ['B', 'S', cfg.kvLoraRank! + cfg.qkRopeHeadDim!] },
      { module: 'self_attn.kv_a_layernorm', op: 'norm', inputs: ['kv_a'], output: 'kv_a_n', outputShape: ['B', 'S', cfg.kvLoraRank!] },
      { module: 'self_attn.kv_b_proj', op: 'linear', inputs: ['kv_a_n'], output: 'kv', outputShape: ['B', 'S', nh * (cfg.qkNopeHeadDim! + cfg.vHeadDim!)] },
      { module: 'self_attn', op: 'attention_core', inputs: ['q', 'kv', 'kv_a'], output: 'ctx', outputShape: ['B', 'S', nh * cfg.vHeadDim!] },
    );
  } else {
    const d = cfg.headDim;
    attn.push(
      { module: 'self_attn.q_proj', op: 'linear', inputs: ['attn_in'], output: 'q', outputShape: ['B', 'S', cfg.numHeads * d] },
      { module: 'self_attn.k_proj', op: 'linear', inputs: ['attn_in'], output: 'k', outputShape: ['B', 'S', cfg.numKvHeads * d] },
      { module: 'self_attn.v_proj', op: 'linear', inputs: ['attn_in'], output: 'v', outputShape: ['B', 'S', cfg.numKvHeads * d] },
    );
    if (arch.qkNorm) {
      attn.push(
        { module: 'self_attn.q_norm', op: 'norm', inputs: ['q'], output: 'q', outputShape: ['B', 'S', cfg.numHeads * d] },
        { module: 'self_attn.k_norm', op: 'norm', inputs: ['k'], output: 'k', outputShape: ['B', 'S', cfg.numKvHeads * d] },
      );
    }
    attn.push({ module: 'self_attn', op: 'attention_core', inputs: ['q', 'k', 'v'], output: 'ctx', outputShape: ['B', 'S', cfg.numHeads * d] });
  }
  attn.push(
    { module: 'self_attn.o_proj', op: 'linear', inputs: ['ctx'], output: 'attn_out', outputShape: ['B', 'S', cfg.hiddenSize] },
    { module: 'self_attn', op: 'module_boundary', inputs: ['attn_out'], output: 'attn_out', outputShape: ['B', 'S', cfg.hiddenSize] },
    { module: '', op: 'residual_add', inputs: ['x', 'attn_out'], output: 'h1', outputShape: ['B', 'S', cfg.hiddenSize] },
    { module: 'post_attention_layernorm', op: 'norm', inputs: ['h1'], output: 'h_norm2', outputShape: ['B', 'S', cfg.hiddenSize] },
    { module: 'mlp', op: 'module_boundary', inputs: ['h_norm2'], output: 'mlp_in', outputShape: ['B', 'S', cfg.hiddenSize] },
  );
  const tail: FlowStep[] = [
    { module: 'mlp', op: 'module_boundary', inputs: ['mlp_out'], output: 'mlp_out', outputShape: ['B', 'S', cfg.hiddenSize] },
    { module: '', op: 'residual_add', inputs: ['h1', 'mlp_out'], output: 'y', outputShape: ['B', 'S', cfg.hiddenSize] },
  ];
  const mlp = (prefix: string, input: string, output: string, I: number): FlowStep[] => [
    { module: `${prefix}.gate_proj`, op: 'linear', inputs: [input], output: `${output}_g`, outputShape: ['B', 'S', I] },
    { module: `${prefix}.up_proj`, op: 'linear', inputs: [input], output: `${output}_u`, outputShape: ['B', 'S', I] },
    { module: prefix, op: 'act_mul', inputs: [`${output}_g`, `${output}_u`], output: `${output}_a`, outputShape: ['B', 'S', I] },
    { module: `${prefix}.down_proj`, op: 'linear', inputs: [`${output}_a`], output, outputShape: ['B', 'S', cfg.hiddenSize] },
  ];
  const dense = [...attn, ...mlp('mlp', 'mlp_in', 'mlp_out', cfg.intermediateSize), ...tail];
  let moeFlow: FlowStep[] | undefined;
  if (arch.moe) {
    const E = cfg.numExperts!;
    const k = cfg.numExpertsPerTok!;
    moeFlow = [
      ...attn,
      { module: `mlp.${arch.moe.router}`, op: 'router', inputs: ['mlp_in'], output: 'routing', outputShape: ['T', E] },
      { module: 'mlp.experts', op: 'experts', inputs: ['mlp_in', 'routing'], output: 'experts_out', outputShape: ['T', cfg.hiddenSize] },
    ];
    if (arch.moe.sharedExperts && (cfg.numSharedExperts ?? 0) > 0) {
      moeFlow.push(...mlp('mlp.shared_experts', 'mlp_in', 'shared_out', cfg.moeIntermediateSize! * cfg.numSharedExperts!));
      moeFlow.push({ module: 'mlp', op: 'residual_add', inputs: ['experts_out', 'shared_out'], output: 'mlp_out', outputShape: ['B', 'S', cfg.hiddenSize] });
    } else {
      moeFlow.push({ module: 'mlp', op: 'residual_add', inputs: ['experts_out'], output: 'mlp_out', outputShape: ['B', 'S', cfg.hiddenSize] });
    }
    moeFlow.push(...tail);
    void k;
  }
  const hasDense = !arch.moe || (cfg.moeLayers?.length ?? 0) < cfg.numLayers;
  return {
    dense: hasDense ? dense : undefined,
    moe: moeFlow,
    head: [{ module: 'model.embed_tokens', op: 'embedding', inputs: ['input_ids'], output: 'x', outputShape: ['B', 'S', cfg.hiddenSize] }],
    tail: [
      { module: 'model.norm', op: 'norm', inputs: ['y'], output: 'y_norm', outputShape: ['B', 'S', cfg.hiddenSize] },
      { module: 'lm_head', op: 'lm_head', inputs: ['y_norm'], output: 'logits', outputShape: ['B', 'S', cfg.vocabSize] },
    ],
  };
}
