// Words for hovers: what a style does to a module of a given kind.
import type { Placement } from '../sharding/types';
import { placementRepr as reprOf } from '../sharding/placement';
import type { ModuleKind } from '../models/types';
import type { CollectiveEffect, StyleSemantics } from './types';

/** PyTorch's repr of a placement; "unchanged" where a style leaves a layout as it is. */
export function placementRepr(p: Placement | null): string {
  return p ? reprOf(p) : 'unchanged';
}

function effectText(e: CollectiveEffect): string {
  const where = e.at === 'param_grad' ? 'parameter gradient' : e.at === 'loss' ? 'loss' : e.at;
  return `${e.op} (${where}${e.tensorDim !== undefined ? `, dim ${e.tensorDim}` : ''})${e.note ? ` — ${e.note}` : ''}`;
}

export interface StyleDescription {
  params: { name: string; placement: string }[];
  input: string;
  output: string;
  forward: string[];
  backward: string[];
}

/** Describe a style on a module kind, with example parameters of that kind. */
export function describeStyle(s: StyleSemantics, moduleKind: ModuleKind, params?: { local: string; shape: number[] }[]): StyleDescription {
  const examples = params ?? defaultParams(moduleKind);
  const desired = s.desiredInputByKind?.[moduleKind] ?? s.input.desired;
  return {
    params: examples.map((p) => ({ name: p.local, placement: s.paramPlacement(moduleKind, p.local, p.shape) ? placementRepr(s.paramPlacement(moduleKind, p.local, p.shape)) : 'plain tensor (not sharded)' })),
    input: s.input.declared || desired ? `${placementRepr(s.input.declared)} → ${placementRepr(desired)}` : 'unchanged',
    output: s.output.produced || s.output.desired ? `${placementRepr(s.output.produced)} → ${placementRepr(s.output.desired)}${s.output.useLocal ? ' (local tensor)' : ' (DTensor)'}` : 'unchanged',
    forward: s.forward.map(effectText),
    backward: s.backward.map(effectText),
  };
}

function defaultParams(kind: ModuleKind): { local: string; shape: number[] }[] {
  switch (kind) {
    case 'linear':
      return [{ local: 'weight', shape: [8, 8] }, { local: 'bias', shape: [8] }];
    case 'embedding':
      return [{ local: 'weight', shape: [8, 8] }];
    case 'experts':
      return [{ local: 'gate_up_proj', shape: [4, 16, 8] }, { local: 'down_proj', shape: [4, 8, 8] }];
    case 'norm':
      return [{ local: 'weight', shape: [8] }];
    default:
      return [];
  }
}

/** Markdown for a hover or completion item. */
export function styleMarkdown(name: string, doc: string, source: string, s: StyleSemantics | undefined, moduleKind: ModuleKind = 'linear'): string {
  const lines = [`**${name}**`, '', doc];
  if (s) {
    const d = describeStyle(s, s.appliesTo.includes(moduleKind) ? moduleKind : s.appliesTo[0] ?? moduleKind);
    if (d.params.length) lines.push('', 'Parameters: ' + d.params.map((p) => `\`${p.name}\` ${p.placement}`).join(', '));
    lines.push(`Input: ${d.input} · Output: ${d.output}`);
    lines.push(`Forward: ${d.forward.length ? d.forward.join('; ') : 'no communication'} · Backward: ${d.backward.length ? d.backward.join('; ') : 'no communication'}`);
  }
  lines.push('', `_Source: ${source}_`);
  return lines.join('\n');
}
