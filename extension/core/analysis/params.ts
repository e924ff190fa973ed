// Every parameter's placements on the mesh and its local shape on every rank.
import type { ModelGraph, ModuleNode, ParamInfo } from '../models/types';
import type { Placement } from '../sharding/types';
import { localShape, coordOf, placementRepr } from '../sharding';
import type { BoundParam, Finding } from './types';
import type { PlanTable, BoundEntry } from './match';
import { graphIndex } from './graph-index';

export interface ParamContext {
  sizes: number[];
  tpDim: number;
  epDims: number[];
}

/** Module of a parameter (its path without the last segment). */
export function ownerOf(graph: ModelGraph, p: ParamInfo): ModuleNode | undefined {
  return graph.modules.get(p.name.slice(0, p.name.length - p.local.length - 1));
}

/**
 * Placements on the full mesh: the style's placement on the dims it shards over (tp, or the ep dims for
 * expert-parallel styles, each applying the same Shard in mesh order), Replicate elsewhere.
 */
function meshPlacements(p: Placement, ctx: ParamContext, expertParallel: boolean): Placement[] {
  const dims = expertParallel ? ctx.epDims : [ctx.tpDim];
  return ctx.sizes.map((_, i) => (dims.includes(i) ? p : { kind: 'replicate' }));
}

export function bindParams(graph: ModelGraph, table: PlanTable, ctx: ParamContext, findings: Finding[], exactFirst = true): BoundParam[] {
  const world = ctx.sizes.reduce((a, b) => a * b, 1);
  const coords = Array.from({ length: world }, (_, r) => coordOf(ctx.sizes, r));
  // Parameters that share shape and placements share their per-rank shapes (61 identical layers).
  const shapesBySignature = new Map<string, number[][]>();
  const out: BoundParam[] = [];
  const idx = graphIndex(graph);
  for (let pi = 0; pi < graph.params.length; pi++) {
    const p = graph.params[pi];
    const keys = idx.lookupKeys[pi];
    let found: { hit: BoundEntry; level: 'param' | 'module' } | undefined;
    // transformers 4.5x and early 5.x looked up only the wildcard forms.
    for (let k = exactFirst ? 0 : 2; k < 4 && !found; k++) {
      const hit = table.byKey.get(keys[k]);
      if (hit) found = { hit, level: k % 2 === 0 ? 'param' : 'module' };
    }
    let placements: Placement[] = [];
    let expert = false;
    if (found && found.hit.semantics) {
      found.hit.used = true;
      const owner = graph.modules.get(keys[1]);
      const kind = owner?.kind ?? 'other';
      const placement = found.hit.semantics.paramPlacement(kind, p.local, p.shape);
      if (placement) {
        expert = !!found.hit.semantics.expertParallel;
        placements = meshPlacements(placement, ctx, expert);
      }
    } else if (found) found.hit.used = true;
    // Same entry, parameter name and shape → same placements and local shapes (the 61 layers of DeepSeek-V3).
    const sig = placements.length ? `${idx.shapeKeys[pi]}|${found!.hit.rootKey}|${p.local}` : idx.shapeKeys[pi];
    let local = shapesBySignature.get(sig);
    if (!local) {
      if (placements.length === 0) local = coords.map(() => p.shape);
      else {
        const byCoordKey = new Map<string, number[]>();
        local = coords.map((c) => {
          const key = placements.map((pl, i) => (pl.kind === 'replicate' || pl.kind === 'partial' ? '_' : c[i])).join(',');
          let s = byCoordKey.get(key);
          if (!s) {
            try {
              s = localShape(p.shape, ctx.sizes, placements, c);
            } catch (e) {
              findings.push({ code: 'SS104', slug: 'invalid-placement', severity: 'error', message: `${p.name}: ${(e as Error).message}`, target: p.name, entry: found?.hit.entry });
              s = p.shape;
            }
            byCoordKey.set(key, s);
          }
          return s;
        });
      }
      shapesBySignature.set(sig, local);
    }
    out.push({ name: p.name, globalShape: p.shape, dtype: p.dtype, placements, localShapes: local, entry: found?.hit.entry, expertParallel: expert || undefined });
  }
  // Tied weights are one tensor: the tied name (lm_head.weight) has the placements its source (the input
  // embedding) was given, whatever the tied module's own entry says, as transformers re-ties after sharding.
  const byName = new Map(out.map((b) => [b.name, b]));
  for (const [tied, source] of graph.tied ?? []) {
    const t = byName.get(tied);
    const s = byName.get(source);
    if (!t || !s || t.globalShape.join() !== s.globalShape.join()) continue;
    t.placements = s.placements;
    t.localShapes = s.localShapes;
    t.expertParallel = s.expertParallel;
  }
  return out;
}
