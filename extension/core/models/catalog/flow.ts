// The activation flow of the standard decoder layer, found from the recorded module roles: the same
// steps for every architecture whose layers are norm → attention → residual → norm → MLP or MoE → residual.
import type { FlowStep, ModelGraph, NormalizedConfig } from '../types';
import type { CatalogArchitecture, LayerVariant, ModuleRole } from './types';

type Dim = FlowStep['outputShape'][number];

export class NonStandardFlow extends Error {}

/** Module path (relative to the layer) of the first module with a role, if any. */
function byRole(v: LayerVariant, role: ModuleRole): string | undefined {
  return v.modules.find((m) => m.role === role)?.path;
}

/** Steps of one layer variant, or a NonStandardFlow error saying what does not fit. */
export function layerFlow(v: LayerVariant, cfg: NormalizedConfig, widthOf: (path: string) => number | undefined): FlowStep[] {
  const H = cfg.hiddenSize;
  const bsh: Dim[] = ['B', 'S', H];
  const need = (role: ModuleRole): string => {
    const p = byRole(v, role);
    if (p === undefined) throw new NonStandardFlow(`its layers have no ${role.replace(/_/g, ' ')} module`);
    return p;
  };
  const width = (path: string, fallback: number) => widthOf(path) ?? fallback;
  if (byRole(v, 'attn_qkv')) throw new NonStandardFlow('its attention projects q, k and v with one fused qkv_proj');
  if (byRole(v, 'mlp_gate_up')) throw new NonStandardFlow('its MLP projects gate and up with one fused gate_up_proj');
  const attnPath = need('attention');
  const inNorm = byRole(v, 'input_norm');
  const postAttn = byRole(v, 'post_attention_norm');
  const preMlp = byRole(v, 'pre_mlp_norm');
  const postMlp = byRole(v, 'post_mlp_norm');
  // Llama: input and post-attention norms before each block. Gemma: a pre- and post-norm around each
  // block. OLMo 2: no input norm, the post-attention and post-MLP norms on each block's output.
  const sandwich = !!preMlp;
  const outputNorms = !inNorm && !!postAttn;
  const steps: FlowStep[] = [];
  let attnIn = 'x';
  if (inNorm) {
    steps.push({ module: inNorm, op: 'norm', inputs: ['x'], output: 'h_norm1', outputShape: bsh });
    attnIn = 'h_norm1';
  }
  steps.push({ module: attnPath, op: 'module_boundary', inputs: [attnIn], output: 'attn_in', outputShape: bsh });
  const nh = cfg.numHeads;
  if (byRole(v, 'mla_kv_a')) {
    const qk = (cfg.qkNopeHeadDim ?? 0) + (cfg.qkRopeHeadDim ?? 0);
    const qa = byRole(v, 'mla_q_a');
    if (qa) {
      const r = width(qa, cfg.qLoraRank ?? 0);
      steps.push(
        { module: qa, op: 'linear', inputs: ['attn_in'], output: 'q_a', outputShape: ['B', 'S', r] },
        { module: need('mla_q_a_norm'), op: 'norm', inputs: ['q_a'], output: 'q_a_n', outputShape: ['B', 'S', r] },
        { module: need('mla_q_b'), op: 'linear', inputs: ['q_a_n'], output: 'q', outputShape: ['B', 'S', nh * qk] },
      );
    } else steps.push({ module: need('attn_q'), op: 'linear', inputs: ['attn_in'], output: 'q', outputShape: ['B', 'S', nh * qk] });
    const kva = need('mla_kv_a');
    steps.push(
      { module: kva, op: 'linear', inputs: ['attn_in'], output: 'kv_a', outputShape: ['B', 'S', width(kva, (cfg.kvLoraRank ?? 0) + (cfg.qkRopeHeadDim ?? 0))] },
      { module: need('mla_kv_a_norm'), op: 'norm', inputs: ['kv_a'], output: 'kv_a_n', outputShape: ['B', 'S', cfg.kvLoraRank ?? 0] },
      { module: need('mla_kv_b'), op: 'linear', inputs: ['kv_a_n'], output: 'kv', outputShape: ['B', 'S', nh * ((cfg.qkNopeHeadDim ?? 0) + (cfg.vHeadDim ?? 0))] },
      { module: attnPath, op: 'attention_core', inputs: ['q', 'kv', 'kv_a'], output: 'ctx', outputShape: ['B', 'S', nh * (cfg.vHeadDim ?? 0)] },
    );
  } else {
    const d = cfg.headDim;
    const q = need('attn_q');
    const k = need('attn_k');
    const vv = need('attn_v');
    steps.push(
      { module: q, op: 'linear', inputs: ['attn_in'], output: 'q', outputShape: ['B', 'S', width(q, nh * d)] },
      { module: k, op: 'linear', inputs: ['attn_in'], output: 'k', outputShape: ['B', 'S', width(k, cfg.numKvHeads * d)] },
      { module: vv, op: 'linear', inputs: ['attn_in'], output: 'v', outputShape: ['B', 'S', width(vv, cfg.numKvHeads * d)] },
    );
    const qn = byRole(v, 'attn_q_norm');
    const kn = byRole(v, 'attn_k_norm');
    if (qn) steps.push({ module: qn, op: 'norm', inputs: ['q'], output: 'q', outputShape: ['B', 'S', width(q, nh * d)] });
    if (kn) steps.push({ module: kn, op: 'norm', inputs: ['k'], output: 'k', outputShape: ['B', 'S', width(k, cfg.numKvHeads * d)] });
    steps.push({ module: attnPath, op: 'attention_core', inputs: ['q', 'k', 'v'], output: 'ctx', outputShape: ['B', 'S', width(q, nh * d)] });
  }
  const o = need('attn_o');
  steps.push(
    { module: o, op: 'linear', inputs: ['ctx'], output: 'attn_out', outputShape: bsh },
    { module: attnPath, op: 'module_boundary', inputs: ['attn_out'], output: 'attn_out', outputShape: bsh },
  );
  let attnOut = 'attn_out';
  if ((sandwich || outputNorms) && postAttn) {
    steps.push({ module: postAttn, op: 'norm', inputs: ['attn_out'], output: 'attn_out_n', outputShape: bsh });
    attnOut = 'attn_out_n';
  }
  steps.push({ module: '', op: 'residual_add', inputs: ['x', attnOut], output: 'h1', outputShape: bsh });
  let mlpIn = 'h1';
  const preNorm = sandwich ? preMlp : outputNorms ? undefined : postAttn;
  if (preNorm) {
    steps.push({ module: preNorm, op: 'norm', inputs: ['h1'], output: 'h_norm2', outputShape: bsh });
    mlpIn = 'h_norm2';
  }
  const moe = byRole(v, 'moe');
  const mlpPath = moe ?? need('mlp');
  steps.push({ module: mlpPath, op: 'module_boundary', inputs: [mlpIn], output: 'mlp_in', outputShape: bsh });
  const mlp = (prefix: string, input: string, output: string, fallbackI: number): FlowStep[] => {
    const sub = (role: ModuleRole) => v.modules.find((m) => m.role === role && m.path.startsWith(`${prefix}.`))?.path;
    const g = sub('mlp_gate');
    const u = sub('mlp_up');
    const dn = sub('mlp_down');
    if (!u || !dn) throw new NonStandardFlow(`its ${prefix} has no up and down projections`);
    const I = width(u, fallbackI);
    const out: FlowStep[] = [];
    if (g) out.push({ module: g, op: 'linear', inputs: [input], output: `${output}_g`, outputShape: ['B', 'S', I] });
    out.push({ module: u, op: 'linear', inputs: [input], output: `${output}_u`, outputShape: ['B', 'S', I] });
    out.push({ module: prefix, op: 'act_mul', inputs: g ? [`${output}_g`, `${output}_u`] : [`${output}_u`, `${output}_u`], output: `${output}_a`, outputShape: ['B', 'S', I] });
    out.push({ module: dn, op: 'linear', inputs: [`${output}_a`], output, outputShape: bsh });
    return out;
  };
  if (moe) {
    const router = need('router');
    const experts = need('experts');
    const E = cfg.numExperts ?? 0;
    steps.push(
      { module: router, op: 'router', inputs: ['mlp_in'], output: 'routing', outputShape: ['T', E] },
      { module: experts, op: 'experts', inputs: ['mlp_in', 'routing'], output: 'experts_out', outputShape: ['T', H] },
    );
    const shared = byRole(v, 'shared_experts');
    if (shared) {
      steps.push(...mlp(shared, 'mlp_in', 'shared_out', cfg.moeIntermediateSize ?? cfg.intermediateSize));
      steps.push({ module: moe, op: 'residual_add', inputs: ['experts_out', 'shared_out'], output: 'mlp_out', outputShape: bsh });
    } else steps.push({ module: moe, op: 'residual_add', inputs: ['experts_out'], output: 'mlp_out', outputShape: bsh });
  } else steps.push(...mlp(mlpPath, 'mlp_in', 'mlp_out', cfg.intermediateSize));
  steps.push({ module: mlpPath, op: 'module_boundary', inputs: ['mlp_out'], output: 'mlp_out', outputShape: bsh });
  let mlpOut = 'mlp_out';
  if ((sandwich || outputNorms) && postMlp) {
    steps.push({ module: postMlp, op: 'norm', inputs: ['mlp_out'], output: 'mlp_out_n', outputShape: bsh });
    mlpOut = 'mlp_out_n';
  }
  steps.push({ module: '', op: 'residual_add', inputs: ['h1', mlpOut], output: 'y', outputShape: bsh });
  return steps;
}

/**
 * The flow of the dense and MoE layer variants and of the model ends. Throws NonStandardFlow when the
 * recorded roles do not make the standard decoder flow (the caller says so on the plan).
 */
export function flowFromRoles(arch: CatalogArchitecture, cfg: NormalizedConfig, widthOf: (path: string) => number | undefined, layerPath: string): ModelGraph['flow'] {
  const variants = Object.values(arch.layers?.variants ?? {});
  const isMoe = (v: LayerVariant) => v.modules.some((m) => m.role === 'moe');
  const denseV = variants.find((v) => !isMoe(v));
  const moeV = variants.find(isMoe);
  const rel = (v: LayerVariant) => (path: string) => widthOf(`${layerPath}.${path}`);
  const dense = denseV ? layerFlow(denseV, cfg, rel(denseV)) : undefined;
  const moe = moeV ? layerFlow(moeV, cfg, rel(moeV)) : undefined;
  const endRole = (role: ModuleRole) => arch.ends.modules.find((m) => m.role === role)?.path;
  const emb = endRole('embedding');
  const norm = endRole('final_norm');
  const head = endRole('lm_head');
  if (!emb) throw new NonStandardFlow('it has no token embedding');
  const bsh: Dim[] = ['B', 'S', cfg.hiddenSize];
  const tail: FlowStep[] = [];
  let y = 'y';
  if (norm) {
    tail.push({ module: norm, op: 'norm', inputs: ['y'], output: 'y_norm', outputShape: bsh });
    y = 'y_norm';
  }
  if (head) tail.push({ module: head, op: 'lm_head', inputs: [y], output: 'logits', outputShape: ['B', 'S', cfg.vocabSize] });
  return {
    dense: dense && (!moe || (cfg.moeLayers?.length ?? 0) < cfg.numLayers) ? dense : undefined,
    moe,
    head: [{ module: emb, op: 'embedding', inputs: ['input_ids'], output: 'x', outputShape: bsh }],
    tail,
  };
}
