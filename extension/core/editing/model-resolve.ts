// Which model a plan is checked against: the source's own model, the same file's config class,
// a config.json beside the file or named in settings, or the model picked in the status bar.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ModelGraph } from '../models/types';
import { graphFromConfig, loadModel, UnknownArchitectureError } from '../models';
import type { PlanDocument } from '../plan/types';
import { parsePythonPlans, documentForOwner } from '../plan';
import type { EditingContext } from './context';

export interface ResolvedModel {
  graph?: ModelGraph;
  /** Where the model came from, for the status bar and hovers. */
  source: string;
  error?: string;
  /** The error is that the architecture is unknown (not a broken reference): a note, not a warning. */
  unknownArchitecture?: boolean;
}

function tryLoad(fn: () => ModelGraph, source: string): ResolvedModel {
  try {
    return { graph: fn(), source };
  } catch (e) {
    return { source, error: (e as Error).message, unknownArchitecture: e instanceof UnknownArchitectureError };
  }
}

export function resolveModel(doc: PlanDocument, ctx: EditingContext): ResolvedModel {
  const dir = dirname(doc.uri);
  const opts = { transformers: ctx.transformersVersion };
  if (ctx.modelOverride) return tryLoad(() => loadModel(ctx.modelOverride!, dir, opts), ctx.modelOverride);
  if (doc.model) {
    const ref = doc.model.ref;
    const refused = typeof ref === 'string' ? refusedPath(ref, dir, doc.uri, ctx) : undefined;
    if (refused) return { source: ref as string, error: refused };
    return tryLoad(() => loadModel(ref, dir, opts), typeof ref === 'string' ? ref : 'inline config');
  }
  const values = doc.format === 'python' ? inheritedConfigValues(doc, ctx) : doc.configValues;
  if (values && typeof values.model_type === 'string') {
    // The file's own configuration, built as the version in use builds it, or said to be unknown.
    const source = doc.format === 'config-json' ? 'this config.json' : 'this file’s config class';
    const r = tryLoad(() => graphFromConfig(values, doc.uri, opts), source);
    if (r.graph || doc.format === 'config-json' || !(ctx.configPath || ctx.model)) return r;
  }
  const candidates = [ctx.configPath ? resolve(dir, ctx.configPath) : undefined, join(dir, 'config.json')].filter((x): x is string => !!x);
  for (const path of candidates) {
    const text = ctx.readFile?.(path);
    if (text === undefined) continue;
    try {
      const raw = JSON.parse(text) as Record<string, unknown>;
      return tryLoad(() => graphFromConfig(raw, path, opts), path);
    } catch (e) {
      return { source: path, error: `${path}: ${(e as Error).message}` };
    }
  }
  if (ctx.model) return tryLoad(() => loadModel(ctx.model!, dir, opts), ctx.model);
  return { source: 'none' };
}

/** Why the plan's own model path may not be read (ctx.allowPath said no), or undefined. Preset names and
 *  repo ids resolve inside the plan's folder, so only a path that leaves it is ever in question. */
function refusedPath(ref: string, dir: string, planFile: string, ctx: EditingContext): string | undefined {
  const path = isAbsolute(ref) ? ref : resolve(dir, ref);
  if (!ctx.allowPath || ctx.allowPath(path, planFile, true)) return undefined;
  return `'${ref}' is ${path}, outside the workspace and the Hugging Face cache: it is read only once you allow it`;
}

/** A module path of a `from X import Y` relative to the importing file: ".configuration_llama" is a
 *  sibling, "..llama.configuration_llama" one folder up. Absolute imports (the installed transformers)
 *  are not in the workspace: undefined. */
function modulePath(fromFile: string, module: string): string | undefined {
  const m = module.match(/^(\.+)(.*)$/);
  if (!m) return undefined;
  let dir = dirname(fromFile);
  for (let i = 1; i < m[1].length; i++) dir = dirname(dir);
  return m[2] ? join(dir, ...m[2].split('.')) + '.py' : undefined;
}

const parentDocs = new Map<string, { text: string; doc: PlanDocument }>();

/** The config values of a Python source, over those of its config class's parent when the parent is
 *  in the workspace (read through ctx.readFile), with attribute_map aliases filled in both ways. */
export function inheritedConfigValues(doc: PlanDocument, ctx: EditingContext, depth = 0): Record<string, unknown> | undefined {
  let values: Record<string, unknown> | undefined = doc.configValues;
  const local = new Set((doc.classes ?? []).map((c) => c.name));
  const parent = depth < 4 ? (doc.classes ?? []).flatMap((c) => c.bases).find((b) => !local.has(b.name) && b.module) : undefined;
  const found = parent?.module ? modulePath(doc.uri, parent.module) : undefined;
  // An import that climbs out of the workspace is not followed (nothing is asked: the plan still checks).
  const path = found && (!ctx.allowPath || ctx.allowPath(found, doc.uri, false)) ? found : undefined;
  const text = path ? ctx.readFile?.(path) : undefined;
  if (path && text !== undefined) {
    // A parent file rarely changes while its child is edited: parse it once per text.
    let parentDoc = parentDocs.get(path);
    if (!parentDoc || parentDoc.text !== text) parentDocs.set(path, (parentDoc = { text, doc: parsePythonPlans(text, path) }));
    if (parentDocs.size > 32) parentDocs.delete(parentDocs.keys().next().value!);
    // The parent file may hold several classes: the base class's own values (and its ancestors' in that file).
    const inherited = inheritedConfigValues(documentForOwner(parentDoc.doc, parent!.imported ?? parent!.name), ctx, depth + 1);
    if (inherited) values = { ...inherited, ...values };
  }
  if (values && doc.attributeMap) {
    values = { ...values };
    for (const [alias, attr] of Object.entries(doc.attributeMap)) {
      if (values[attr] === undefined && values[alias] !== undefined) values[attr] = values[alias];
      else if (values[alias] === undefined && values[attr] !== undefined) values[alias] = values[attr];
    }
  }
  return values;
}
