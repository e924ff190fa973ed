// RankPrograms: the SPMD lowering, one op list per rank over named buffers.
// Shared by the cost model (predicted timeline) and the runtime (measured timeline).

export type BufferDType = 'f32' | 'bf16' | 'i32';

export interface BufferDecl {
  id: string;
  shape: number[];
  dtype: BufferDType;
  /** Counter-based init: weights keyed by parameter name and global index, so each rank makes only its shard. */
  init?: { kind: 'param'; key: string; globalShape: number[]; ranges: [number, number][][]; scale: number } | { kind: 'zeros' } | { kind: 'input'; key: string; globalShape: number[]; ranges: [number, number][][]; scale: number };
  /** Rank that owns the buffer (buffers are per rank; ids may repeat across ranks). */
  rank: number;
}

/** Op semantics as the JS interpreter runs them: extension/core/lower/interpret.ts (attention and experts are
 *  lowered ops the addon does not run yet). */
export type OpName =
  | 'gemm' | 'silu_mul' | 'add' | 'rmsnorm' | 'softmax' | 'topk' | 'gather_rows' | 'scatter_add_rows'
  | 'copy' | 'slice' | 'concat' | 'scale' | 'attention' | 'experts'
  | 'all_reduce' | 'all_gather' | 'reduce_scatter' | 'all_to_all' | 'all_to_all_v' | 'broadcast' | 'send' | 'recv'
  // A timed wait (runtime tests of timeouts and progress).
  | 'sleep';

export interface OpLabel {
  layer?: number;
  module?: string;
  entry?: string;
  file?: string;
  line?: number;
  pass?: 'forward' | 'backward';
}

export interface RankOp {
  op: OpName;
  ins: string[];
  outs: string[];
  /** Index into RankPrograms.groups, for collectives. */
  group?: number;
  attrs?: Record<string, number | string | boolean | number[]>;
  label: OpLabel;
}

export interface RankPrograms {
  worldSize: number;
  groups: number[][];
  buffers: BufferDecl[];
  ranks: { rank: number; ops: RankOp[] }[];
}
