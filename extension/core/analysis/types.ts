// The plan bound to a model on a mesh: what every rank holds and what every rank sends.
import type { DeviceMesh, Placement, CollectiveOp } from '../sharding/types';
import type { DType } from '../models/types';
import type { PlanEntry } from '../plan/types';

export interface BoundParam {
  name: string;
  globalShape: number[];
  dtype: DType;
  /** One placement per mesh dim; [] for a plain tensor no entry shards (as transformers leaves it). */
  placements: Placement[];
  /** Local shape per rank (index = rank). */
  localShapes: number[][];
  /** The plan entry that placed it, if any. */
  entry?: PlanEntry;
  /** Placed by an expert-parallel style (sharded over the ep dims). */
  expertParallel?: boolean;
}

export interface BoundActivation {
  /** "<layer module path>:<activation name>", e.g. "model.layers.0:attn_out". */
  name: string;
  globalShape: number[];
  placements: Placement[];
  localShapes: number[][];
  entry?: PlanEntry;
}

export interface ScheduledCollective {
  /** Module path that issues it, e.g. "model.layers.3.self_attn.o_proj". */
  module: string;
  /** optimizer: reductions of Partial parameter gradients that run at the optimizer step (or grad-norm), not in backward. */
  pass: 'forward' | 'backward' | 'optimizer';
  op: CollectiveOp;
  /** nccl-tests S bytes. */
  bytes: number;
  /** Ranks of one process group (the group of rank 0's coordinate), and how many such groups run it. */
  group: number[];
  groupCount: number;
  meshDims: string[];
  /** Shape of the tensor it moves (the full buffer). */
  shape: number[];
  dtype: DType;
  entry?: PlanEntry;
  layer?: number;
  why: string;
}

export interface MemoryPerRank {
  params: number;
  grads: number;
  optimizer: number;
  kvCache: number;
  activations: number;
  total: number;
}

/** Something the binder found wrong or worth knowing, with a stable code; editors turn these into diagnostics. */
export interface Finding {
  code: string;
  slug: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** Module or parameter path it is about. */
  target?: string;
  /** The plan entry it comes from, when one is to blame. */
  entry?: PlanEntry;
  /** A replacement style for the entry, when one is obviously right. */
  suggestion?: string;
}

export interface ShardedModel {
  mesh: DeviceMesh;
  findings: Finding[];
  /** Mesh dims: which one tensor parallelism uses, and which ones experts spread over. */
  tpDim: number;
  epDims: number[];
  params: BoundParam[];
  activations: BoundActivation[];
  collectives: ScheduledCollective[];
  memory: MemoryPerRank[];
  totals: { forward: Partial<Record<CollectiveOp, number>>; backward: Partial<Record<CollectiveOp, number>>; optimizer: Partial<Record<CollectiveOp, number>> };
}
