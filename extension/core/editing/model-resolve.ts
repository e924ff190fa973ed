// Which model a plan is checked against: the source's own model, the same file's config class,
// a config.json beside the file or named in settings, or the model picked in the status bar.
import { dirname, join, resolve } from 'node:path';
import type { ModelGraph } from '../models/types';
import { graphFromConfig, loadModel, ARCHITECTURES } from '../models';
import type { PlanDocument } from '../plan/types';
import type { EditingContext } from './context';

export interface ResolvedModel {
  graph?: ModelGraph;
  /** Where the model came from, for the status bar and hovers. */
  source: string;
  error?: string;
}

function tryLoad(fn: () => ModelGraph, source: string): ResolvedModel {
  try {
    return { graph: fn(), source };
  } catch (e) {
    return { source, error: (e as Error).message };
  }
}

export function resolveModel(doc: PlanDocument, ctx: EditingContext): ResolvedModel {
  const dir = dirname(doc.uri);
  if (doc.model) {
    const ref = doc.model.ref;
    return tryLoad(() => loadModel(ref, dir), typeof ref === 'string' ? ref : 'inline config');
  }
  const values = doc.configValues;
  if (values && typeof values.model_type === 'string' && ARCHITECTURES[values.model_type]) {
    return tryLoad(() => graphFromConfig(values, doc.uri), doc.format === 'config-json' ? 'this config.json' : 'this file’s config class');
  }
  const candidates = [ctx.configPath ? resolve(dir, ctx.configPath) : undefined, join(dir, 'config.json')].filter((x): x is string => !!x);
  for (const path of candidates) {
    const text = ctx.readFile?.(path);
    if (text === undefined) continue;
    try {
      const raw = JSON.parse(text) as Record<string, unknown>;
      return tryLoad(() => graphFromConfig(raw, path), path);
    } catch (e) {
      return { source: path, error: `${path}: ${(e as Error).message}` };
    }
  }
  if (ctx.model) return tryLoad(() => loadModel(ctx.model!, dir), ctx.model);
  return { source: 'none' };
}
