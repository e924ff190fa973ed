// The width a rehearsal runs at: real widths when the estimated peak fits the memory budget, else the
// smallest power-of-two scale that fits and keeps the plan's divisibilities, said in the verdict's notes.
import type { PlanDocument } from '../plan';
import { graphFromConfig, type ModelGraph } from '../models';
import { bindPlan, planInputsFromDocument } from '../analysis';
import { fitWidths, copiesFromLocalShapes, expertSlicesFromLocalShapes, formatBytes, DEFAULT_BUDGET_BYTES, type WidthFit } from '../lower';

export interface WidthChoice {
  graph: ModelGraph;
  factor: number;
  fit: WidthFit;
  notes: string[];
}

export interface WidthRequest {
  doc: PlanDocument;
  graph: ModelGraph;
  /** The rehearsed group: its mesh dim name and size. */
  tpName: string;
  ranks: number;
  layers: number[];
  tokens: number;
  tail?: boolean;
  backward?: boolean;
  /** A forced factor (1: real widths). */
  widthScale?: number;
  budgetBytes?: number;
  /** Bytes besides the buffers (0 when the budget counts buffers only). */
  runtimeBytes?: number;
  /** The reference and the sharded run hold their memory one after the other (the native executor). */
  separateRuns?: boolean;
}

export function chooseWidths(q: WidthRequest): WidthChoice {
  const cfg = q.graph.config;
  const budget = q.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  // How many copies of each parameter the ranks hold together comes from the plan bound at real widths;
  // a plan that does not bind here is estimated as replicated (its own error is reported later).
  let copies: ((p: string) => number) | undefined;
  let expertSlices: ((p: string) => number) | undefined;
  try {
    const ep = q.doc.expertParallel?.length ? [q.tpName] : undefined;
    const bound = bindPlan(q.graph, planInputsFromDocument(q.doc, q.graph, { expertParallel: !!ep }), { dims: [{ name: q.tpName, size: q.ranks }] }, { expertParallel: ep, run: { batch: 1, seqLen: q.tokens, mode: q.backward ? 'training' : 'inference' } });
    copies = copiesFromLocalShapes(bound.params, q.ranks);
    expertSlices = expertSlicesFromLocalShapes(bound.params, q.ranks);
  } catch {
    copies = expertSlices = undefined;
  }
  const fit = fitWidths(cfg, q.layers, q.tokens, q.ranks, { budgetBytes: budget, runtimeBytes: q.runtimeBytes, tail: q.tail, backward: q.backward, copies, expertSlices, factor: q.widthScale, graph: q.graph, separateRuns: q.separateRuns });
  const notes: string[] = [];
  const peak = (f: WidthFit['estimate']) => `${formatBytes(f.total)} estimated peak`;
  const routed = fit.estimate.routedExperts ? `; experts generated one at a time, at most ${fit.estimate.routedExperts} per MoE layer (those tokens reach)` : '';
  if (fit.factor === 1) {
    notes.push(`real widths: ${peak(fit.estimate)} of the ${formatBytes(budget)} budget${routed}`);
    if (!fit.fits) notes.push(`real widths as asked, although the estimate exceeds the ${formatBytes(budget)} budget`);
    return { graph: q.graph, factor: 1, fit, notes };
  }
  const graph = graphFromConfig(fit.raw, `${cfg.modelType} at 1/${fit.factor} width`);
  const c = graph.config;
  const why = q.widthScale !== undefined ? `as asked (${formatBytes(fit.realEstimate.total)} estimated at real widths)` : `to fit ${formatBytes(budget)} (${formatBytes(fit.realEstimate.total)} estimated at real widths, ${formatBytes(fit.estimate.total)} at 1/${fit.factor})`;
  const dims = [`hidden ${c.hiddenSize}`, `intermediate ${c.moeIntermediateSize ?? c.intermediateSize}`, c.kvLoraRank ? `kv_lora_rank ${c.kvLoraRank}, rope ${c.qkRopeHeadDim}, nope ${c.qkNopeHeadDim}, v ${c.vHeadDim}` : `head dim ${c.headDim}`];
  notes.push(`widths scaled by 1/${fit.factor} ${why}: ${dims.join(', ')}; head and expert counts as in the model, every width the ${q.ranks} ranks split still divides${routed}`);
  if (!fit.fits) notes.push(`even at 1/${fit.factor}, the largest scale that keeps the plan's divisibilities, the estimate exceeds the budget`);
  return { graph, factor: fit.factor, fit, notes };
}
