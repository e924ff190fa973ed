// Per-graph facts the binder needs on every call, computed once per ModelGraph (graphs are cached and
// immutable), so that re-binding after an edit costs only the lookups.
import type { ModelGraph } from '../models/types';
import { wildcardName } from './match';

export interface GraphIndex {
  /** Per parameter: the names transformers looks up, in order — exact name, its module, wildcard, wildcard module. */
  lookupKeys: [string, string, string, string][];
  /** Per parameter: its shape as a string key. */
  shapeKeys: string[];
  /** Every module and parameter path, concrete and wildcard. */
  paths: Set<string>;
  wildPaths: Set<string>;
}

const cache = new WeakMap<ModelGraph, GraphIndex>();

export function graphIndex(graph: ModelGraph): GraphIndex {
  let idx = cache.get(graph);
  if (idx) return idx;
  const lookupKeys: GraphIndex['lookupKeys'] = [];
  const shapeKeys: string[] = [];
  for (const p of graph.params) {
    const dot = p.name.lastIndexOf('.');
    const generic = wildcardName(p.name);
    const gdot = generic.lastIndexOf('.');
    lookupKeys.push([p.name, dot < 0 ? '' : p.name.slice(0, dot), generic, gdot < 0 ? '' : generic.slice(0, gdot)]);
    shapeKeys.push(p.shape.join(','));
  }
  const paths = new Set<string>([...graph.modules.keys(), ...graph.params.map((p) => p.name)]);
  const wildPaths = new Set([...paths].map(wildcardName));
  idx = { lookupKeys, shapeKeys, paths, wildPaths };
  cache.set(graph, idx);
  return idx;
}
