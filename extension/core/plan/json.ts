// Plans in JSON: *.shardplan.json (JSON with comments: model, mesh, expert_parallel, plan, ep_plan,
// sequence_parallel, run), a checkpoint's config.json with plan keys, or a plain object of pattern → style.
import { parseTree, findNodeAtLocation, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { Diagnostic, Plan, PlanDocument, PlanEntry, RunSettings } from './types';
import type { StyleRef } from '../styles/types';
import { meshLimitProblem, expertDimsProblem, configLimitProblems } from '../limit-checks';
import { jsonNestingOffset, nestingMessage } from '../util/json';

const range = (n: Node) => ({ start: n.offset, end: n.offset + n.length });

function syntaxDiagnostics(errors: ParseError[]): Diagnostic[] {
  return errors.map((e) => ({ code: 'SS001', slug: 'syntax', severity: 'error' as const, message: `malformed JSON: ${printParseErrorCode(e.error)}`, range: { start: e.offset, end: e.offset + Math.max(1, e.length) } }));
}

/** A style value in JSON: a string, or {"kind": ..., "comm": ...} for a TPStyle. */
function styleOf(n: Node): StyleRef | undefined {
  if (n.type === 'string') return { kind: 'name', name: n.value as string };
  if (n.type === 'object') {
    const kind = findNodeAtLocation(n, ['kind'])?.value;
    const comm = findNodeAtLocation(n, ['comm'])?.value;
    if (typeof kind === 'string') return { kind: 'tpstyle', styleKind: kind, comm: typeof comm === 'string' ? comm : 'none' };
  }
  return undefined;
}

function readPlanObject(obj: Node, name: string, kind: Plan['kind'], scope: Plan['scope'], text: string, diagnostics: Diagnostic[]): Plan {
  const key = obj.parent?.type === 'property' ? obj.parent.children?.[0] : undefined;
  const plan: Plan = { name, kind, scope, entries: [], range: range(obj), ...(key && key !== obj ? { nameRange: range(key) } : {}) };
  if (obj.type === 'string' && obj.value === 'auto') return { ...plan, auto: true };
  if (obj.type !== 'object') {
    diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `"${name}" must be an object of pattern → style (or "auto")`, range: range(obj) });
    return plan;
  }
  for (const prop of obj.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v) continue;
    const style = styleOf(v);
    if (!style) {
      diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `expected a style name such as "colwise" for "${k.value}"`, range: range(v) });
      continue;
    }
    const entry: PlanEntry = { key: k.value as string, keyRange: range(k), style, styleText: style.kind === 'name' ? style.name : text.slice(v.offset, v.offset + v.length), valueRange: range(v) };
    plan.entries.push(entry);
  }
  return plan;
}

const PLAN_KEYS: [string, Plan['kind'], Plan['scope']][] = [
  ['base_model_tp_plan', 'tp', 'base'],
  ['base_model_ep_plan', 'ep', 'base'],
  ['base_model_sp_plan', 'sp', 'base'],
  ['base_model_tp_ep_plan', 'tp', 'base'],
  ['base_model_sp_ep_plan', 'sp', 'base'],
  ['base_model_pp_plan', 'pp', 'base'],
];

export function parseJsonPlans(text: string, uri: string): PlanDocument {
  const isShardplan = /\.shardplan\.json$/i.test(uri);
  const isConfig = /(^|[\\/])config\.json$/i.test(uri);
  const doc: PlanDocument = { uri, format: isShardplan ? 'shardplan' : isConfig ? 'config-json' : 'json', plans: [], diagnostics: [] };
  // jsonc-parser's tree builder recurses: deep nesting is refused before it runs.
  const deep = jsonNestingOffset(text);
  if (deep >= 0) {
    doc.diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: nestingMessage(), range: { start: deep, end: deep + 1 } });
    return doc;
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const diagnostics = doc.diagnostics;
  diagnostics.push(...syntaxDiagnostics(errors));
  if (!root || root.type !== 'object') {
    if (root) diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: 'expected a JSON object', range: range(root) });
    return doc;
  }
  const get = (key: string) => findNodeAtLocation(root, [key]);
  const hasShardplanKeys = ['plan', 'mesh', 'model'].some((k) => get(k));
  if (isShardplan || (hasShardplanKeys && !isConfig)) {
    doc.format = 'shardplan';
    const model = get('model');
    if (model) doc.model = { ref: model.type === 'object' ? (nodeValue(model) as Record<string, unknown>) : String(model.value), range: range(model) };
    if (model?.type === 'object') configLimitDiagnostics(model, diagnostics);
    const mesh = get('mesh');
    if (mesh) {
      if (mesh.type === 'object') {
        doc.mesh = { dims: (mesh.children ?? []).map((p) => ({ name: String(p.children?.[0]?.value), size: Number(p.children?.[1]?.value) })), range: range(mesh) };
        for (const p of mesh.children ?? []) {
          const v = p.children?.[1];
          if (!v || v.type !== 'number' || !Number.isInteger(v.value) || v.value < 1) diagnostics.push({ code: 'SS002', slug: 'bad-mesh', severity: 'error', message: `mesh dim "${p.children?.[0]?.value}" must be a positive integer`, range: v ? range(v) : range(p) });
        }
        const over = meshLimitProblem(doc.mesh.dims);
        if (over) {
          diagnostics.push({ code: 'SS005', slug: 'over-limit', severity: 'error', message: over, range: range(mesh) });
          doc.mesh = undefined;
        }
      } else diagnostics.push({ code: 'SS002', slug: 'bad-mesh', severity: 'error', message: 'expected "mesh": {"tp": 4} (named dims whose product is the world size)', range: range(mesh) });
    }
    const ep = get('expert_parallel');
    if (ep?.type === 'array') {
      doc.expertParallel = (ep.children ?? []).map((c) => String(c.value));
      const bad = expertDimsProblem(doc.expertParallel);
      if (bad) {
        diagnostics.push({ code: 'SS005', slug: 'over-limit', severity: 'error', message: bad, range: range(ep) });
        doc.expertParallel = undefined;
      }
    }
    const sp = get('sequence_parallel');
    if (sp?.type === 'boolean') doc.sequenceParallel = sp.value as boolean;
    const run = get('run');
    if (run?.type === 'object') doc.run = toRun(nodeValue(run) as Record<string, unknown>);
    const plan = get('plan');
    if (plan) doc.plans.push(readPlanObject(plan, 'plan', 'tp', 'base', text, diagnostics));
    const epPlan = get('ep_plan');
    if (epPlan) doc.plans.push(readPlanObject(epPlan, 'ep_plan', 'ep', 'base', text, diagnostics));
    if (!plan && !epPlan) diagnostics.push({ code: 'SS003', slug: 'no-plan', severity: 'warning', message: 'no "plan": add "plan": {"layers.*.self_attn.q_proj": "colwise", ...} or "plan": "auto"', range: { start: root.offset, end: root.offset + 1 } });
    return doc;
  }
  let found = false;
  for (const [key, kind, scope] of PLAN_KEYS) {
    const n = get(key);
    if (!n) continue;
    found = true;
    if (kind === 'pp') continue;
    doc.plans.push(readPlanObject(n, key, kind, scope, text, diagnostics));
  }
  if (isConfig || found) {
    doc.format = 'config-json';
    configLimitDiagnostics(root, diagnostics);
    doc.configValues = nodeValue(root) as Record<string, unknown>;
    return doc;
  }
  // A plain object of pattern → style, keys from the model root (model._tp_plan) or the base model.
  const plain = readPlanObject(root, 'plan', 'tp', 'base', text, diagnostics);
  doc.plans.push(plain);
  return doc;
}

/** A configuration's values over the limits (layers, experts, tensor dims), each on its value. */
function configLimitDiagnostics(obj: Node, diagnostics: Diagnostic[]): void {
  for (const p of configLimitProblems(nodeValue(obj) as Record<string, unknown>)) {
    const at = findNodeAtLocation(obj, p.path);
    diagnostics.push({ code: 'SS005', slug: 'over-limit', severity: 'error', message: p.message, range: at ? range(at) : range(obj) });
  }
}

function nodeValue(n: Node): unknown {
  switch (n.type) {
    case 'object':
      return Object.fromEntries((n.children ?? []).map((p) => [p.children?.[0]?.value, p.children?.[1] ? nodeValue(p.children[1]) : undefined]));
    case 'array':
      return (n.children ?? []).map(nodeValue);
    default:
      return n.value;
  }
}

function toRun(v: Record<string, unknown>): RunSettings {
  const num = (x: unknown) => (typeof x === 'number' ? x : undefined);
  return {
    batch: num(v.batch),
    seqLen: num(v.seq_len),
    dtype: typeof v.dtype === 'string' ? v.dtype : undefined,
    layers: Array.isArray(v.layers) ? (v.layers as number[]) : undefined,
    ranks: num(v.ranks),
    backend: v.backend === 'cpu' || v.backend === 'cuda' || v.backend === 'auto' ? v.backend : undefined,
    mode: v.mode === 'training' || v.mode === 'inference' ? v.mode : undefined,
    gpuMemoryGiB: num(v.gpu_memory_gib),
  };
}
