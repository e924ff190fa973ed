// analyzeDocument: a plan source → its plans, the model and mesh it is checked against, the binding,
// and located diagnostics with quick fixes. Cached per document: when an edit leaves the plans, model
// and mesh as they were (comments, other code), the binding is reused and only ranges move.
import type { ModelGraph } from '../models/types';
import type { DeviceMesh } from '../sharding/types';
import { parseMesh, meshFromRecord } from '../sharding';
import type { Diagnostic, Plan, PlanDocument, PlanEntry, QuickFix, TextRange } from '../plan/types';
import { parsePlanSource, planOwners, documentForOwner } from '../plan';
import type { Generation } from '../styles/types';
import { detectGeneration, lookupStyle, resolveStyleRef } from '../styles';
import { bindPlan, planInputsFromDocument } from '../analysis';
import type { Finding, PlanInput, ShardedModel } from '../analysis';
import type { EditingContext } from './context';
import { resolveModel } from './model-resolve';
import { CODE_BY_ID } from './codes';
import { plansOf } from '../models/plans';
import { assumptionsOf, markAssumptions, type Assumptions } from './assumptions';

export interface Analysis {
  uri: string;
  text: string;
  doc: PlanDocument;
  generation: Generation;
  graph?: ModelGraph;
  modelSource: string;
  mesh: DeviceMesh;
  sharded?: ShardedModel;
  diagnostics: Diagnostic[];
  /** Whether the mesh and the GPU memory were named or assumed (findings on assumptions are warnings). */
  assumed: Assumptions;
  /** One per owner of plans (each config class of a Python source, and the plans outside any class),
   *  each checked against its own model; graph, modelSource and sharded above are the first part that
   *  bound (else the first with a model, else the first). */
  parts: AnalysisPart[];
}

export interface AnalysisPart {
  /** The class whose plans these are; undefined for plans outside any class (and for JSON sources). */
  owner?: string;
  /** The document as this owner's plans see it (documentForOwner): its plans and its config values. */
  doc: PlanDocument;
  graph?: ModelGraph;
  modelSource: string;
  sharded?: ShardedModel;
}

const cache = new Map<string, { key: string; sharded?: ShardedModel }>();

/** Everything the editor shows for one document. Never throws. */
export function analyzeDocument(uri: string, text: string, ctx: EditingContext = {}): Analysis {
  const doc = parsePlanSource(uri, text);
  const styleNames = doc.plans.flatMap((p) => p.entries.map((e) => (e.style.kind === 'name' ? e.style.name : ''))).filter(Boolean);
  const generation = ctx.generation ?? detectGeneration(styleNames, { transformersVersion: ctx.transformersVersion });
  let mesh: DeviceMesh;
  try {
    mesh = ctx.meshOverride ? parseMesh(ctx.meshOverride) : doc.mesh?.dims.length ? meshFromRecord(Object.fromEntries(doc.mesh.dims.map((d) => [d.name, d.size]))) : parseMesh(ctx.defaultMesh ?? 'tp=8');
  } catch {
    mesh = parseMesh('tp=8');
  }
  const assumed = assumptionsOf(doc, ctx);
  const diagnostics: Diagnostic[] = [...doc.diagnostics];
  // Each class's plans are checked against that class's values; the diagnostics of all are merged.
  const owners = doc.format === 'python' ? planOwners(doc) : [];
  const views = owners.length > 1 || (owners.length === 1 && owners[0] !== undefined) ? owners.map((o) => ({ owner: o, doc: documentForOwner(doc, o) })) : [{ owner: undefined, doc }];
  const parts: AnalysisPart[] = [];
  for (const v of views) {
    const found: Diagnostic[] = [];
    parts.push(analyzePart(uri, text, v.owner, v.doc, ctx, generation, mesh, found, assumptionsOf(v.doc, ctx)));
    for (const d of found) if (!diagnostics.some((x) => x.code === d.code && x.message === d.message && x.range.start === d.range.start && x.range.end === d.range.end)) diagnostics.push(d);
  }
  const main = parts.find((p) => p.sharded) ?? parts.find((p) => p.graph) ?? parts[0];
  return { uri, text, doc, generation, graph: main.graph, modelSource: main.modelSource, mesh, sharded: main.sharded, diagnostics, parts, assumed };
}

/** The analysis as the plan at `offset` (or the given plan) sees it: its owner's model and binding. */
export function analysisFor(a: Analysis, at: number | Plan): Analysis {
  const plan = typeof at === 'number' ? a.doc.plans.find((p) => at >= p.range.start && at <= p.range.end) : at;
  const part = plan && a.parts?.find((p) => p.doc.plans.includes(plan));
  if (!part || (part.graph === a.graph && part.sharded === a.sharded)) return a;
  return { ...a, graph: part.graph, modelSource: part.modelSource, sharded: part.sharded };
}

/** One owner's plans: its model, its binding (reused when nothing it depends on changed), its findings. */
function analyzePart(uri: string, text: string, owner: string | undefined, doc: PlanDocument, ctx: EditingContext, generation: Generation, mesh: DeviceMesh, diagnostics: Diagnostic[], assumed: Assumptions): AnalysisPart {
  const model = doc.plans.length ? resolveModel(doc, ctx) : { source: 'none' as const, graph: undefined, error: undefined };
  const part: AnalysisPart = { owner, doc, graph: model.graph, modelSource: model.source };
  const planRange = doc.model?.range ?? (doc.plans[0] ? planNameRange(doc.plans[0]) : { start: 0, end: 0 });
  const of = owner ? ` of ${owner}` : '';
  if (model.error && 'unknownArchitecture' in model && model.unknownArchitecture) {
    diagnostics.push({ code: 'SS011', slug: 'model-not-checked', severity: 'info', message: `patterns and collectives${of} were not checked: ${model.error}`, range: planRange });
  } else if (model.error) {
    diagnostics.push({ code: 'SS004', slug: 'no-model', severity: 'warning', message: `cannot check the plan${of} against a model: ${model.error}`, range: doc.model?.range ?? doc.plans[0]?.range ?? { start: 0, end: 0 } });
  }
  if (model.graph?.catalog?.note && doc.plans.length) {
    diagnostics.push({ code: 'SS013', slug: 'transformers-version-substituted', severity: 'info', message: model.graph.catalog.note, range: planRange });
  }
  if (model.graph?.flowUnknown && doc.plans.some((p) => p.kind !== 'pp')) {
    diagnostics.push({ code: 'SS012', slug: 'collectives-not-computed', severity: 'info', message: `patterns${of} were checked; collectives and activation layouts were not computed: ${model.graph.flowUnknown}`, range: planRange });
  }
  const plans = doc.plans.filter((p) => p.kind !== 'pp');
  if (!model.graph || plans.length === 0 || mesh.dims.some((d) => !(d.size >= 1))) {
    if (!model.graph && plans.length && !model.error) styleOnlyDiagnostics(doc, generation, diagnostics);
    return part;
  }
  // Reuse the binding when nothing it depends on changed.
  const key = JSON.stringify([
    model.source,
    model.graph.config.raw,
    mesh,
    generation,
    doc.expertParallel,
    doc.run,
    assumed.gpuMemoryGiB,
    ctx.seqLen,
    plans.map((p) => [p.name, p.scope, p.auto, p.entries.map((e) => [e.key, e.styleText])]),
  ]);
  const cacheKey = `${uri}#${owner ?? ''}`;
  const hit = cache.get(cacheKey);
  let sharded: ShardedModel | undefined;
  if (hit && hit.key === key) sharded = hit.sharded;
  else {
    const graph = model.graph;
    const bind = (inputs: PlanInput[]) =>
      bindPlan(graph, inputs, mesh, {
        generation,
        expertParallel: doc.expertParallel?.length ? doc.expertParallel : undefined,
        run: { batch: doc.run?.batch ?? 1, seqLen: doc.run?.seqLen ?? ctx.seqLen ?? 4096, mode: doc.run?.mode ?? 'inference', dtype: doc.run?.dtype },
        gpuMemoryBytes: assumed.gpuMemoryGiB * 2 ** 30,
      });
    try {
      sharded = bind(planInputsFromDocument(doc, graph, { generation }));
    } catch (e) {
      diagnostics.push(...bindFailure(e as Error, doc, bind));
    }
  }
  part.sharded = sharded;
  if (sharded) diagnostics.push(...markAssumptions(findingsToDiagnostics(sharded.findings, doc, text, model.graph), mesh, assumed));
  spNotWired(doc, generation, diagnostics);
  epPlanUnused(doc, text, diagnostics);
  cache.set(cacheKey, { key, sharded });
  if (cache.size > 64) cache.delete(cache.keys().next().value!);
  return part;
}

/** Entries of the document by their key (the binder's findings carry entries from the same parse). */
function locate(entry: PlanEntry | undefined, doc: PlanDocument): PlanEntry | undefined {
  if (!entry) return undefined;
  if (entry.keyRange.end > 0) return entry;
  return doc.plans.flatMap((p) => p.entries).find((e) => e.key === entry.key);
}

function findingsToDiagnostics(findings: Finding[], doc: PlanDocument, text: string, graph: ModelGraph): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstPlan = doc.plans.find((p) => p.kind !== 'pp' && !p.auto) ?? doc.plans[0];
  const own = plansOf(graph);
  const builtinKeys = new Set([own?.tp, own?.ep, own?.classTp].flatMap((p) => (p ? Object.keys(p) : [])));
  for (const f of findings) {
    const entry = locate(f.entry, doc);
    // A style of transformers' own CausalLM class plan, which the binder adds to a base plan: not the
    // user's text, and the class plan of the generation in use is what transformers would apply.
    if (f.code === 'SS101' && f.entry && !entry) continue;
    const onValue = ['SS101', 'SS105', 'SS104'].includes(f.code);
    const near = entry ?? (f.target ? entryUnder(f.target, doc, graph) : undefined);
    let range: TextRange = entry ? (onValue ? entry.valueRange : entry.keyRange) : near ? near.keyRange : planNameRange(firstPlan);
    if (entry && entry.keyRange.end === 0) range = planNameRange(firstPlan);
    // Divisibility of a plan the source does not spell out (tp_plan="auto"): the mesh size is what to change.
    if (!entry && f.code.startsWith('SS20') && doc.mesh?.range && firstPlan?.auto) range = doc.mesh.range;
    let severity = f.severity === 'info' ? 'info' : f.severity;
    let message = f.message;
    // The catalog records no decoder layers for this architecture: keys under them were not checked (the SS012 note says why).
    if (f.code === 'SS102' && entry && graph.layersUnknown && /^(\w+\.)?layers\./.test(entry.key)) continue;
    // Keys of transformers' own plan for modules this configuration does not build (dense MLPs of an all-MoE model).
    if (f.code === 'SS102' && entry && builtinKeys.has(entry.key)) {
      severity = 'info';
      message = `'${entry.key}' matches no module of this configuration (transformers' plan lists it for configurations that build it)`;
    }
    // The same source's EP plan is there, but nothing turns expert parallelism on.
    const idleEp = doc.plans.find((p) => p.kind === 'ep' && p.entries.length) && !doc.expertParallel?.length;
    if (f.code === 'SS401' && idleEp && doc.format === 'python') message += `; ${doc.plans.find((p) => p.kind === 'ep')!.name} applies only with DistributedConfig(enable_expert_parallel=True)`;
    // An entry merged in from elsewhere (`**base_plan`): the squiggle sits on the merge this plan wrote.
    if (entry?.via) {
      range = entry.via;
      message += ` (entry '${entry.key}' of ${text.slice(entry.via.start, entry.via.end)})`;
    }
    const fixes: QuickFix[] = [];
    // Entries a comprehension made, or merged from another plan, have no text of their own to edit here;
    // a plan that is an expression has no closing brace to add entries before.
    const editable = entry && !entry.computed && !entry.via;
    const extendable = firstPlan && !firstPlan.auto && !firstPlan.computed;
    if (editable && f.suggestion && ['SS101', 'SS105', 'SS302'].includes(f.code)) {
      fixes.push({ title: `Change to '${f.suggestion}'`, edits: [{ range: entry.valueRange, newText: quoted(text, entry.valueRange, f.suggestion) }], preferred: true });
    }
    if (editable && f.code === 'SS102') {
      // Checkpoint-era names of fused experts map onto one fused parameter, not onto the experts module.
      const suggestion = fusedExpertsRename(entry.key, graph, doc.plans.find((p) => p.entries.includes(entry))?.scope ?? 'base') ?? f.suggestion;
      if (suggestion && suggestion !== f.suggestion) message = message.replace(/the nearest real path is '[^']*'/, `the nearest real path is '${suggestion}'`);
      const q = entry.keyRange;
      if (suggestion) fixes.push({ title: `Change to '${suggestion}'`, edits: [{ range: q, newText: quoted(text, q, suggestion) }], preferred: true });
    }
    if (!entry && f.code === 'SS401' && extendable) {
      fixes.push(addEntriesFix(text, doc.format === 'python', firstPlan, expertEntries(graph, firstPlan.scope), 'Shard the experts (packed_colwise / rowwise / moe_tp_experts)'));
    }
    if (!entry && f.code === 'SS311' && extendable) {
      fixes.push(addEntriesFix(text, doc.format === 'python', firstPlan, [['lm_head', 'colwise_gather_output']], "Add 'lm_head': 'colwise_gather_output'"));
    }
    if (!entry && (f.code === 'SS301' || f.code === 'SS310') && f.target && f.suggestion && extendable) {
      const key = wildcard(relKey(f.target, graph, firstPlan.scope));
      fixes.push(addEntriesFix(text, doc.format === 'python', firstPlan, [[key, f.suggestion]], `Add '${key}': '${f.suggestion}'`));
    }
    // Findings of several parameters can say the same thing at the same place (k_proj and v_proj of an auto plan).
    if (out.some((d) => d.code === f.code && d.message === message && d.range.start === range.start && d.range.end === range.end)) continue;
    out.push({ code: f.code, slug: f.slug, severity: severity as Diagnostic['severity'], message, range, fixes: fixes.length ? fixes : undefined });
  }
  return out;
}

const paramPaths = new WeakMap<ModelGraph, Set<string>>();

/** transformers 5 fuses per-expert Linear layers into 3-D parameters: `experts.*.w1`/`w3` (Mixtral's
 *  checkpoint names) and `experts.*.gate_proj`/`up_proj` became `experts.gate_up_proj`, `w2`/`down_proj`
 *  became `experts.down_proj`, and Mixtral's `block_sparse_moe` became `mlp`. The renamed key, when the
 *  model has that parameter. */
function fusedExpertsRename(key: string, graph: ModelGraph, scope: string): string | undefined {
  const m = key.match(/^(.*?)(?:block_sparse_moe|mlp)\.experts\.(?:\*|\d+)\.(w1|w3|gate_proj|up_proj|w2|down_proj)(\.weight)?$/);
  if (!m) return undefined;
  const renamed = `${m[1]}mlp.experts.${['w2', 'down_proj'].includes(m[2]) ? 'down_proj' : 'gate_up_proj'}`;
  let paths = paramPaths.get(graph);
  if (!paths) paramPaths.set(graph, (paths = new Set(graph.params.map((p) => wildcard(p.name)))));
  const base = scope === 'root' || !graph.basePrefix ? '' : graph.basePrefix + '.';
  return paths.has(wildcard(base + renamed)) ? wildcard(renamed) : undefined;
}

/** Layer indices written either way compare equal. */
const wildcard = (key: string) => key.replace(/\.\d+(?=\.|$)/g, '.*');

/** For a finding about a module no entry names (an attention block whose q/k/v disagree, experts whose
 *  outputs nothing combines): the first entry inside that module, so the squiggle sits where the fix goes.
 *  Whole layers and the model itself are too broad: those stay on the plan's name. */
function entryUnder(target: string, doc: PlanDocument, graph: ModelGraph): PlanEntry | undefined {
  const rel = wildcard(relKey(target, graph, 'base'));
  if (/^(layers\.\*)?$/.test(rel) || rel === graph.basePrefix) return undefined;
  for (const p of doc.plans) {
    if (p.kind === 'pp' || p.auto) continue;
    const base = p.scope === 'root' && graph.basePrefix ? graph.basePrefix + '.' : '';
    const want = base + rel;
    const hit = p.entries.find((e) => wildcard(e.key) === want || wildcard(e.key).startsWith(want + '.'));
    if (hit) return hit;
  }
  return undefined;
}

/** The binder refused the plan as a whole (a placement that fits no tensor): bind each entry alone to
 *  find the one at fault, and put the error on its value. */
function bindFailure(err: Error, doc: PlanDocument, bind: (inputs: PlanInput[]) => unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of doc.plans) {
    if (p.kind === 'pp' || p.auto) continue;
    for (const e of p.entries) {
      try {
        bind([{ scope: p.scope, entries: [e] }]);
      } catch (one) {
        out.push({ code: 'SS104', slug: 'invalid-placement', severity: 'error', message: `'${e.key}': ${(one as Error).message}`, range: valueRangeOf(e) });
      }
    }
  }
  if (out.length) return out;
  const plan = doc.plans.find((p) => p.kind !== 'pp');
  return [{ code: 'SS104', slug: 'invalid-placement', severity: 'error', message: `the plan cannot be bound: ${err.message}`, range: planNameRange(plan) }];
}

function relKey(target: string, graph: ModelGraph, scope: string): string {
  const t = target.replace(/\.(weight|bias)$/, '');
  return scope === 'base' && graph.basePrefix && t.startsWith(graph.basePrefix + '.') ? t.slice(graph.basePrefix.length + 1) : t;
}

function expertEntries(graph: ModelGraph, scope: string): [string, string][] {
  const experts = [...graph.modules.values()].find((m) => m.kind === 'experts');
  if (!experts) return [];
  const key = relKey(experts.path.replace(/\.\d+\./, '.*.'), graph, scope);
  if (experts.attrs?.transposed) return [[`${key}.gate_up_proj`, 'grouped_gemm'], [`${key}.down_proj`, 'grouped_gemm'], [key, 'moe_tp_experts']];
  return [[`${key}.gate_up_proj`, 'packed_colwise'], [`${key}.down_proj`, 'rowwise'], [key, 'moe_tp_experts']];
}

/** A string literal in the quote style the source already uses there. */
function quoted(text: string, range: TextRange, value: string): string {
  const q = text[range.start] === "'" ? "'" : '"';
  return `${q}${value}${q}`;
}

/** Where a diagnostic on an entry's style goes: its value, or the merge that brought it into this plan. */
const valueRangeOf = (e: PlanEntry): TextRange => e.via ?? e.valueRange;

/** A diagnostic about a plan as a whole sits on the plan's name (else on its opening brace). */
function planNameRange(plan: PlanDocument['plans'][number] | undefined): TextRange {
  if (!plan) return { start: 0, end: 0 };
  if (plan.nameRange) return plan.nameRange;
  return { start: plan.range.start, end: Math.min(plan.range.end, plan.range.start + 1) };
}

/** Insert entries before the closing brace of a plan dict, indented like its last entry. */
function addEntriesFix(text: string, python: boolean, plan: PlanDocument['plans'][number], entries: [string, string][], title: string): QuickFix {
  const close = plan.range.end - 1;
  const last = plan.entries[plan.entries.length - 1];
  let indent = '    ';
  let prefix = '';
  if (last && text) {
    const lineStart = text.lastIndexOf('\n', last.keyRange.start) + 1;
    indent = text.slice(lineStart, last.keyRange.start);
    const between = text.slice(last.valueRange.end, close);
    prefix = /,/.test(between) ? '' : ',';
  }
  const closeLineStart = text ? text.lastIndexOf('\n', close) + 1 : close;
  const closeIsOwnLine = text ? /^\s*$/.test(text.slice(closeLineStart, close)) : false;
  // Python keeps a trailing comma after every entry; JSON allows none after the last one.
  const body = entries.map(([k, v]) => `${indent}"${k}": "${v}"`).join(',\n') + (python ? ',' : '');
  if (closeIsOwnLine && last) {
    return { title, edits: [{ range: { start: last.valueRange.end, end: last.valueRange.end }, newText: prefix }, { range: { start: closeLineStart, end: closeLineStart }, newText: body + '\n' }] };
  }
  return { title, edits: [{ range: { start: close, end: close }, newText: (last ? prefix + ' ' : '') + entries.map(([k, v]) => `"${k}": "${v}"`).join(', ') }] };
}

/** Without a model, unknown styles can still be caught. */
function styleOnlyDiagnostics(doc: PlanDocument, generation: Generation, out: Diagnostic[]): void {
  for (const p of doc.plans) {
    for (const e of p.entries) {
      const r = resolveStyleRef(e.style, generation);
      if ('error' in r) out.push({ code: 'SS101', slug: 'unknown-style', severity: 'error', message: r.error, range: valueRangeOf(e) });
    }
  }
}

/** A *.shardplan.json ep_plan is applied only when expert_parallel names the mesh dims it spreads over
 *  (transformers likewise reads base_model_ep_plan only with enable_expert_parallel). */
function epPlanUnused(doc: PlanDocument, text: string, out: Diagnostic[]): void {
  if (doc.format !== 'shardplan' || doc.expertParallel?.length) return;
  const ep = doc.plans.find((p) => p.kind === 'ep' && !p.auto && p.entries.length);
  if (!ep?.nameRange) return;
  const dims = doc.mesh?.dims.map((d) => d.name) ?? [];
  const dim = dims.includes('tp') ? 'tp' : (dims[dims.length - 1] ?? 'tp');
  const lineStart = text.lastIndexOf('\n', ep.nameRange.start) + 1;
  const indent = text.slice(lineStart, ep.nameRange.start);
  const insert = /^\s*$/.test(indent) ? `"expert_parallel": ["${dim}"],\n${indent}` : `"expert_parallel": ["${dim}"], `;
  out.push({
    code: 'SS109', slug: 'ep-plan-unused', severity: 'warning',
    message: `"ep_plan" is never applied: no "expert_parallel" names the mesh dims the experts are spread over (transformers' own scheme is ep = tp: "expert_parallel": ["${dim}"])`,
    range: ep.nameRange,
    fixes: [{ title: `Add "expert_parallel": ["${dim}"]`, edits: [{ range: { start: ep.nameRange.start, end: ep.nameRange.start }, newText: insert }], preferred: true }],
  });
}

/** Sequence-parallel entries where transformers does not wire sequence parallelism. */
function spNotWired(doc: PlanDocument, generation: Generation, out: Diagnostic[]): void {
  if (doc.format !== 'python' && doc.format !== 'config-json') return;
  if (generation !== 'g4' && generation !== 'g2') return;
  for (const p of doc.plans) {
    for (const e of p.entries) {
      if (e.style.kind !== 'name') continue;
      const hit = lookupStyle(e.style.name, generation);
      if (hit?.semantics.sequenceParallel) {
        out.push({ code: 'SS106', slug: 'sp-not-wired', severity: 'warning', message: `'${e.style.name}' shards the sequence, but in transformers 5.x DistributedConfig's enable_sequence_parallel is reserved and not wired: this entry only works with your own sequence-parallel setup`, range: valueRangeOf(e) });
      }
    }
  }
}

export function severityOf(code: string) {
  return CODE_BY_ID.get(code)?.severity ?? 'warning';
}
