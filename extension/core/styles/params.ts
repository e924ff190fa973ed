// How a style places a module's parameters on the one mesh dim it shards over.
// Dims are resolved against the parameter's rank, so one rule covers a 2-D Linear weight,
// a 1-D bias and a fused 3-D experts tensor ([E, 2I, H] / [E, H, I]).
import type { Placement } from '../sharding/types';
import type { ModuleKind } from '../models/types';

/** A declarative parameter rule: which placement a parameter gets under a style. */
export type ParamRule =
  /** Column-parallel: the output-feature dim (ndim-2 for matrices and 3-D experts; 0 for a bias). Embedding: the hidden dim. */
  | 'colwise'
  /** Row-parallel: the input-feature dim (last dim); bias replicated. Embedding: the vocabulary dim. */
  | 'rowwise'
  /** Column-parallel over a packed [gate; up] dim: _StridedShard(ndim-2, 2) so gate and up halves split alike; a 1-D bias Shard(-1). */
  | 'packed_colwise'
  /** Row-parallel over a packed last dim (Llama4's transposed [E, H, 2I]): _StridedShard(ndim-1, 2). */
  | 'packed_rowwise'
  /** Vocabulary-parallel embedding: Shard(0) of the weight. */
  | 'embedding_rowwise'
  /** Hidden-parallel embedding: Shard(1) of the weight. */
  | 'embedding_colwise'
  /** Expert-parallel: Shard(0), the expert dim, for every parameter. */
  | 'expert_dim'
  /** Replicate() on every parameter (a DTensor, unlike an unsharded plain tensor). */
  | 'replicate'
  /** The style places no parameter: they stay plain tensors unless a parameter-level entry says otherwise. */
  | 'none';

const shard = (dim: number): Placement => ({ kind: 'shard', dim });
const strided = (dim: number): Placement => ({ kind: 'strided_shard', dim, splitFactor: 2 });
const replicate: Placement = { kind: 'replicate' };

function isBias(local: string, shape: number[]): boolean {
  return shape.length === 1 || /(^|_)bias$/.test(local);
}

/** Placement of one parameter under a rule, or null when the rule leaves it a plain tensor. */
export function placeParam(rule: ParamRule, moduleKind: ModuleKind, local: string, shape: number[]): Placement | null {
  const nd = shape.length;
  switch (rule) {
    case 'none':
      return null;
    case 'replicate':
      return replicate;
    case 'expert_dim':
      return shard(0);
    case 'embedding_rowwise':
      return shard(0);
    case 'embedding_colwise':
      return shard(nd - 1);
    case 'colwise':
      if (moduleKind === 'embedding') return shard(1);
      if (nd === 1) return shard(0);
      // A bias of fused experts ([E, 2I]) shards its last dim; matrices their out dim.
      if (isBias(local, shape)) return shard(nd - 1);
      return shard(nd - 2);
    case 'rowwise':
      if (moduleKind === 'embedding') return shard(0);
      if (isBias(local, shape)) return replicate;
      return shard(nd - 1);
    case 'packed_colwise':
      if (nd === 1) return shard(0);
      if (isBias(local, shape)) return { kind: 'strided_shard', dim: nd - 1, splitFactor: 2 };
      return strided(nd - 2);
    case 'packed_rowwise':
      if (isBias(local, shape)) return replicate;
      return strided(nd - 1);
  }
}
