// The collectives a style implies on its one mesh dim, derived from its layouts the way DTensor's
// redistribution would issue them (see the sharding algebra for the general N-D planner).
import type { Placement } from '../sharding/types';
import type { CollectiveEffect } from './types';

type At = CollectiveEffect['at'];

const isShard = (p: Placement) => p.kind === 'shard' || p.kind === 'strided_shard';
const dimOf = (p: Placement) => (p.kind === 'shard' || p.kind === 'strided_shard' ? p.dim : undefined);

function samePlacement(a: Placement, b: Placement): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'shard' && b.kind === 'shard') return a.dim === b.dim;
  if (a.kind === 'strided_shard' && b.kind === 'strided_shard') return a.dim === b.dim && a.splitFactor === b.splitFactor;
  return true;
}

/**
 * The collective of one redistribution from `from` to `to` on a 1-D mesh, forward.
 * Replicate → Shard and Replicate → Partial are local (no collective); Shard → Partial is not allowed forward.
 */
export function forwardTransition(from: Placement, to: Placement, at: At): CollectiveEffect | null {
  if (samePlacement(from, to)) return null;
  if (from.kind === 'partial' && to.kind === 'replicate') return { op: 'all_reduce', at };
  if (from.kind === 'partial' && isShard(to)) return { op: 'reduce_scatter', at, tensorDim: dimOf(to) };
  if (isShard(from) && to.kind === 'replicate') return { op: 'all_gather', at, tensorDim: dimOf(from) };
  if (isShard(from) && isShard(to)) return { op: 'all_to_all', at, tensorDim: dimOf(from), note: `to dim ${dimOf(to)}` };
  return null; // R → S (local chunk), R → P (local), P → P
}

/**
 * The collective that redistributing a gradient issues in backward: the gradient arrives with `gradLayout`
 * (the layout of the forward target, or Partial where the consumer made it partial) and goes back to
 * the forward source, with a Partial source normalised to Replicate (DTensor's Redistribute.backward).
 */
export function backwardTransition(forwardFrom: Placement, gradLayout: Placement, at: At): CollectiveEffect | null {
  const target: Placement = forwardFrom.kind === 'partial' ? { kind: 'replicate' } : forwardFrom;
  return forwardTransition(gradLayout, target, at);
}
