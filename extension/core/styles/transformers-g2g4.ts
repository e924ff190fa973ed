// transformers 5.x style strings: the v5.x documentation listing (g2) and the newest
// distributed/tensor_parallel.py after PR #47579 and PR #48300 (g4). Most names are shared.
import { entry } from './entry';

export const G2_SOURCE = 'transformers v5.x documentation listing of integrations/tensor_parallel.py styles';
export const G4_SOURCE =
  'transformers src/transformers/distributed/tensor_parallel.py on main after PR #47579 (≈ 2026-08) and PR #48300; model configs read @ 008e574391258935f3ecc3035c882e73bbcac419';
const BOTH = `${G2_SOURCE}; ${G4_SOURCE}`;

export const g2g4Entries = [
  entry('embedding_rowwise', ['g2', 'g4'], BOTH, 'embedding_rowwise'),
  entry('embedding_colwise', ['g2'], G2_SOURCE, 'embedding_colwise'),
  entry('colwise_gather_output', ['g2', 'g4'], BOTH, 'colwise_gather_output'),
  entry('colwise_rep', ['g4'], G4_SOURCE + ' (backward-compatible alias restored by PR #48300)', 'colwise_gather_output', ['tp'], { aliasOf: 'colwise_gather_output' }),
  entry('colwise', ['g2', 'g4'], BOTH, 'colwise'),
  entry('rowwise', ['g2', 'g4'], BOTH, 'rowwise'),
  entry('rowwise_split_input', ['g2', 'g4'], BOTH, 'rowwise_split_input'),
  entry('rowwise_rep', ['g4'], G4_SOURCE + ' (backward-compatible alias restored by PR #48300)', 'rowwise_split_input', ['tp'], { aliasOf: 'rowwise_split_input' }),
  entry('packed_colwise', ['g2', 'g4'], BOTH, 'packed_colwise'),
  entry('packed_rowwise', ['g2', 'g4'], BOTH, 'packed_rowwise'),
  entry('sequence_parallel', ['g2', 'g4'], BOTH, 'sequence_parallel', ['tp', 'sp']),
  entry('grouped_gemm', ['g2', 'g4'], BOTH, 'grouped_gemm', ['ep']),
  entry('ep_router', ['g2', 'g4'], BOTH, 'ep_router', ['ep']),
  entry('megamoe_router', ['g2', 'g4'], BOTH, 'megamoe_router', ['ep']),
  entry('moe_tp_experts', ['g2', 'g4'], BOTH, 'moe_tp_experts', ['tp', 'ep']),
  entry('megamoe_experts', ['g2', 'g4'], BOTH, 'megamoe_experts', ['ep']),
  entry('moe_identity_expert', ['g2', 'g4'], BOTH, 'moe_identity_expert', ['tp', 'ep']),
  entry('replicated_with_grad_allreduce', ['g2', 'g4'], BOTH, 'replicated_with_grad_allreduce'),
  entry('mla_kv_a_proj', ['g2', 'g4'], BOTH, 'mla_kv_a_proj'),
  entry('all_reduce', ['g2', 'g4'], BOTH, 'all_reduce'),
  entry('ep_dispatch_experts', ['g4'], G4_SOURCE + ' (referenced by DistributedConfig experts_dispatch="all-to-all")', 'ep_dispatch_experts', ['ep']),
];
