// Shared by shapes, comms, check and demo: resolve model, mesh and plan from the command line or a
// *.shardplan.json, and bind them.
import { existsSync } from 'node:fs';
import { hostFiles, readInputText, tryReadInputText } from '../core/host/files';
import { dirname, resolve } from 'node:path';
import { UsageError, optString, type ParsedArgs } from './args';
import { loadModel, ModelLoadError, findPreset, PRESETS } from '../core/models';
import type { ModelGraph } from '../core/models';
import { parseMesh, MeshSyntaxError, meshFromRecord } from '../core/sharding';
import type { DeviceMesh } from '../core/sharding';
import { parsePlanSource, planOwners, documentForOwner } from '../core/plan';
import { resolveModel } from '../core/editing/model-resolve';
import type { PlanDocument } from '../core/plan';
import { bindPlan, planInputsFromDocument, autoPlanInputs, BindError, type PlanInput } from '../core/analysis';
import type { ShardedModel } from '../core/analysis';
import { LocatedError, lineColumn } from '../core/util/json';
import { InputError } from '../core/input-error';
import { detectGeneration } from '../core/styles';

export interface Bound {
  graph: ModelGraph;
  mesh: DeviceMesh;
  plans: PlanInput[];
  doc?: PlanDocument;
  planFile?: string;
  planText?: string;
  sharded: ShardedModel;
}

/** Load a plan file; syntax errors become one located line. */
export function readPlanDocument(path: string): { doc: PlanDocument; text: string } {
  const text = readInputText(path, 'plan');
  const doc = parsePlanSource(path, text);
  const syntax = doc.diagnostics.find((d) => d.severity === 'error' && d.code.startsWith('SS00'));
  if (syntax) {
    const { line, column } = lineColumn(text, syntax.range.start);
    throw new UsageError(`${path}:${line}:${column}: ${syntax.message}`);
  }
  return { doc, text };
}

/** The plan's model; a model that cannot be loaded is located at the plan's "model" value. */
function modelOfPlan(doc: PlanDocument, file: string, text: string, opts: { transformers?: string }): ModelGraph {
  try {
    return loadModel(doc.model!.ref, dirname(resolve(file)), opts);
  } catch (e) {
    if (!(e instanceof ModelLoadError)) throw e;
    const { line, column } = lineColumn(text, doc.model!.range?.start ?? 0);
    throw new InputError(file, line, column, `"model": ${e.message}`);
  }
}

/** A Python plan file's model, found as the editor finds it: the file's config class (model_type and its
 *  field defaults), else a config.json beside the file. A file with several config classes is taken as its
 *  first class that owns a plan sees it (its plans and values). */
function modelOfPython(doc: PlanDocument, file: string, opts: { transformers?: string }): { graph: ModelGraph; doc: PlanDocument } {
  const owner = planOwners(doc)[0];
  const view = owner === undefined ? doc : documentForOwner(doc, owner);
  const r = resolveModel(view, { readFile: (path) => tryReadInputText(path, 'config'), transformersVersion: opts.transformers });
  if (r.graph) return { graph: r.graph, doc: view };
  if (r.error) throw /^\S+:\d+:\d+: /.test(r.error) ? new UsageError(r.error) : new InputError(file, 1, 1, `the model (${r.source}): ${r.error}`);
  throw new UsageError(`${file}: names no model: no config class with a model_type and no config.json beside it (give the model first and the file with --plan)`);
}

/** A model given on the command line; when it is a file or folder, an error without a position is placed at its start. */
function modelOfInput(target: string, opts: { transformers?: string }): ModelGraph {
  try {
    return loadModel(target, undefined, opts);
  } catch (e) {
    if (!(e instanceof ModelLoadError) || /^\S+:\d+:\d+: /.test(e.message) || !hostFiles().stat(target)) throw e;
    const own = [`${resolve(target)}: `, `${target}: `].find((p) => e.message.startsWith(p));
    throw new InputError(target, 1, 1, own ? e.message.slice(own.length) : e.message);
  }
}

export function loadBound(args: ParsedArgs): Bound {
  const target = args.positional[0];
  if (!target) throw new UsageError('give a config.json, a checkpoint folder, a preset name, a *.shardplan.json or a Python plan file');
  // The transformers version whose catalog builds the model and whose style names apply.
  const transformers = optString(args, 'transformers');
  const modelOpts = { transformers };
  const generation = transformers ? detectGeneration([], { transformersVersion: transformers }) : undefined;
  let doc: PlanDocument | undefined;
  let planFile: string | undefined;
  let planText: string | undefined;
  try {
    let graph: ModelGraph;
    let mesh: DeviceMesh | undefined;
    if (/\.shardplan\.json$/i.test(target) || /\.py$/i.test(target)) {
      const r = readPlanDocument(target);
      doc = r.doc;
      planFile = target;
      planText = r.text;
      if (doc.format === 'python') ({ graph, doc } = modelOfPython(doc, target, modelOpts));
      else {
        if (!doc.model) throw new UsageError(`${target}: no "model" (a config.json path, a checkpoint folder, a preset name or an inline config)`);
        graph = modelOfPlan(doc, target, r.text, modelOpts);
      }
      if (doc.mesh) mesh = meshFromRecord(Object.fromEntries(doc.mesh.dims.map((d) => [d.name, d.size])));
    } else {
      if (!existsSync(target) && !findPreset(target)) throw new UsageError(`${target}: no such file, folder or preset (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
      graph = modelOfInput(target, modelOpts);
    }
    const meshText = optString(args, 'mesh');
    if (meshText) {
      try {
        mesh = parseMesh(meshText);
      } catch (e) {
        throw e instanceof MeshSyntaxError ? new UsageError(`--mesh ${meshText}: ${e.message}`) : e;
      }
    }
    if (!mesh) throw new UsageError('missing --mesh (e.g. --mesh tp=4 or --mesh dp=2,tp=4)');
    const planArg = optString(args, 'plan');
    const epArg = optString(args, 'ep');
    const expertParallel = epArg ? epArg.split(',') : doc?.expertParallel;
    let plans: PlanInput[];
    if (planArg === 'auto') plans = autoPlanInputs(graph, generation ?? 'g4', !!expertParallel?.length);
    else if (planArg) {
      const r = readPlanDocument(planArg);
      doc = r.doc;
      planFile = planArg;
      planText = r.text;
      plans = planInputsFromDocument(doc, graph, { expertParallel: !!expertParallel?.length, generation });
    } else if (doc) plans = planInputsFromDocument(doc, graph, { expertParallel: !!expertParallel?.length, generation });
    else plans = [];
    const run = doc?.run;
    const sharded = bindPlan(graph, plans, mesh, {
      generation,
      expertParallel: expertParallel?.length ? expertParallel : undefined,
      run: { batch: run?.batch ?? 1, seqLen: run?.seqLen ?? 4096, dtype: run?.dtype, mode: run?.mode ?? 'inference' },
      gpuMemoryBytes: run?.gpuMemoryGiB ? run.gpuMemoryGiB * 2 ** 30 : undefined,
    });
    return { graph, mesh, plans, doc, planFile, planText, sharded };
  } catch (e) {
    // A plan that cannot be bound on its mesh: located at the plan file's mesh (or its start).
    if (e instanceof BindError && planFile && planText !== undefined) {
      const { line, column } = lineColumn(planText, doc?.mesh?.range?.start ?? 0);
      throw new InputError(planFile, line, column, e.message);
    }
    if (e instanceof ModelLoadError || e instanceof MeshSyntaxError || e instanceof BindError || e instanceof LocatedError) throw new UsageError(e.message);
    throw e;
  }
}

export { groupedShapes } from '../core/analysis';
