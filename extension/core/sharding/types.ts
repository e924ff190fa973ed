// Core value types of the sharding algebra. Everything here is plain, JSON-serialisable data.

/** A named dimension of a dense device mesh, e.g. { name: "tp", size: 4 }. */
export interface MeshDim {
  name: string;
  size: number;
}

/** A dense, named device mesh. World size = product of sizes; ranks are numbered row-major. */
export interface DeviceMesh {
  dims: MeshDim[];
}

export type ReduceOp = 'sum' | 'avg' | 'min' | 'max' | 'product' | 'band' | 'bor' | 'bxor';

/** One placement per mesh dim, with PyTorch DTensor semantics. */
export type Placement =
  | { kind: 'shard'; dim: number }
  | { kind: 'replicate' }
  | { kind: 'partial'; op: ReduceOp }
  | { kind: 'strided_shard'; dim: number; splitFactor: number };

/** A half-open range [start, end) along one tensor dim. */
export type Range = [number, number];

/** What one rank holds of a global tensor. */
export interface LocalLayout {
  rank: number;
  coord: number[];
  localShape: number[];
  /** Offset of the first element as PyTorch reports it (global shape on a dim where the shard is empty). */
  globalOffset: number[];
  /** Boxes of global indices held: each box is one Range per tensor dim. A _StridedShard holds several. */
  ranges: Range[][];
}

export type CollectiveOp =
  | 'all_reduce'
  | 'all_gather'
  | 'reduce_scatter'
  | 'all_to_all'
  | 'all_to_all_v'
  | 'broadcast'
  | 'scatter'
  | 'send_recv';

/** One collective that a redistribution issues, on one mesh dim. */
export interface CollectiveStep {
  op: CollectiveOp;
  /** Mesh dim index the collective runs over. */
  meshDim: number;
  groupSize: number;
  /** nccl-tests' S: the full buffer of the collective, padded for uneven shards as DTensor pads. */
  bytes: number;
  /** Tensor dim gathered / scattered (all_gather, reduce_scatter, all_to_all source dim). */
  tensorDim?: number;
  /** Target tensor dim of an all_to_all. */
  toTensorDim?: number;
  reduceOp?: ReduceOp;
  from: Placement;
  to: Placement;
}
