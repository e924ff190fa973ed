// A style definition is declarative data (parameter rule and layouts); its semantics — including the
// forward and backward collectives — are derived from it, so every generation's entries stay consistent.
import type { Placement } from '../sharding/types';
import type { ModuleKind } from '../models/types';
import type { CollectiveEffect, StyleSemantics } from './types';
import { placeParam, type ParamRule } from './params';
import { forwardTransition, backwardTransition } from './effects';

export const R: Placement = { kind: 'replicate' };
export const P: Placement = { kind: 'partial', op: 'sum' };
export const S = (dim: number): Placement => ({ kind: 'shard', dim });

export interface StyleDef {
  appliesTo: ModuleKind[];
  params: ParamRule;
  input?: { declared: Placement | null; desired: Placement | null };
  output?: { produced: Placement | null; desired: Placement | null; useLocal?: boolean };
  /** Layout of the desired input's gradient when it arrives in backward ("same" = as the desired layout). */
  inputGrad?: 'partial' | 'replicate' | 'same';
  extraForward?: CollectiveEffect[];
  extraBackward?: CollectiveEffect[];
  flags?: Pick<
    StyleSemantics,
    'expertParallel' | 'desiredInputByKind' | 'packed' | 'sequenceParallel' | 'sequenceDim' | 'plainLocal' | 'inputKwarg' | 'inferenceOnly' | 'router' | 'moeExperts' | 'dispatch'
  >;
}

export function deriveEffects(def: StyleDef): { forward: CollectiveEffect[]; backward: CollectiveEffect[] } {
  const forward: CollectiveEffect[] = [];
  const backward: CollectiveEffect[] = [];
  const inp = def.input;
  const out = def.output;
  if (inp?.declared && inp.desired) {
    const f = forwardTransition(inp.declared, inp.desired, 'input');
    if (f) forward.push(f);
  }
  if (out?.produced && out.desired) {
    const f = forwardTransition(out.produced, out.desired, 'output');
    if (f) forward.push(f);
  }
  forward.push(...(def.extraForward ?? []));
  // Backward runs in reverse: the output's gradient first, then the input's.
  if (out?.produced && out.desired) {
    const b = backwardTransition(out.produced, out.desired, 'output');
    if (b) backward.push(b);
  }
  if (inp?.declared && inp.desired) {
    const grad = def.inputGrad === 'partial' ? P : def.inputGrad === 'replicate' ? R : inp.desired;
    const b = backwardTransition(inp.declared, grad, 'input');
    if (b) backward.push(b);
  }
  backward.push(...(def.extraBackward ?? []));
  return { forward, backward };
}

export function buildSemantics(id: string, name: string, def: StyleDef): StyleSemantics {
  const { forward, backward } = deriveEffects(def);
  return {
    id,
    name,
    appliesTo: def.appliesTo,
    paramPlacement: (moduleKind, paramLocal, shape) => placeParam(def.params, moduleKind, paramLocal, shape),
    input: { declared: def.input?.declared ?? null, desired: def.input?.desired ?? null },
    output: { produced: def.output?.produced ?? null, desired: def.output?.desired ?? null, useLocal: def.output?.useLocal ?? true },
    forward,
    backward,
    inputGrad: def.inputGrad,
    ...def.flags,
  };
}
