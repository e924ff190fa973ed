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
  pass: 'forward' | 'backward';
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

export interface ShardedModel {
  mesh: DeviceMesh;
  params: BoundParam[];
  activations: BoundActivation[];
  collectives: ScheduledCollective[];
  memory: MemoryPerRank[];
  totals: { forward: Partial<Record<CollectiveOp, number>>; backward: Partial<Record<CollectiveOp, number>> };
}
