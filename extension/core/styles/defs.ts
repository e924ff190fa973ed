// The behaviours transformers' style names map to. Several names across generations share one
// behaviour (rowwise_allreduce = rowwise, colwise_rep = colwise_gather_output ...).
import { R, P, S, type StyleDef } from './define';

const LINEAR_LIKE = ['linear', 'embedding'] as const;

export const defs = {
  /** Column-parallel Linear: weight/bias Shard(out); output stays a local Shard(-1) tensor; input grad all-reduced. */
  colwise: {
    appliesTo: [...LINEAR_LIKE, 'experts'],
    params: 'colwise',
    input: { declared: R, desired: R },
    output: { produced: S(-1), desired: S(-1), useLocal: true },
    inputGrad: 'partial',
  },
  colwise_gather_output: {
    appliesTo: [...LINEAR_LIKE],
    params: 'colwise',
    input: { declared: R, desired: R },
    output: { produced: S(-1), desired: R, useLocal: true },
    inputGrad: 'partial',
  },
  /** SP: input sequence-sharded, gathered; logits stay vocab-sharded DTensors for loss_parallel. */
  colwise_loss_parallel: {
    appliesTo: ['linear'],
    params: 'colwise',
    input: { declared: S(1), desired: R },
    output: { produced: S(-1), desired: S(-1), useLocal: false },
    inputGrad: 'partial',
    extraForward: [{ op: 'all_reduce', at: 'loss', note: 'loss_parallel cross-entropy: 3 all-reduces of [rows, 1] (max, sum-exp, target logit)' }],
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  packed_colwise: {
    appliesTo: ['linear', 'experts'],
    params: 'packed_colwise',
    input: { declared: R, desired: R },
    output: { produced: S(-1), desired: S(-1), useLocal: true },
    inputGrad: 'partial',
    flags: { packed: true },
  },
  packed_rowwise: {
    appliesTo: ['linear', 'experts'],
    params: 'packed_rowwise',
    input: { declared: S(-1), desired: S(-1) },
    output: { produced: P, desired: R, useLocal: true },
    flags: { packed: true },
  },
  rowwise: {
    appliesTo: [...LINEAR_LIKE, 'experts'],
    params: 'rowwise',
    input: { declared: S(-1), desired: S(-1) },
    output: { produced: P, desired: R, useLocal: true },
  },
  rowwise_split_input: {
    appliesTo: ['linear'],
    params: 'rowwise',
    input: { declared: R, desired: S(-1) },
    output: { produced: P, desired: R, useLocal: true },
  },
  rowwise_reduce_scatter: {
    appliesTo: ['linear'],
    params: 'rowwise',
    input: { declared: S(-1), desired: S(-1) },
    output: { produced: P, desired: S(1), useLocal: true },
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  embedding_rowwise: {
    appliesTo: ['embedding'],
    params: 'embedding_rowwise',
    input: { declared: R, desired: R },
    output: { produced: P, desired: R, useLocal: true },
  },
  embedding_colwise: {
    appliesTo: ['embedding'],
    params: 'embedding_colwise',
    input: { declared: R, desired: R },
    output: { produced: S(-1), desired: R, useLocal: true },
  },
  vocab_reduce_scatter: {
    appliesTo: ['embedding'],
    params: 'embedding_rowwise',
    input: { declared: R, desired: R },
    output: { produced: P, desired: S(1), useLocal: true },
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  /** Norms under SP: params replicated, activations sequence-sharded; the weight grads are Partial. */
  sequence_parallel: {
    appliesTo: ['norm', 'other'],
    params: 'replicate',
    input: { declared: S(1), desired: S(1) },
    output: { produced: S(1), desired: S(1), useLocal: false },
    extraBackward: [{ op: 'all_reduce', at: 'param_grad', when: 'optimizer', note: 'replicated norm weights get Partial gradients, reduced before the optimizer step' }],
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  sequence_parallel_seq_dim_2: {
    appliesTo: ['norm', 'other'],
    params: 'replicate',
    input: { declared: S(2), desired: S(2) },
    output: { produced: S(2), desired: S(2), useLocal: false },
    extraBackward: [{ op: 'all_reduce', at: 'param_grad', when: 'optimizer' }],
    flags: { sequenceParallel: true, sequenceDim: 2 },
  },
  /** G1 sequence_parallel: the output was redistributed back to Replicate (an all-gather). */
  sequence_parallel_g1: {
    appliesTo: ['norm', 'other'],
    params: 'replicate',
    input: { declared: S(1), desired: S(1) },
    output: { produced: S(1), desired: R, useLocal: true },
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  /** transformers 5.18 leaves the parameter a plain tensor and all-reduces its gradient with a hook (observed). */
  replicated_with_grad_allreduce: {
    appliesTo: ['norm', 'linear', 'other'],
    params: 'none',
    extraBackward: [{ op: 'all_reduce', at: 'param_grad', note: 'module full-backward hook all-reduces the parameter gradient' }],
  },
  replicate: {
    appliesTo: ['linear', 'embedding', 'norm', 'other'],
    params: 'replicate',
    input: { declared: R, desired: R },
    output: { produced: R, desired: R, useLocal: true },
  },
  all_reduce: {
    appliesTo: ['linear', 'mlp', 'moe', 'attention', 'experts', 'other'],
    params: 'none',
    output: { produced: P, desired: R, useLocal: true },
  },
  /** DeepSeek MLA: kv_a_proj_with_mqa stays replicated; the RoPE half of its output grad is all-reduced. */
  mla_kv_a_proj: {
    appliesTo: ['linear'],
    params: 'replicate',
    extraBackward: [{ op: 'all_reduce', at: 'output', note: 'gradient of the RoPE part of the output, which bypasses kv_b_proj' }],
  },
  /** G1 local_*: sliced like colwise/rowwise but kept plain local tensors; the parent module communicates. */
  local_colwise: { appliesTo: ['linear', 'experts'], params: 'colwise', flags: { plainLocal: true } },
  local_rowwise: { appliesTo: ['linear', 'experts'], params: 'rowwise', flags: { plainLocal: true } },
  local_packed_rowwise: { appliesTo: ['linear', 'experts'], params: 'packed_colwise', flags: { plainLocal: true, packed: true } },
  /** G1 IsolatedParallel: the parameter stays local and is divided by the world size (the parent all-reduces). */
  local: { appliesTo: ['linear', 'experts', 'other'], params: 'none', flags: { plainLocal: true } },
  /** G1 GatherParallel: all-reduce (sum) of the module's first output. */
  gather: {
    appliesTo: ['mlp', 'moe', 'experts', 'other'],
    params: 'none',
    output: { produced: P, desired: R, useLocal: true },
  },
  /** Module input gathered along the sequence (PrepareModuleInput S(1) → R). */
  module_allgather: {
    appliesTo: ['attention', 'mlp', 'moe', 'decoder_layer', 'other'],
    params: 'none',
    input: { declared: S(1), desired: R },
    inputGrad: 'partial',
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  module_allgather_hidden_states: {
    appliesTo: ['attention', 'mlp', 'moe', 'decoder_layer', 'other'],
    params: 'none',
    input: { declared: S(1), desired: R },
    inputGrad: 'partial',
    flags: { sequenceParallel: true, sequenceDim: 1, inputKwarg: 'hidden_states' },
  },
  /** PrepareModuleInputOutput: gather the input, split the (replicated) output back along the sequence locally. */
  module_allgather_split: {
    appliesTo: ['mlp', 'moe', 'other'],
    params: 'none',
    input: { declared: S(1), desired: R },
    output: { produced: R, desired: S(1), useLocal: true },
    inputGrad: 'partial',
    flags: { sequenceParallel: true, sequenceDim: 1 },
  },
  /** TP experts module: replicated tokens in (input grad all-reduced), partial output all-reduced. */
  moe_tp_experts: {
    appliesTo: ['experts'],
    params: 'none',
    input: { declared: R, desired: R },
    output: { produced: P, desired: R, useLocal: true },
    inputGrad: 'partial',
    flags: { moeExperts: true, dispatch: 'all_reduce' },
  },
  /** SP variant: the partial expert output is reduce-scattered over the flattened token dim. */
  moe_experts_reduce_scatter: {
    appliesTo: ['experts'],
    params: 'none',
    input: { declared: R, desired: R },
    output: { produced: P, desired: S(0), useLocal: true },
    inputGrad: 'partial',
    flags: { moeExperts: true, dispatch: 'all_reduce', sequenceParallel: true, sequenceDim: 0 },
  },
  /** Expert parallel: experts split on their first dim over the ep ranks. */
  grouped_gemm: {
    appliesTo: ['experts'],
    params: 'expert_dim',
    flags: { expertParallel: true },
  },
  ep_router: {
    appliesTo: ['router'],
    params: 'none',
    flags: { expertParallel: true, router: true },
  },
  megamoe_router: {
    appliesTo: ['router'],
    params: 'none',
    flags: { expertParallel: true, router: true, inferenceOnly: true },
  },
  megamoe_experts: {
    appliesTo: ['experts'],
    params: 'none',
    output: { produced: P, desired: R, useLocal: true },
    flags: { expertParallel: true, moeExperts: true, inferenceOnly: true, dispatch: 'all_reduce' },
  },
  /** Identity ("zero") experts: the input is divided by the world size to cancel the later all-reduce sum. */
  moe_identity_expert: { appliesTo: ['experts', 'other'], params: 'none' },
  /** All-to-all token dispatch and combine for expert parallelism. */
  ep_dispatch_experts: {
    appliesTo: ['experts'],
    params: 'none',
    extraForward: [
      { op: 'all_to_all', at: 'input', note: 'dispatch tokens to the ranks owning their experts' },
      { op: 'all_to_all', at: 'output', note: 'combine expert outputs back to the tokens’ ranks' },
    ],
    extraBackward: [
      { op: 'all_to_all', at: 'output' },
      { op: 'all_to_all', at: 'input' },
    ],
    flags: { expertParallel: true, moeExperts: true, dispatch: 'all_to_all' },
  },
  /** Parameter-level MoE TP shards (G3): gate_up as packed colwise, down as rowwise on the last dim. */
  moe_tp_gate_up_colwise: { appliesTo: ['experts'], params: 'packed_colwise', flags: { packed: true } },
  moe_tp_down_rowwise: { appliesTo: ['experts'], params: 'rowwise' },
} satisfies Record<string, StyleDef>;

export type DefName = keyof typeof defs;
