// The TPStyle(kind, comm) era (PR #45028 → #45408 chain) and the "{kind}_{comm}" strings derived from it.
import { entry } from './entry';
import type { DefName } from './defs';

export const G3_SOURCE = 'transformers src/transformers/distributed/tensor_parallel.py @ 2eba46320ef4b94465b55ae7017e70da20c928ee (PR #45028 → #45408 chain)';
export const TPSTYLE_SOURCE = 'transformers TPStyle dataclass, PR #45408 version';

/** TPStyle kinds and the comms each accepts (anything else raises "Invalid TPStyle(kind, comm)"). */
export const TPSTYLE_VALID: Record<string, string[]> = {
  colwise: ['none', 'allgather', 'loss_parallel'],
  packed_colwise: ['none'],
  rowwise: ['allreduce', 'reduce_scatter'],
  vocab: ['allreduce', 'reduce_scatter'],
  activation: ['none'],
  module: ['allgather', 'allgather_split'],
  moe_experts: ['allreduce', 'reduce_scatter'],
};
export const TPSTYLE_KINDS = Object.keys(TPSTYLE_VALID);
export const TPSTYLE_COMMS = ['none', 'allreduce', 'reduce_scatter', 'allgather', 'allgather_split', 'loss_parallel'];

/** str(TPStyle): the kind when comm is "none", else "{kind}_{comm}". */
export function tpStyleString(kind: string, comm: string): string {
  return comm === 'none' ? kind : `${kind}_${comm}`;
}

/** Behaviour of each valid (kind, comm) pair. */
const TPSTYLE_DEF: Record<string, DefName> = {
  colwise: 'colwise',
  colwise_allgather: 'colwise_gather_output',
  colwise_loss_parallel: 'colwise_loss_parallel',
  packed_colwise: 'packed_colwise',
  rowwise_allreduce: 'rowwise',
  rowwise_reduce_scatter: 'rowwise_reduce_scatter',
  vocab_allreduce: 'embedding_rowwise',
  vocab_reduce_scatter: 'vocab_reduce_scatter',
  activation: 'sequence_parallel',
  module_allgather: 'module_allgather',
  module_allgather_split: 'module_allgather_split',
  moe_experts_allreduce: 'moe_tp_experts',
  moe_experts_reduce_scatter: 'moe_experts_reduce_scatter',
};

const SP_NAMES = new Set(['colwise_loss_parallel', 'rowwise_reduce_scatter', 'vocab_reduce_scatter', 'activation', 'module_allgather', 'module_allgather_split', 'moe_experts_reduce_scatter']);

export const g3Entries = [
  ...Object.entries(TPSTYLE_VALID).flatMap(([kind, comms]) =>
    comms.map((comm) => {
      const name = tpStyleString(kind, comm);
      return entry(name, ['g3'], `${G3_SOURCE}; ${TPSTYLE_SOURCE}: TPStyle("${kind}", "${comm}")`, TPSTYLE_DEF[name], SP_NAMES.has(name) ? ['sp'] : ['tp']);
    }),
  ),
  entry('activation_seq_dim_2', ['g3'], `${G3_SOURCE}; TPStyle("activation", "none", sequence_dim=2)`, 'sequence_parallel_seq_dim_2', ['sp']),
  entry('module_allgather_hidden_states', ['g3'], `${G3_SOURCE}; TPStyle("module", "allgather", input_key="hidden_states")`, 'module_allgather_hidden_states', ['sp']),
  entry('moe_tp_gate_up_colwise', ['g3'], G3_SOURCE, 'moe_tp_gate_up_colwise', ['tp', 'sp']),
  entry('moe_tp_down_rowwise', ['g3'], G3_SOURCE, 'moe_tp_down_rowwise', ['tp', 'sp']),
  entry('grouped_gemm', ['g3'], G3_SOURCE, 'grouped_gemm', ['ep']),
  entry('moe_identity_expert', ['g3'], G3_SOURCE, 'moe_identity_expert', ['tp', 'ep']),
  entry('ep_router', ['g3'], G3_SOURCE, 'ep_router', ['ep']),
];
