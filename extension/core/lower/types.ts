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
/**
 * Ops the native runtime executes (full semantics in native/README.md). Shapes: leading dims flatten
 * into rows; "last dim" is the feature dim. Outputs may alias inputs unless said otherwise.
 * - gemm: ins [A (…×K), B (K×N, or N×K with attrs.transB)], outs [C (…×N)]; attrs.accumulate adds to C.
 *   f32, or bf16 storage with fp32 accumulation.
 * - silu_mul: ins [gate, up] → silu(gate)·up. add: ins [a, b] → a+b. scale: ins [a] → a·attrs.factor.
 * - rmsnorm: ins [x, w (last dim)] → x/√(mean(x²)+attrs.eps)·w over the last dim.
 * - softmax: over the last dim.
 * - topk: ins [logits (T×E)], outs [weights (T×k), indices (T×k, i32)]; attrs.k, attrs.scoring
 *   ('softmax' default, or 'none'), attrs.normalize (weights sum to 1 over the k). Ties → lower index.
 * - gather_rows: ins [x (R×…), idx (i32)] → rows x[idx[i]]. scatter_add_rows: ins [y, idx, weights?],
 *   outs [x]: x[idx[i]] += w[i]·y[i] (x zeroed first unless attrs.accumulate).
 * - copy (dtype may change; the output may have another shape of the same element count: a reshape),
 *   slice (attrs.dim, attrs.start; length = the output's dim; or attrs.index/parts: the index-th of `parts`
 *   equal chunks), concat (attrs.dim; inputs may repeat one buffer: multi-head latent attention shares one
 *   rotary key with every head this way).
 * - rope: ins [x (T×…)], outs [y] (same element count). Each token's values are heads of
 *   d = 2·attrs.invFreq.length; token t has position p = attrs.positionOffset (0) + t mod (T / attrs.batch (1)).
 *   With θᵢ = p·invFreq[i] (i < d/2), c = cos θᵢ·attrs.attnFactor (1), s = sin θᵢ·attnFactor, each head's
 *   pairs (a, b) = (x[2i], x[2i+1]) when attrs.interleaved, else (x[i], x[i+d/2]), give y[i] = a·c − b·s and
 *   y[i+d/2] = b·c + a·s (so interleaved input comes out de-interleaved, as transformers leaves it).
 *   cos/sin in double precision, products in fp32.
 * - attention: ins [q, k, v] with q [T, hq·headDim], k [T, hk·headDim], v [T, hk·vHeadDim]; causal, batch
 *   sequences of T/batch tokens; scores scaled by attrs.scale (default 1/√headDim); query head h reads kv
 *   head ⌊h·hk/hq⌋; out [T, hq·vHeadDim].
 * - all_reduce (attrs.reduce 'sum'|'max'), all_gather (out = n× in, member order along dim 0),
 *   reduce_scatter (in = n× out; member i keeps chunk i), all_to_all (equal chunks along dim 0),
 *   all_to_all_v (rows; attrs.sendCounts / recvCounts per member, which must agree across ranks),
 *   broadcast (attrs.root, a global rank in the group): each over RankOp.group.
 * - send (ins [x], attrs.peer) / recv (outs [y], attrs.peer): rendezvous, matched in program order.
 * - sleep: attrs.ms; a diagnostic op (slow-rank rehearsals, watchdog tests).
 *
 * The model's ends and the all-to-all expert dispatch (native/src/ops_dispatch.cc, interpret-ends.ts):
 * - embedding: ins [], outs [y (T×(colEnd−colStart))]; attrs key, vocab, hidden, ids (T global token
 *   ids), vocabStart/vocabEnd (this rank's rows of the [vocab, hidden] table), colStart/colEnd, scale.
 *   y[t] = table[ids[t], colStart:colEnd] when vocabStart ≤ ids[t] < vocabEnd, else zeros (the vocab-
 *   parallel lookup: an all-reduce or reduce-scatter sums the ranks' rows). Table rows are generated from
 *   the counter generator for the looked-up ids only; the table is never materialised.
 * - row_max: ins [x (M×N)] → [M×1] max over the last dim (−∞ when N = 0).
 * - row_sum_exp: ins [x (M×N), m (M×1)] → [M×1] Σ exp(x − m).
 * - target_logit: ins [x (M×N)]; attrs targets (M global class ids), vocabStart → [M×1]: x[i, t − vocabStart]
 *   where this rank's columns hold target t, else 0 (the owning rank contributes, a sum all-reduce joins).
 * - cross_entropy: ins [m, s, t (each M×1)] → [1×1] mean over rows of log(s) + m − t.
 *   loss_parallel as PyTorch computes it: row_max → all_reduce max → row_sum_exp → all_reduce sum →
 *   target_logit → all_reduce sum → cross_entropy.
 * - dispatch_pack: ins [x (T×H), idx (R×k), weights (R×k)], outs [rows (T·k×H), experts (T·k×1),
 *   weights (T·k×1), tokens (T·k×1)]; attrs bounds (n+1 expert boundaries: member i owns experts
 *   [bounds[i], bounds[i+1])), rowStart (the routing row of x's first row, default 0), sendCounts
 *   (optional check). Every (token, slot) pair ordered by destination member, then token, then slot.
 *   A pair whose expert no member owns, or counts that differ from sendCounts, are errors.
 * Expert dispatch with all_to_all_v: the counts are fixed at lowering time from the reference's routing
 * (LowerOptions.routing; the sharded run reuses that routing, so the data-dependent counts are known).
 * Lowered as dispatch_pack → all_to_all_v of rows, expert ids and weights → experts over the received
 * rows (k = 1) → all_to_all_v back (counts mirrored) → scatter_add_rows into the tokens' rows.
 */
export type OpName =
  | 'sleep'
  | 'gemm' | 'silu_mul' | 'add' | 'rmsnorm' | 'softmax' | 'topk' | 'gather_rows' | 'scatter_add_rows'
  | 'copy' | 'slice' | 'concat' | 'scale' | 'attention' | 'experts'
  | 'rope'
  | 'embedding' | 'row_max' | 'row_sum_exp' | 'target_logit' | 'cross_entropy' | 'dispatch_pack'
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
