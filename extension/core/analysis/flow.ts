// The activation flow of a decoder layer (and the model ends) under a plan: each activation's layout on
// the tensor-parallel dim, and the collectives each module's style issues forward and backward.
import type { FlowStep, ModelGraph } from '../models/types';
import type { Placement, CollectiveOp } from '../sharding/types';
import type { CollectiveEffect, StyleSemantics } from '../styles/types';
import { redistribute } from '../sharding';
import { forwardTransition, backwardTransition } from '../styles';
import type { BoundActivation, BoundParam, Finding, ScheduledCollective } from './types';
import { lookupModule, type BoundEntry, type PlanTable } from './match';

const R: Placement = { kind: 'replicate' };
const P: Placement = { kind: 'partial', op: 'sum' };

export interface CommGroup {
  n: number;
  group: number[];
  count: number;
  dimNames: string[];
}

export interface FlowContext {
  graph: ModelGraph;
  table: PlanTable;
  params: Map<string, BoundParam>;
  /** Size of the tp dim, its ranks group (of rank 0) and how many such groups. */
  tp: CommGroup;
  ep: CommGroup;
  batch: number;
  seqLen: number;
  /** Bytes per element of activations. */
  bpe: number;
  actDType: BoundParam['dtype'];
  findings: Finding[];
}

interface Act {
  layout: Placement;
  shape: number[];
  /** Still a DTensor (PrepareModuleInput / SequenceParallel keep one): consumers' gradients accumulate as Partial and are reduced where it was made. */
  dtensor?: boolean;
}

/** Normalise a placement's dim against a rank (Shard(-1) of a 3-d activation → Shard(2)). */
function norm(p: Placement, ndim: number): Placement {
  if ((p.kind === 'shard' || p.kind === 'strided_shard') && p.dim < 0) return { ...p, dim: p.dim + ndim };
  return p;
}

function same(a: Placement, b: Placement, ndim: number): boolean {
  const x = norm(a, ndim);
  const y = norm(b, ndim);
  if (x.kind !== y.kind) return false;
  if ((x.kind === 'shard' || x.kind === 'strided_shard') && (y.kind === 'shard' || y.kind === 'strided_shard')) return x.dim === y.dim;
  return true;
}

export function layoutText(p: Placement, ndim: number): string {
  const x = norm(p, ndim);
  if (x.kind === 'replicate') return 'replicated';
  if (x.kind === 'partial') return 'partial (not yet reduced)';
  if (x.dim === ndim - 1) return 'sharded on the last dim';
  if (x.dim === 1 && ndim === 3) return 'sharded on the sequence dim';
  if (x.dim === 0 && ndim === 2) return 'sharded on the token dim';
  return `sharded on dim ${x.dim}`;
}

export interface WalkResult {
  forward: ScheduledCollective[];
  backward: ScheduledCollective[];
  activations: BoundActivation[];
}

/**
 * Walk one list of flow steps. `prefix` turns relative module paths into root paths
 * ("model.layers.3." for a layer, "" for the ends). `layer` labels the collectives.
 */
export function walkFlow(ctx: FlowContext, steps: FlowStep[], prefix: string, layer: number | undefined, acts: Map<string, Act>): WalkResult {
  const forward: ScheduledCollective[] = [];
  const backwardGroups: ScheduledCollective[][] = [];
  const activations: BoundActivation[] = [];
  const dims = (shape: (number | 'B' | 'S' | 'T')[]) => shape.map((d) => (d === 'B' ? ctx.batch : d === 'S' ? ctx.seqLen : d === 'T' ? ctx.batch * ctx.seqLen : d));
  const get = (name: string, shapeHint: number[]): Act => acts.get(name) ?? { layout: R, shape: shapeHint };
  const path = (m: string) => (m ? prefix + m : prefix.replace(/\.$/, ''));

  const styleOf = (modulePath: string): BoundEntry | undefined => {
    const e = lookupModule(ctx.table, modulePath);
    if (e) e.used = true;
    return e?.semantics ? e : undefined;
  };

  const emit = (list: ScheduledCollective[], e: CollectiveEffect, module: string, shape: number[], entry: BoundEntry | undefined, passIn: 'forward' | 'backward', why: string, group = ctx.tp) => {
    const pass = e.when === 'optimizer' ? 'optimizer' : passIn;
    const n = group.n;
    if (n <= 1) return;
    const nd = shape.length;
    const dim = e.tensorDim === undefined ? undefined : e.tensorDim < 0 ? e.tensorDim + nd : e.tensorDim;
    let bytes = shape.reduce((a, b) => a * b, 1) * ctx.bpe;
    let dtype = ctx.actDType;
    if (e.op === 'all_gather' && dim !== undefined) bytes = redistribute(shape, ctx.bpe, [n], [{ kind: 'shard', dim }], [R])[0]?.bytes ?? bytes;
    if (e.op === 'reduce_scatter' && dim !== undefined) bytes = redistribute(shape, ctx.bpe, [n], [P], [{ kind: 'shard', dim }])[0]?.bytes ?? bytes;
    if (e.at === 'loss') {
      // loss_parallel cross-entropy: max, sum-exp and target logit, each [rows, 1] in fp32.
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      for (const what of ['max of logits', 'sum of exp', 'target logit']) {
        list.push({ module, pass, op: 'all_reduce', bytes: rows * 4, group: group.group, groupCount: group.count, meshDims: group.dimNames, shape: [rows, 1], dtype: 'float32', entry: entry?.entry, layer, why: `loss_parallel: all-reduce of the ${what}` });
      }
      return;
    }
    list.push({ module, pass, op: e.op as CollectiveOp, bytes, group: group.group, groupCount: group.count, meshDims: group.dimNames, shape, dtype, entry: entry?.entry, layer, why });
  };

  const find = (f: Omit<Finding, 'entry'> & { entry?: BoundEntry }) => {
    ctx.findings.push({ ...f, entry: f.entry?.entry });
  };

  // Apply a style's effects to the module's input and output; returns the output layout.
  const applyStyle = (step: FlowStep, module: string, sem: StyleSemantics, entry: BoundEntry, input: Act, outShape: number[], kind: 'linear' | 'embedding' | 'norm' | 'boundary_in' | 'boundary_out' | 'experts'): Placement => {
    const bwd: ScheduledCollective[] = [];
    const nd = input.shape.length;
    const desiredIn = (kind === 'embedding' ? sem.desiredInputByKind?.embedding : undefined) ?? sem.input.desired;
    if (sem.input.declared && kind !== 'boundary_out') {
      if (!same(input.layout, sem.input.declared, nd) && !(kind === 'embedding')) {
        mismatch(module, entry, input, sem.input.declared, nd);
      }
    }
    let layout = kind === 'boundary_out' ? input.layout : desiredIn ?? input.layout;
    // Effects on the input follow the desired layout for this module kind (RowwiseParallel wants Replicate ids on an Embedding).
    let inputFwd = sem.forward.filter((x) => x.at === 'input');
    let inputBwd = sem.backward.filter((x) => x.at === 'input');
    if (desiredIn !== sem.input.desired && sem.input.declared && desiredIn) {
      const f = forwardTransition(sem.input.declared, desiredIn, 'input');
      const grad = sem.inputGrad === 'partial' ? P : sem.inputGrad === 'replicate' ? R : desiredIn;
      const b = backwardTransition(sem.input.declared, grad, 'input');
      inputFwd = f ? [f] : [];
      inputBwd = b ? [b] : [];
    }
    if (kind !== 'boundary_out') {
      for (const e of inputFwd) emit(forward, e, module, input.shape, entry, 'forward', `${sem.name}: ${e.op} of the input${e.note ? ` (${e.note})` : ''}`);
      // Each colwise module reduces its own input gradient: its pre-hook wraps the plain input with
      // DTensor.from_local(Replicate) per module, so q, k and v each all-reduce (3 per attention block,
      // not 1). PyTorch's own CommDebugMode anchor (9 backward all-reduces on the toy transformer) counts
      // them this way.
      // A replicated DTensor input (made by PrepareModuleInput upstream) takes the partial gradient as is:
      // the reduction happens once where the DTensor was made, not in each consumer.
      const upstreamReduces = input.dtensor && kind === 'linear' && sem.input.declared?.kind === 'replicate' && input.layout.kind === 'replicate';
      if (!upstreamReduces) for (const e of inputBwd) emit(bwd, e, module, input.shape, entry, 'backward', `${sem.name}: ${e.op} of the input gradient`);
    }
    if (kind !== 'boundary_in') {
      if (sem.output.produced || sem.output.desired) layout = sem.output.desired ?? sem.output.produced ?? layout;
      for (const e of sem.forward.filter((x) => x.at === 'output' || x.at === 'loss')) emit(forward, e, module, e.at === 'loss' ? outShape : outShape, entry, 'forward', `${sem.name}: ${e.op} of the output${e.note ? ` (${e.note})` : ''}`);
      const outBwd = sem.backward.filter((x) => x.at === 'output').map((e) => e);
      const tmp: ScheduledCollective[] = [];
      for (const e of outBwd) emit(tmp, e, module, e.note?.includes('RoPE') ? [ctx.batch, ctx.seqLen, ctx.graph.config.qkRopeHeadDim ?? outShape[outShape.length - 1]] : outShape, entry, 'backward', `${sem.name}: ${e.op} of the output gradient${e.note ? ` (${e.note})` : ''}`);
      bwd.unshift(...tmp);
    }
    for (const e of sem.backward.filter((x) => x.at === 'param_grad')) {
      const owner = ctx.graph.modules.get(module);
      for (const p of owner?.params ?? []) {
        emit(bwd, e, `${module}`, p.shape, entry, 'backward', `${sem.name}: ${e.op} of ${p.local}'s gradient`);
      }
    }
    backwardGroups.push(bwd);
    void step;
    return layout;
  };

  const mismatch = (module: string, entry: BoundEntry | undefined, input: Act, declared: Placement, nd: number) => {
    const have = norm(input.layout, nd);
    const want = norm(declared, nd);
    const style = entry?.semantics?.name ?? 'its style';
    if (want.kind === 'shard' && want.dim === nd - 1 && have.kind === 'replicate') {
      find({ code: 'SS302', slug: 'rowwise-input-replicated', severity: 'error', message: `${module}: ${style} expects its input sharded on the last dim (the output of a colwise layer), but it arrives replicated: the local matmul gets the full input against a 1/${ctx.tp.n} weight and fails with a shape error; pair it with a colwise layer before it, or use rowwise_split_input`, target: module, entry, suggestion: 'rowwise_split_input' });
    } else if (have.kind === 'shard' && have.dim === 1 && nd === 3 && want.kind === 'replicate') {
      find({ code: 'SS304', slug: 'sequence-not-gathered', severity: 'error', message: `${module}: ${style} expects a replicated input, but the activation is sequence-sharded [B, S/${ctx.tp.n}, H]: nothing gathers the sequence before it (add module_allgather on the parent module, or input_layouts=Shard(1))`, target: module, entry });
    } else if (have.kind === 'replicate' && want.kind === 'shard' && want.dim === 1 && nd === 3) {
      find({ code: 'SS305', slug: 'sequence-not-scattered', severity: 'error', message: `${module}: ${style} takes its input as sequence-sharded, but the activation is replicated: nothing scatters the sequence before it (the previous rowwise should reduce-scatter, e.g. rowwise_reduce_scatter / output_layouts=Shard(1)); every rank would treat the whole sequence as its shard`, target: module, entry });
    } else if (have.kind === 'shard' && have.dim === nd - 1 && want.kind === 'replicate') {
      find({ code: 'SS301', slug: 'colwise-not-paired', severity: 'error', message: `${module}: ${style} expects a replicated input, but it arrives sharded on the last dim from a colwise layer that no rowwise layer reduced: the shapes do not match`, target: module, entry });
    } else if (have.kind === 'partial') {
      find({ code: 'SS306', slug: 'partial-not-reduced', severity: 'error', message: `${module}: its input is a partial sum that nothing reduced`, target: module, entry });
    }
  };

  for (const step of steps) {
    const module = path(step.module);
    const outShape = dims(step.outputShape);
    const in0 = get(step.inputs[0], outShape);
    let layout: Placement = in0.layout;
    switch (step.op) {
      case 'embedding': {
        const e = styleOf(module);
        layout = e ? applyStyle(step, module, e.semantics!, e, { layout: R, shape: [ctx.batch, ctx.seqLen] }, outShape, 'embedding') : R;
        break;
      }
      case 'module_boundary': {
        const e = styleOf(module);
        const entering = step.inputs[0] !== step.output;
        if (e && (entering ? e.semantics!.input.declared || e.semantics!.forward.length : e.semantics!.output.produced)) {
          layout = applyStyle(step, module, e.semantics!, e, in0, outShape, entering ? 'boundary_in' : 'boundary_out');
        }
        break;
      }
      case 'linear':
      case 'lm_head': {
        const e = styleOf(module);
        const nd = in0.shape.length;
        if (e && e.semantics!.appliesTo.includes('linear')) {
          layout = applyStyle(step, module, e.semantics!, e, in0, outShape, 'linear');
          if (!e.semantics!.input.declared && !e.semantics!.output.produced) layout = in0.layout;
        } else {
          if (in0.layout.kind === 'shard' && norm(in0.layout, nd).kind === 'shard' && (norm(in0.layout, nd) as { dim: number }).dim === nd - 1) {
            find({ code: 'SS301', slug: 'colwise-not-paired', severity: 'error', message: `${module} has no entry, but its input is sharded on the last dim by a colwise layer: the unsharded Linear gets [..., ${in0.shape[nd - 1]}/${ctx.tp.n}] features and fails; give it rowwise`, target: module, suggestion: 'rowwise' });
            layout = R;
          } else if (in0.layout.kind === 'partial') {
            find({ code: 'SS306', slug: 'partial-not-reduced', severity: 'error', message: `${module}: its input is a partial sum that nothing reduced`, target: module });
            layout = R;
          } else layout = in0.layout;
        }
        break;
      }
      case 'norm': {
        const e = styleOf(module);
        const owner = ctx.graph.modules.get(module);
        const size = Number(owner?.attrs?.size ?? 0);
        if (e) layout = applyStyle(step, module, e.semantics!, e, in0, outShape, 'norm');
        if (!e || !e.semantics!.input.declared) layout = in0.layout;
        const nd = in0.shape.length;
        const l = norm(layout, nd);
        if (l.kind === 'shard' && l.dim === nd - 1 && size === in0.shape[nd - 1]) {
          find({ code: 'SS307', slug: 'norm-on-sharded-hidden', severity: 'error', message: `${module} normalises over the hidden dim, but its input is sharded on that dim: each rank would normalise a 1/${ctx.tp.n} slice`, target: module });
        }
        break;
      }
      case 'attention_core': {
        const ls = step.inputs.map((n) => get(n, outShape));
        const nd = ls[0].shape.length;
        if (ls.some((a) => { const x = norm(a.layout, nd); return x.kind === 'shard' && x.dim === 1; })) {
          find({ code: 'SS304', slug: 'sequence-not-gathered', severity: 'error', message: `${module}: attention runs on a sequence shard; it needs the whole sequence (gather it before attention with module_allgather_hidden_states)`, target: module });
        }
        const q = ls[0].layout;
        const kv = ls.slice(1).filter((_, i) => !(ctx.graph.config.kvLoraRank && i === 1)); // MLA's kv_a stays replicated by design
        if (kv.some((a) => !same(a.layout, q, nd))) {
          find({ code: 'SS308', slug: 'heads-layout-mismatch', severity: 'error', message: `${module}: queries are ${layoutText(q, nd)} but keys/values are ${kv.map((a) => layoutText(a.layout, nd)).join(' / ')}: the local head counts differ and the attention reshape fails`, target: module });
        }
        layout = q;
        break;
      }
      case 'act_mul':
      case 'residual_add': {
        const ls = step.inputs.map((n) => get(n, outShape));
        const nd = outShape.length;
        if (ls.some((a) => a.layout.kind === 'partial')) {
          find({ code: 'SS306', slug: 'partial-not-reduced', severity: 'error', message: `${module || prefix.replace(/\.$/, '')}: adds a partial sum that nothing reduced (its producer's output is never all-reduced): the numbers are wrong`, target: module });
        } else if (ls.some((a) => !same(a.layout, ls[0].layout, a.shape.length === nd ? nd : a.shape.length))) {
          find({ code: 'SS309', slug: 'layout-mismatch', severity: 'error', message: `${module || prefix.replace(/\.$/, '')}: combines tensors laid out differently (${ls.map((a) => layoutText(a.layout, nd)).join(' and ')})`, target: module });
        }
        layout = ls.find((a) => a.layout.kind !== 'partial')?.layout ?? R;
        if (step.op === 'residual_add' && step.module === 'mlp' && ls.every((a) => a.shape.length === 2)) layout = ls[0].layout;
        break;
      }
      case 'router': {
        const e = styleOf(module);
        layout = in0.layout.kind === 'shard' ? { kind: 'shard', dim: 0 } : R;
        void e;
        break;
      }
      case 'experts': {
        layout = walkExperts(module, in0, outShape);
        break;
      }
    }
    // Experts work on flattened tokens [T, H]; the block returns [B, S, H] with the matching layout.
    if (step.op === 'residual_add' && step.module === 'mlp' && outShape.length === 3) {
      const l = layout;
      if (l.kind === 'shard' && l.dim === 0) layout = { kind: 'shard', dim: 1 };
    }
    const keepsDTensor = (step.op === 'module_boundary' && step.inputs[0] !== step.output && !!lookupModule(ctx.table, module)?.semantics?.input.desired) || (step.op === 'norm' && lookupModule(ctx.table, module)?.semantics?.output.useLocal === false);
    acts.set(step.output, { layout, shape: outShape, dtensor: keepsDTensor || undefined });
    activations.push({ name: `${prefix.replace(/\.$/, '') || 'model'}:${step.output}`, globalShape: outShape, placements: [layout], localShapes: [], entry: lookupModule(ctx.table, module)?.entry });
  }

  function walkExperts(module: string, input: Act, outShape: number[]): Placement {
    const e = styleOf(module);
    const sem = e?.semantics;
    const expertParams = [...ctx.params.values()].filter((p) => p.name.startsWith(module + '.'));
    const sharded = expertParams.filter((p) => p.placements.some((pl) => pl.kind !== 'replicate'));
    const epSharded = sharded.some((p) => p.expertParallel);
    const tokens = outShape;
    const bwd: ScheduledCollective[] = [];
    if (input.layout.kind === 'shard') {
      find({ code: 'SS304', slug: 'sequence-not-gathered', severity: 'error', message: `${module}: experts receive sequence-sharded tokens; gather them first (module_allgather_split on the MoE block)`, target: module, entry: e });
    }
    if (sharded.length === 0) {
      if (sem?.moeExperts && !sem.expertParallel) {
        // moe_tp_experts on unsharded experts: the output is Replicate, the all-reduce still runs.
      }
      backwardGroups.push(bwd);
      return input.layout;
    }
    const group = epSharded ? ctx.ep : ctx.tp;
    if (!sem || !(sem.moeExperts || sem.output.produced?.kind === 'partial')) {
      find({ code: 'SS310', slug: 'experts-output-not-reduced', severity: 'error', message: `${module}: the expert weights are sharded but the experts module has no entry that combines the outputs (moe_tp_experts): every rank returns a partial sum and the numbers are wrong`, target: module, suggestion: 'moe_tp_experts' });
      backwardGroups.push(bwd);
      return P;
    }
    if (sem.dispatch === 'all_to_all') {
      const k = ctx.graph.config.numExpertsPerTok ?? 1;
      const send = [tokens[0] * k, tokens[1]];
      emit(forward, { op: 'all_to_all', at: 'input' }, module, send, e, 'forward', `${sem.name}: all-to-all dispatch of tokens × top-${k}`, group);
      emit(forward, { op: 'all_to_all', at: 'output' }, module, send, e, 'forward', `${sem.name}: all-to-all combine of expert outputs`, group);
      emit(bwd, { op: 'all_to_all', at: 'output' }, module, send, e, 'backward', `${sem.name}: all-to-all of the combined outputs' gradient`, group);
      emit(bwd, { op: 'all_to_all', at: 'input' }, module, send, e, 'backward', `${sem.name}: all-to-all of the dispatched tokens' gradient`, group);
      backwardGroups.push(bwd);
      return input.layout;
    }
    const out = sem.output.desired ?? R;
    const dim = out.kind === 'shard' ? out.dim : undefined;
    emit(forward, { op: dim === undefined ? 'all_reduce' : 'reduce_scatter', at: 'output', tensorDim: dim }, module, tokens, e, 'forward', `${sem.name}: ${dim === undefined ? 'all-reduce' : 'reduce-scatter'} of the partial expert outputs`, group);
    if (dim !== undefined) emit(bwd, { op: 'all_gather', at: 'output', tensorDim: dim }, module, tokens, e, 'backward', `${sem.name}: all-gather of the output gradient`, group);
    emit(bwd, { op: 'all_reduce', at: 'input' }, module, tokens, e, 'backward', `${sem.name}: all-reduce of the hidden-states gradient`, group);
    if (!epSharded) {
      const k = ctx.graph.config.numExpertsPerTok ?? 1;
      emit(bwd, { op: 'all_reduce', at: 'input' }, module, [tokens[0], k], e, 'backward', `${sem.name}: all-reduce of the routing-weights gradient`, group);
    }
    backwardGroups.push(bwd);
    return out.kind === 'shard' ? out : R;
  }

  const backward = backwardGroups.reverse().flat();
  return { forward, backward, activations };
}
