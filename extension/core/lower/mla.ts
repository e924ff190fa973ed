// Multi-head latent attention (DeepSeek-V2/V3) after its projections, composed of plain ops: the
// per-head split of q into [nope | rope] and of kv_b_proj's output into [k_nope | v], the rotary key
// split off kv_a_proj_with_mqa's output and shared by every local head, RoPE on the rotary parts, and
// attention with head dim nope + rope and value head dim v. Per rank, with `heads` local heads.
import type { RankOp } from './types';
import type { RopeSpec } from './rope';

export interface MlaDims {
  /** Local heads on this rank (the same on every rank). */
  heads: number;
  tokens: number;
  nope: number;
  rope: number;
  v: number;
  kvLoraRank: number;
}

export interface MlaBuffers {
  /** q_b_proj (or q_proj) output [T, heads·(nope+rope)]. */
  q: string;
  /** kv_b_proj output [T, heads·(nope+v)]. */
  kv: string;
  /** kv_a_proj_with_mqa output [T, kvLoraRank + rope] (whole on every rank). */
  kvA: string;
}

/** Declares a buffer (the same shape on every rank) and returns its id. */
export type DeclareBuffer = (name: string, shape: number[]) => string;
/** Appends one op (without its label) to every rank's program. */
export type EmitOp = (op: Omit<RankOp, 'label'>) => void;

/**
 * Emits the ops of MLA's core and returns the context buffer [T, heads·v] that o_proj reads.
 * Without `rope` the rotary parts pass through unrotated.
 */
export function emitMlaCore(b: MlaBuffers, d: MlaDims, rope: RopeSpec | undefined, scale: number, declare: DeclareBuffer, emit: EmitOp): string {
  const { heads: h, tokens: T, nope, v } = d;
  const r = d.rope;
  const qk = nope + r;
  const ropeAttrs = rope ? { invFreq: rope.invFreq, interleaved: rope.interleaved, attnFactor: rope.attnFactor } : undefined;
  // Queries: [T, h, nope | rope] → rotate the rope part of every head.
  let q = b.q;
  if (ropeAttrs) {
    const q3 = declare('q_heads', [T, h, qk]);
    const qNope = declare('q_nope', [T, h, nope]);
    const qPe = declare('q_pe', [T, h, r]);
    const qRot = declare('q_pe_rot', [T, h, r]);
    const qAll = declare('q_rot_heads', [T, h, qk]);
    q = declare('q_states', [T, h * qk]);
    emit({ op: 'copy', ins: [b.q], outs: [q3] });
    emit({ op: 'slice', ins: [q3], outs: [qNope], attrs: { dim: 2, start: 0 } });
    emit({ op: 'slice', ins: [q3], outs: [qPe], attrs: { dim: 2, start: nope } });
    emit({ op: 'rope', ins: [qPe], outs: [qRot], attrs: ropeAttrs });
    emit({ op: 'concat', ins: [qNope, qRot], outs: [qAll], attrs: { dim: 2 } });
    emit({ op: 'copy', ins: [qAll], outs: [q] });
  }
  // Keys and values: kv_b_proj's output per head is [k_nope | v].
  const kv3 = declare('kv_heads', [T, h, nope + v]);
  const kNope = declare('k_nope', [T, h, nope]);
  const v3 = declare('v_heads', [T, h, v]);
  const vStates = declare('v_states', [T, h * v]);
  emit({ op: 'copy', ins: [b.kv], outs: [kv3] });
  emit({ op: 'slice', ins: [kv3], outs: [kNope], attrs: { dim: 2, start: 0 } });
  emit({ op: 'slice', ins: [kv3], outs: [v3], attrs: { dim: 2, start: nope } });
  emit({ op: 'copy', ins: [v3], outs: [vStates] });
  // The rotary key: the last `rope` columns of kv_a_proj_with_mqa's output, one head shared by all.
  const kPe = declare('k_pe', [T, r]);
  emit({ op: 'slice', ins: [b.kvA], outs: [kPe], attrs: { dim: 1, start: d.kvLoraRank } });
  let kPeRot = kPe;
  if (ropeAttrs) {
    kPeRot = declare('k_pe_rot', [T, r]);
    emit({ op: 'rope', ins: [kPe], outs: [kPeRot], attrs: ropeAttrs });
  }
  const kPe1 = declare('k_pe_head', [T, 1, r]);
  emit({ op: 'copy', ins: [kPeRot], outs: [kPe1] });
  const kPeHeads = declare('k_pe_heads', [T, h, r]);
  emit({ op: 'concat', ins: Array.from({ length: h }, () => kPe1), outs: [kPeHeads], attrs: { dim: 1 } });
  const k3 = declare('k_heads', [T, h, qk]);
  const kStates = declare('k_states', [T, h * qk]);
  emit({ op: 'concat', ins: [kNope, kPeHeads], outs: [k3], attrs: { dim: 2 } });
  emit({ op: 'copy', ins: [k3], outs: [kStates] });
  const ctx = declare('ctx', [T, h * v]);
  emit({ op: 'attention', ins: [q, kStates, vStates], outs: [ctx], attrs: { headDim: qk, vHeadDim: v, batch: 1, scale } });
  return ctx;
}
