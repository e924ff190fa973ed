// One paragraph per behaviour, shown in hovers and completion. Written for the user deciding what to type.
import type { DefName } from './defs';

export const docs: Record<DefName, string> = {
  colwise:
    'Column-wise parallel Linear. The weight [out, in] is split on its output dim (Shard(0)) and so is the bias; an Embedding is split on its hidden dim (Shard(1)); fused 3-D experts on dim 1. The replicated input is used as is and the output stays a local [..., out/tp] tensor (Shard(-1)), ready for a rowwise layer. Forward: no communication. Backward: the input gradient is all-reduced. Pair it with a rowwise layer that consumes the sharded output.',
  colwise_gather_output:
    'Column-wise parallel Linear whose output is gathered back: weight and bias Shard(0), then an all-gather on the last dim returns the full [..., out] output on every rank. Used on lm_head so that every rank sees full-vocabulary logits. Forward: one all-gather of the output (for lm_head: [B, S, V]). Needs the output size divisible by tp.',
  colwise_loss_parallel:
    'Sequence-parallel lm_head: the sequence-sharded input [B, S/tp, H] is all-gathered, the weight is Shard(0) on the vocabulary, and the logits stay a vocabulary-sharded DTensor [B, S, V/tp] for PyTorch loss_parallel(). Forward: all-gather of the input and three small all-reduces in the cross-entropy. Backward: reduce-scatter of the input gradient; no logits traffic.',
  packed_colwise:
    'Column-wise parallel for a packed [gate; up] weight (fused gate_up_proj). The packed dim is split as _StridedShard(dim, split_factor=2): each half is chunked over tp separately, so rank r holds gate rows r and the matching up rows r. Plain colwise on a packed weight gives rank 0 only gate rows and the last rank only up rows, which silently pairs the wrong halves. On fused experts [E, 2I, H] the packed dim is 1.',
  packed_rowwise:
    'Row-wise parallel for a weight packed along its last dim (transposed fused experts [E, H, 2I]): _StridedShard on the last dim with split_factor=2. The output is partial and all-reduced.',
  rowwise:
    'Row-wise parallel Linear. The weight [out, in] is split on its input dim (Shard(1) / Shard(-1)); the bias is replicated and added once after the reduction; an Embedding is split on the vocabulary (Shard(0)); fused 3-D experts on their last dim. Expects the input sharded on its last dim (the output of a colwise layer). Forward: the partial output is all-reduced. Backward: no communication.',
  rowwise_split_input:
    'Row-wise parallel Linear that takes a replicated input and slices it locally to Shard(-1) before the matmul (no forward communication for the slice). The partial output is all-reduced. Backward: the input gradient is all-gathered. Use it when the preceding layer is not column-parallel.',
  rowwise_reduce_scatter:
    'Sequence-parallel row-wise Linear: like rowwise, but the partial output is reduce-scattered along the sequence dim, leaving [B, S/tp, H] on each rank. Forward: reduce-scatter. Backward: all-gather.',
  embedding_rowwise:
    'Vocabulary-parallel embedding: the weight [V, H] is split on the vocabulary (Shard(0)); each rank looks up the ids it owns (masked) and the partial [B, S, H] result is all-reduced. transformers injects it for embed_tokens when word embeddings are tied.',
  embedding_colwise:
    'Hidden-parallel embedding: the weight [V, H] is split on the hidden dim (Shard(1)); each rank produces [B, S, H/tp] and the outputs are gathered.',
  vocab_reduce_scatter:
    'Sequence-parallel vocabulary-parallel embedding: weight Shard(0) on the vocabulary; the partial output is reduce-scattered along the sequence, starting the sequence-sharded residual stream [B, S/tp, H]. Forward: reduce-scatter. Backward: all-gather.',
  sequence_parallel:
    'Sequence parallel for norms: parameters are replicated and the activation stays sharded along the sequence (Shard(1)), so the norm runs on [B, S/tp, H]. A plain-tensor input is taken as already sequence-sharded. No activation communication; the replicated weights get partial gradients that must be all-reduced before the optimizer step.',
  sequence_parallel_seq_dim_2:
    'Sequence parallel on dim 2 (per-head norms such as q_norm/k_norm on [B, heads, S, d]): parameters replicated, activation Shard(2). No activation communication; weight gradients are partial.',
  sequence_parallel_g1:
    'Sequence parallel as transformers 4.5x implemented it: the norm runs on the sequence-sharded input and its output is redistributed back to Replicate, which costs an all-gather in the forward.',
  replicated_with_grad_allreduce:
    'Keeps the parameter replicated (for example Qwen3 q_norm/k_norm [head_dim] acting on head-sharded activations) and all-reduces its gradient in backward through a module hook, so the replicas stay identical in training.',
  replicate: 'Replicates the module: parameters become Replicate() DTensors and inputs and outputs are replicated. No communication.',
  all_reduce: 'All-reduces the module output (Partial → Replicate). Use it on a module whose output is partial because its children were row-parallel.',
  mla_kv_a_proj:
    'DeepSeek MLA kv_a_proj_with_mqa: the weight [kv_lora_rank + qk_rope_head_dim, H] stays replicated; its output splits into the compressed KV (feeding the colwise kv_b_proj) and the RoPE key part, whose gradient is all-reduced in backward because it bypasses kv_b_proj. Needs config.qk_rope_head_dim.',
  local_colwise:
    'Column-wise slicing kept as a plain local tensor (no DTensor, no hooks): the parent module must communicate, typically with gather.',
  local_rowwise:
    'Row-wise slicing kept as a plain local tensor (no DTensor, no hooks): the parent module must communicate, typically with gather.',
  local_packed_rowwise: 'Packed (gate/up) slicing kept as a plain local tensor; the parent module must communicate.',
  local: 'Keeps the parameter local and divides it by the world size, assuming the parent module all-reduces the result.',
  gather: 'All-reduces (sum) the first output of the module synchronously. Pairs with local_* parameter styles on its children.',
  module_allgather:
    'Prepares a module’s first positional input: the sequence-sharded activation [B, S/tp, H] is all-gathered to Replicate before the module runs (PrepareModuleInput Shard(1) → Replicate). Forward: all-gather. Backward: reduce-scatter.',
  module_allgather_hidden_states:
    'Like module_allgather, for the hidden_states keyword argument (attention modules receive it as a keyword). Forward: all-gather. Backward: reduce-scatter.',
  module_allgather_split:
    'Gathers the sequence-sharded input before the module and splits its replicated output back along the sequence locally (PrepareModuleInputOutput). Used on MoE blocks under sequence parallelism. Forward: all-gather in, local split out. Backward: all-gather for the output, reduce-scatter for the input.',
  moe_tp_experts:
    'Tensor-parallel fused experts module: tokens [T, H] arrive replicated, each rank runs every expert on its slice of the intermediate dim (gate_up_proj packed_colwise, down_proj rowwise), and the partial output is all-reduced. Under expert parallelism the same module combines the outputs of the local experts with one all-reduce. Backward: all-reduce of the hidden-states gradient (and of the routing weights unless experts are expert-parallel).',
  moe_experts_reduce_scatter:
    'Fused experts under sequence parallelism: like moe_tp_experts, but the partial output is reduce-scattered over the token dim instead of all-reduced.',
  grouped_gemm:
    'Expert parallelism: every expert parameter is split on its expert dim (Shard(0)), so each rank owns E/ep whole experts, and the module’s expert count becomes E/ep. Needs the number of experts divisible by the ep size.',
  ep_router:
    'Expert-parallel router hook: after routing, experts not owned by this rank get score 0 and a sentinel index, and local expert indices are remapped. The router weight stays replicated. Needs the number of experts divisible by the ep size.',
  megamoe_router: 'DeepGEMM Mega-MoE router passthrough for expert parallelism (inference only).',
  megamoe_experts: 'DeepGEMM Mega-MoE experts on the expert-parallel process group, without gradient hooks (inference only).',
  moe_identity_expert: 'Identity (zero-compute) experts: the input is divided by the world size so that the later all-reduce sum restores it.',
  ep_dispatch_experts:
    'Expert parallelism with all-to-all token dispatch: tokens are sent to the ranks owning their experts and the outputs sent back, instead of every rank running all its tokens and all-reducing.',
  moe_tp_gate_up_colwise:
    'Parameter-level shard of fused experts gate_up_proj [E, 2I, H]: _StridedShard(dim=-2, split_factor=2), so each rank keeps matching gate and up rows.',
  moe_tp_down_rowwise: 'Parameter-level shard of fused experts down_proj [E, H, I] on its last dim (Shard(-1)).',
};
