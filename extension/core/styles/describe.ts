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

/** The one page a hover links to for a style's catalog source: the documentation of the library that defines it. */
export function docsLink(source: string): { title: string; url: string } {
  if (/^PyTorch/.test(source)) return { title: 'PyTorch tensor parallelism', url: 'https://docs.pytorch.org/docs/stable/distributed.tensor.parallel.html' };
  if (/^torchtitan/.test(source)) return { title: 'torchtitan', url: 'https://github.com/pytorch/torchtitan' };
  return { title: 'transformers tensor parallelism', url: 'https://huggingface.co/docs/transformers/main/en/perf_infer_gpu_multi' };
}

/** A Markdown table cell: pipes escaped, so a placement or note never splits the row. */
const cell = (t: string) => t.replace(/\|/g, '\\|');

/** Markdown for a hover or completion item: the first sentence of the style's doc, its placements and its
 *  collectives as two short tables, and one link. Provenance (commits, pull requests) stays in the catalog. */
export function styleMarkdown(name: string, doc: string, source: string, s: StyleSemantics | undefined, moduleKind: ModuleKind = 'linear'): string {
  const summary = doc.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? doc;
  const lines = [`**${name}**${summary ? ` — ${summary}` : ''}`];
  if (s) {
    const kind = s.appliesTo.includes(moduleKind) ? moduleKind : (s.appliesTo[0] ?? moduleKind);
    const d = describeStyle(s, kind);
    lines.push('', `| ${kind} | placement |`, '|---|---|');
    for (const p of d.params) lines.push(`| \`${p.name}\` | ${cell(p.placement)} |`);
    lines.push(`| input | ${cell(d.input)} |`, `| output | ${cell(d.output)} |`);
    lines.push('', '| pass | collectives |', '|---|---|');
    lines.push(`| forward | ${cell(d.forward.length ? d.forward.join('; ') : 'none')} |`, `| backward | ${cell(d.backward.length ? d.backward.join('; ') : 'none')} |`);
  }
  const link = docsLink(source);
  lines.push('', `[${link.title}](${link.url})`);
  return lines.join('\n');
}
