// PyTorch's ParallelStyle classes (torch.distributed.tensor.parallel.style) and torchtitan's NoParallel.
// Their semantics depend on the layout arguments of each call, so they are resolved per call.
import type { Placement } from '../sharding/types';
import type { StyleSemantics, TorchArg, TorchStyleCall } from './types';
import { buildSemantics, R, P, S, type StyleDef } from './define';
import type { CatalogEntry } from './entry';

export const TORCH_SOURCE = 'PyTorch torch/distributed/tensor/parallel/style.py (torch 2.x; PrepareModuleInputOutput since ≈ 2.6)';
export const TORCHTITAN_SOURCE = 'torchtitan torchtitan/distributed (NoParallel), not part of PyTorch';

interface TorchClass {
  name: string;
  source: string;
  kwargs: string[];
  doc: string;
}

export const TORCH_CLASSES: TorchClass[] = [
  {
    name: 'ColwiseParallel',
    source: TORCH_SOURCE,
    kwargs: ['input_layouts', 'output_layouts', 'use_local_output'],
    doc: 'ColwiseParallel(*, input_layouts=None, output_layouts=None, use_local_output=True). nn.Linear weight and bias Shard(0) (nn.Embedding weight Shard(1)); the input is taken as input_layouts (default Replicate()) and redistributed to Replicate(); the output Shard(-1) is redistributed to output_layouts (default Shard(-1)). With input_layouts=Shard(1) (sequence parallel) the forward all-gathers the sequence and the backward reduce-scatters; with output_layouts=Replicate() the forward all-gathers the output.',
  },
  {
    name: 'RowwiseParallel',
    source: TORCH_SOURCE,
    kwargs: ['input_layouts', 'output_layouts', 'use_local_output'],
    doc: 'RowwiseParallel(*, input_layouts=None, output_layouts=None, use_local_output=True). nn.Linear weight Shard(1), bias Replicate() (nn.Embedding weight Shard(0)); expects the input Shard(-1) (an Embedding: Replicate ids); the partial output is redistributed to output_layouts: Replicate() (default) is an all-reduce, Shard(1) (sequence parallel) a reduce-scatter in forward and an all-gather in backward.',
  },
  {
    name: 'SequenceParallel',
    source: TORCH_SOURCE,
    kwargs: ['sequence_dim', 'use_local_output'],
    doc: 'SequenceParallel(*, sequence_dim=1, use_local_output=False). For norms and dropout: parameters become Replicate() and the activation is sharded along sequence_dim; a plain-tensor input is taken as already sharded, a DTensor in another layout is redistributed. No activation communication; the weight gradients are Partial.',
  },
  {
    name: 'PrepareModuleInput',
    source: TORCH_SOURCE,
    kwargs: ['input_layouts', 'desired_input_layouts', 'input_kwarg_layouts', 'desired_input_kwarg_layouts', 'use_local_output'],
    doc: 'PrepareModuleInput(*, input_layouts=None, desired_input_layouts=None, input_kwarg_layouts=None, desired_input_kwarg_layouts=None, use_local_output=False). Annotates each positional (or keyword) input with its layout and redistributes it to the desired layout before the module runs; None entries are left as they are. Shard(1) → Replicate() is an all-gather in forward and a reduce-scatter in backward.',
  },
  {
    name: 'PrepareModuleOutput',
    source: TORCH_SOURCE,
    kwargs: ['output_layouts', 'desired_output_layouts', 'use_local_output'],
    doc: 'PrepareModuleOutput(*, output_layouts, desired_output_layouts, use_local_output=True). Annotates each output with its layout and redistributes it to the desired layout: Partial → Replicate is an all-reduce, Partial → Shard(1) a reduce-scatter.',
  },
  {
    name: 'PrepareModuleInputOutput',
    source: TORCH_SOURCE,
    kwargs: ['input_layouts', 'desired_input_layouts', 'input_kwarg_layouts', 'desired_input_kwarg_layouts', 'use_local_input', 'output_layouts', 'desired_output_layouts', 'use_local_output'],
    doc: 'PrepareModuleInputOutput(...): PrepareModuleInput(use_local_output=use_local_input) and PrepareModuleOutput together, for modules whose input and output both change layout (for example a MoE block under sequence parallelism: gather in, split out).',
  },
  {
    name: 'NoParallel',
    source: TORCHTITAN_SOURCE,
    kwargs: ['input_layout', 'output_layout', 'use_local_output'],
    doc: 'torchtitan NoParallel(*, input_layout=None, output_layout=None, use_local_output=True): keeps the module replicated (parameters Replicate()) while annotating its input and output layouts (default Replicate()); used for norms and routers when sequence parallelism is off.',
  },
];

export const torchEntries: CatalogEntry[] = TORCH_CLASSES.map((c) => ({
  id: `torch:${c.name}`,
  name: c.name,
  generations: ['torch'],
  source: c.source,
  planKinds: ['tp', 'sp'],
  doc: c.doc,
  def: 'replicate', // placeholder behaviour: torch styles are resolved per call by resolveTorchCall
}));

function isPlacement(a: TorchArg | undefined): a is Placement {
  return typeof a === 'object' && a !== null && !Array.isArray(a) && 'kind' in a && !('dict' in a);
}

/** The first non-None layout of a single placement or a tuple of them. */
function firstLayout(a: TorchArg | undefined): Placement | null | undefined {
  if (a === undefined) return undefined;
  if (a === null) return null;
  if (isPlacement(a)) return a;
  if (Array.isArray(a)) return a.find((x) => x !== null) ?? null;
  return undefined;
}

function bool(a: TorchArg | undefined, dflt: boolean): boolean {
  return typeof a === 'boolean' ? a : dflt;
}

/** Resolve a PyTorch style call (with its keyword arguments) into semantics, or an error message. */
export function resolveTorchCall(call: TorchStyleCall): StyleSemantics | { error: string } {
  const cls = TORCH_CLASSES.find((c) => c.name === call.className);
  if (!cls) return { error: `unknown PyTorch parallel style '${call.className}'` };
  for (const k of Object.keys(call.kwargs)) {
    if (!cls.kwargs.includes(k)) return { error: `${cls.name} has no argument '${k}' (expected one of: ${cls.kwargs.join(', ')})` };
  }
  if (call.args.length > 0) return { error: `${cls.name} takes keyword arguments only (e.g. ${cls.kwargs[0]}=...)` };
  const kw = call.kwargs;
  const lay = (name: string, dflt: Placement | null) => {
    const v = firstLayout(kw[name]);
    return v === undefined ? dflt : v;
  };
  let def: StyleDef;
  switch (cls.name) {
    case 'ColwiseParallel': {
      const out = lay('output_layouts', S(-1));
      def = {
        appliesTo: ['linear', 'embedding'],
        params: 'colwise',
        input: { declared: lay('input_layouts', R), desired: R },
        output: { produced: S(-1), desired: out, useLocal: bool(kw.use_local_output, true) },
        inputGrad: 'partial',
        flags: { sequenceParallel: isSeqShard(lay('input_layouts', R)) },
      };
      break;
    }
    case 'RowwiseParallel': {
      const out = lay('output_layouts', R);
      def = {
        appliesTo: ['linear', 'embedding'],
        params: 'rowwise',
        input: { declared: lay('input_layouts', S(-1)), desired: S(-1) },
        output: { produced: P, desired: out, useLocal: bool(kw.use_local_output, true) },
        flags: { desiredInputByKind: { embedding: R }, sequenceParallel: isSeqShard(out) },
      };
      break;
    }
    case 'SequenceParallel': {
      const dim = typeof kw.sequence_dim === 'number' ? kw.sequence_dim : 1;
      def = {
        appliesTo: ['norm', 'other'],
        params: 'replicate',
        input: { declared: S(dim), desired: S(dim) },
        output: { produced: S(dim), desired: S(dim), useLocal: bool(kw.use_local_output, false) },
        extraBackward: [{ op: 'all_reduce', at: 'param_grad', when: 'optimizer', note: 'replicated weights get Partial gradients' }],
        flags: { sequenceParallel: true, sequenceDim: dim },
      };
      break;
    }
    case 'PrepareModuleInput':
    case 'PrepareModuleInputOutput': {
      const positional = kw.input_layouts !== undefined;
      const declared = positional ? lay('input_layouts', null) : firstKwargLayout(kw.input_kwarg_layouts);
      const desired = positional ? lay('desired_input_layouts', null) : firstKwargLayout(kw.desired_input_kwarg_layouts);
      def = {
        appliesTo: ['attention', 'mlp', 'moe', 'decoder_layer', 'linear', 'other'],
        params: 'none',
        input: { declared, desired },
        inputGrad: 'partial',
        flags: { sequenceParallel: isSeqShard(declared), inputKwarg: positional ? undefined : firstKwargName(kw.input_kwarg_layouts) },
      };
      if (cls.name === 'PrepareModuleInputOutput') {
        def.output = { produced: lay('output_layouts', null), desired: lay('desired_output_layouts', null), useLocal: bool(kw.use_local_output, true) };
      }
      break;
    }
    case 'PrepareModuleOutput':
      def = {
        appliesTo: ['attention', 'mlp', 'moe', 'decoder_layer', 'linear', 'other'],
        params: 'none',
        output: { produced: lay('output_layouts', null), desired: lay('desired_output_layouts', null), useLocal: bool(kw.use_local_output, true) },
      };
      break;
    default: // NoParallel
      def = {
        appliesTo: ['norm', 'router', 'linear', 'other'],
        params: 'replicate',
        input: { declared: lay('input_layout', R), desired: R },
        output: { produced: R, desired: lay('output_layout', R), useLocal: bool(kw.use_local_output, true) },
      };
  }
  return buildSemantics(`torch:${cls.name}`, cls.name, def);
}

// The activations these styles lay out are [batch, seq, hidden]: Shard(1) and Shard(-2) both shard the sequence.
function isSeqShard(p: Placement | null): boolean {
  return !!p && p.kind === 'shard' && (p.dim === 1 || p.dim === -2);
}

// Keyword layouts arrive as a dict literal {"hidden_states": Shard(1)}: the first entry is the one annotated.
function firstKwargLayout(a: TorchArg | undefined): Placement | null {
  if (a && typeof a === 'object' && 'dict' in a) return Object.values(a.dict).find((x) => x !== null) ?? null;
  return firstLayout(a) ?? null;
}
function firstKwargName(a: TorchArg | undefined): string | undefined {
  if (a && typeof a === 'object' && 'dict' in a) return Object.keys(a.dict)[0];
  return undefined;
}
