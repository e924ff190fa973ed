// The parallel style catalog: what each style does to parameters and activations.
import type { Placement, CollectiveOp } from '../sharding/types';
import type { ModuleKind } from '../models/types';

/**
 * Generations of transformers' style vocabulary (see docs in catalog entries for the exact sources):
 * g1 ≈ 4.55–4.57 strings, g2 = 5.x strings, g3 = TPStyle(kind, comm) era and its "{kind}_{comm}" strings,
 * g4 = newest 5.x strings; "torch" = PyTorch ParallelStyle classes.
 */
export type Generation = 'g1' | 'g2' | 'g3' | 'g4' | 'torch';

/** Which plan a style may appear in. */
export type PlanKind = 'tp' | 'ep' | 'sp';

/** A PyTorch style call as written: ColwiseParallel(input_layouts=Shard(1), use_local_output=False). */
export interface TorchStyleCall {
  className: string;
  /** Keyword arguments parsed into placements / tuples of placements / booleans / ints. */
  kwargs: Record<string, TorchArg>;
  args: TorchArg[];
}
export type TorchArg = Placement | (Placement | null)[] | { dict: Record<string, Placement | null> } | boolean | number | string | null;

/** A reference to a style as a plan holds it. */
export type StyleRef =
  | { kind: 'name'; name: string }
  | { kind: 'torch'; call: TorchStyleCall }
  | { kind: 'tpstyle'; styleKind: string; comm: string; args?: Record<string, TorchArg> };

export interface CollectiveEffect {
  op: CollectiveOp;
  /** Where it happens: on the module input, its output, or a parameter's gradient. */
  at: 'input' | 'output' | 'param_grad' | 'loss';
  /** Tensor dim it gathers/scatters, as the activation is laid out (-1 = last). */
  tensorDim?: number;
  note?: string;
  /** When a parameter-gradient reduction happens: in backward (a hook) or later, at the optimizer step / grad-norm. */
  when?: 'backward' | 'optimizer';
}

/** The resolved semantics of one style, on the one mesh dim it shards over (tp or ep). */
export interface StyleSemantics {
  /** Canonical catalog id, e.g. "g4:colwise" or "torch:ColwiseParallel". */
  id: string;
  name: string;
  /** Kinds of module the style applies to; anything else is a diagnostic. */
  appliesTo: ModuleKind[];
  /** Placement of a parameter of a module of this kind, or null when the parameter stays a plain tensor. */
  paramPlacement(moduleKind: ModuleKind, paramLocal: string, shape: number[]): Placement | null;
  /** Layout the module's (first) input is declared as, and the layout it is redistributed to; null = untouched. */
  input: { declared: Placement | null; desired: Placement | null };
  /** Layout produced by the local computation, and the layout it is redistributed to before returning. */
  output: { produced: Placement | null; desired: Placement | null; useLocal: boolean };
  forward: CollectiveEffect[];
  backward: CollectiveEffect[];
  /** True for expert-parallel styles (experts split over the ep ranks). */
  expertParallel?: boolean;
  /** True for styles that must sit on a fused/packed weight (packed_colwise). */
  packed?: boolean;
  /** True when the style means "sequence parallel" (activation sharded on the sequence dim). */
  sequenceParallel?: boolean;
  /** Sequence dim of the activation for sequence-parallel styles (1 unless stated). */
  sequenceDim?: number;
  /** True when parameters are sliced but kept as plain local tensors (G1 local_* styles): no DTensor, no hooks. */
  plainLocal?: boolean;
  /** Layout the gradient of the module's desired input has when it arrives in backward. */
  inputGrad?: 'partial' | 'replicate' | 'same';
  /** The keyword argument the input layouts apply to (module_allgather_hidden_states → "hidden_states"). */
  inputKwarg?: string;
  /** The style only makes sense for inference (no backward hooks). */
  inferenceOnly?: boolean;
  /** True for router styles that mask non-local experts (ep_router). */
  router?: boolean;
  /** True for module-level MoE experts styles (moe_tp_experts and kin): they own the experts' input/output layouts. */
  moeExperts?: boolean;
  /** Desired input layout for module kinds that differ from `input.desired` (PyTorch's RowwiseParallel on an Embedding wants Replicate ids). */
  desiredInputByKind?: Partial<Record<ModuleKind, Placement>>;
  /** Expert dispatch: combine by all-reduce (transformers' default) or all-to-all dispatch and combine. */
  dispatch?: 'all_reduce' | 'all_to_all';
}

export interface StyleEntry {
  name: string;
  generations: Generation[];
  /** Where the entry was read: release or commit, e.g. "transformers v4.57.1 integrations/tensor_parallel.py". */
  source: string;
  planKinds: PlanKind[];
  /** For an alias: the canonical name it behaves as. */
  aliasOf?: string;
  /** One paragraph for hovers and completion docs. */
  doc: string;
}
