// Plans in Python source, read with @lezer/python (error-tolerant): dicts assigned to *_tp_plan,
// *_ep_plan, *_sp_plan (base_model_pp_plan read as module → inputs/outputs), tp_plan=/tp_size= arguments
// of from_pretrained and DistributedConfig, parallelize_module(model, mesh, {...}) and TPStyle(...) calls.
// A plan's value is evaluated statically (comments, concatenated strings, negative numbers, `**` merges,
// comprehensions, .update(...)); each plan belongs to the class it is written in, with that class's
// config values. What cannot be read statically is reported (SS006), never dropped in silence.
import { parser } from '@lezer/python';
import { TreeFragment, type SyntaxNode, type Tree } from '@lezer/common';
import type { Placement } from '../sharding/types';
import type { StyleRef, TorchArg } from '../styles/types';
import type { Diagnostic, Plan, PlanDocument, PlanEntry, PythonClass, TextRange } from './types';
import { NotStatic, children, rangeOf, type DictItem, type PyValue } from './python-values';
import { FileBindings, MODULE, type SkipReport } from './python-scopes';

const PLAN_NAME = /^(?:base_model_|_)?(?:\w+_)?(tp|ep|sp|pp)_plan$|^_(tp|ep|sp|pp)_plan$/;

/** The last parse of each document, so an edit re-parses only around the changed text. */
const lastParse = new Map<string, { text: string; fragments: readonly TreeFragment[] }>();

function incrementalParse(text: string, uri: string): Tree {
  const prev = lastParse.get(uri);
  let tree: Tree;
  if (prev) {
    // The edit is the span between the longest common prefix and suffix of the old and new text.
    let start = 0;
    const max = Math.min(prev.text.length, text.length);
    while (start < max && prev.text.charCodeAt(start) === text.charCodeAt(start)) start++;
    let end = 0;
    while (end < max - start && prev.text.charCodeAt(prev.text.length - 1 - end) === text.charCodeAt(text.length - 1 - end)) end++;
    const fragments = TreeFragment.applyChanges(prev.fragments, [{ fromA: start, toA: prev.text.length - end, fromB: start, toB: text.length - end }]);
    tree = parser.parse(text, fragments);
  } else tree = parser.parse(text);
  if (lastParse.size > 64) lastParse.delete(lastParse.keys().next().value!);
  lastParse.set(uri, { text, fragments: TreeFragment.addTree(tree) });
  return tree;
}

type Scalar = string | number | boolean | null;

function scalar(v: PyValue): Scalar | undefined {
  if (v.t === 'str' || v.t === 'num' || v.t === 'bool') return v.v;
  if (v.t === 'none') return null;
  return undefined;
}

/** Why a plan's value is not read as one. */
const notADict = (v: PyValue) => (v.t === 'call' ? `${v.callee}(...) needs running code` : `a ${v.t}, not a dict`);

function placementOf(v: PyValue): Placement | null | undefined {
  if (v.t === 'none') return null;
  if (v.t !== 'call') return undefined;
  const num = (i: number, kw: string) => {
    const a = v.kwargs[kw] ?? v.args[i];
    return a && a.t === 'num' ? a.v : undefined;
  };
  // Negative dims stay as written: the sharding layer resolves them against each tensor's rank.
  if (v.callee === 'Shard') return { kind: 'shard', dim: num(0, 'dim') ?? 0 };
  if (v.callee === 'Replicate') return { kind: 'replicate' };
  if (v.callee === 'Partial') {
    const a = v.kwargs.reduce_op ?? v.args[0];
    return { kind: 'partial', op: (a && a.t === 'str' ? a.v : 'sum') as 'sum' };
  }
  if (v.callee === '_StridedShard') return { kind: 'strided_shard', dim: num(0, 'dim') ?? 0, splitFactor: num(1, 'split_factor') ?? 1 };
  return undefined;
}

function torchArg(v: PyValue): TorchArg {
  switch (v.t) {
    case 'str':
    case 'num':
    case 'bool':
      return v.v;
    case 'none':
      return null;
    case 'seq':
      return v.items.map((c) => placementOf(c) ?? null);
    case 'dict': {
      const dict: Record<string, Placement | null> = {};
      for (const i of v.items) if (i.key.t === 'str') dict[i.key.v] = placementOf(i.value) ?? null;
      return { dict };
    }
    default:
      return placementOf(v) ?? null;
  }
}

function styleOf(v: PyValue): StyleRef | undefined {
  if (v.t === 'str') return { kind: 'name', name: v.v };
  if (v.t !== 'call') return undefined;
  if (v.callee === 'TPStyle') {
    const kwargs: Record<string, TorchArg> = {};
    for (const [k, a] of Object.entries(v.kwargs)) kwargs[k] = torchArg(a);
    const s = (a: PyValue | undefined) => (a && a.t === 'str' ? a.v : undefined);
    return { kind: 'tpstyle', styleKind: s(v.args[0]) ?? (kwargs.kind as string) ?? '', comm: s(v.args[1]) ?? (kwargs.comm as string) ?? 'none', args: kwargs };
  }
  const kwargs: Record<string, TorchArg> = {};
  for (const [k, a] of Object.entries(v.kwargs)) kwargs[k] = torchArg(a);
  return { kind: 'torch', call: { className: v.callee, kwargs, args: v.args.map(torchArg) } };
}

export function parsePythonPlans(text: string, uri: string): PlanDocument & { tree: Tree } {
  const tree = incrementalParse(text, uri);
  const src = (n: SyntaxNode) => text.slice(n.from, n.to);
  const plans: Plan[] = [];
  const diagnostics: Diagnostic[] = [];
  const doc: PlanDocument & { tree: Tree } = { uri, format: 'python', plans, diagnostics, tree };
  const files = new FileBindings(text, tree);
  const ev = files.ev;

  const notRead = (what: 'entry' | 'plan', why: string, range: TextRange) =>
    diagnostics.push({ code: 'SS006', slug: 'not-read', severity: 'info', message: `${what} not read: ${why}`, range });
  const report: SkipReport = (why, range, syntax) => {
    if (syntax) diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `expected "pattern": style`, range });
    else notRead('entry', why, range);
  };

  /** A plan from its evaluated items. */
  const toPlan = (items: DictItem[], name: string, kind: Plan['kind'], scope: Plan['scope'], range: TextRange): Plan => {
    const plan: Plan = { name, kind, scope, entries: [], range };
    for (const it of items) {
      if (it.key.t !== 'str') {
        diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `a plan key must be a string such as "layers.*.self_attn.q_proj"`, range: it.keyRange });
        continue;
      }
      const key = it.key.v;
      if (kind === 'pp') {
        const lists = it.value.t === 'seq' ? it.value.items.filter((x): x is Extract<PyValue, { t: 'seq' }> => x.t === 'seq') : [];
        const names = (l?: Extract<PyValue, { t: 'seq' }>) => (l ? l.items.flatMap((x) => (x.t === 'str' ? [x.v] : [])) : []);
        (plan.ppEntries ??= []).push({ key, keyRange: it.keyRange, inputs: names(lists[0]), outputs: names(lists[1]) });
        continue;
      }
      const style = styleOf(it.value);
      if (!style) {
        diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `expected a style: a string such as "colwise", a TPStyle(kind, comm) or a PyTorch ParallelStyle call`, range: it.valueRange });
        continue;
      }
      const entry: PlanEntry = { key, keyRange: it.keyRange, style, styleText: style.kind === 'name' ? style.name : text.slice(it.valueRange.start, it.valueRange.end), valueRange: it.valueRange };
      if (it.computed) entry.computed = true;
      if (it.via) entry.via = it.via;
      plan.entries.push(entry);
    }
    return plan;
  };

  /** A call's argument that is a variable read as a plan where it is assigned. */
  const namesPlan = (n: SyntaxNode) => n.name === 'VariableName' && PLAN_NAME.test(src(n));

  /** A dict written in place (a call's argument): its items, the unreadable ones reported. */
  const dictArg = (n: SyntaxNode): DictItem[] | undefined => {
    const sc = files.scopeAt(files.scopeOf(n), n.from);
    if (n.name === 'DictionaryExpression') return ev.dictDisplay(n, sc, report);
    try {
      const v = ev.eval(n, sc);
      if (v.t === 'dict') return v.items;
      notRead('plan', notADict(v), rangeOf(n));
    } catch (e) {
      if (!(e instanceof NotStatic)) throw e;
      notRead('plan', e.message, rangeOf(n));
    }
    return undefined;
  };

  // Plans assigned in every scope: each assignment is one plan, with the mutations that follow it.
  for (const scope of [MODULE, ...files.events.keys()].filter((s, i, all) => all.indexOf(s) === i)) {
    const binds = files.binds(scope);
    binds.forEach((b, i) => {
      const m = b.name.match(PLAN_NAME);
      if (!m || b.value.name === 'None') return;
      const next = binds.slice(i + 1).find((x) => x.name === b.name);
      let v: PyValue | undefined;
      try {
        v = files.valueIn(scope, b.name, next ? next.pos : Infinity, report);
      } catch (e) {
        if (!(e instanceof NotStatic)) throw e;
        notRead('plan', e.message, e.range.start >= b.value.from && e.range.end <= b.value.to ? e.range : rangeOf(b.value));
        return;
      }
      if (!v || v.t === 'none') return;
      if (v.t !== 'dict') {
        notRead('plan', notADict(v), rangeOf(b.value));
        return;
      }
      const kind = (m[1] ?? m[2]) as Plan['kind'];
      const planScope: Plan['scope'] = b.name.startsWith('base_model_') ? 'base' : b.name.startsWith('_') ? 'class' : 'base';
      const plan = toPlan(v.items, b.name, kind, planScope, rangeOf(b.value));
      const last = b.target.name === 'MemberExpression' ? b.target.lastChild : b.target;
      if (last) plan.nameRange = rangeOf(last);
      if (b.value.name !== 'DictionaryExpression') plan.computed = true;
      const owner = files.owners.get(scope);
      if (owner) plan.owner = owner;
      plans.push(plan);
    });
  }

  // Config values: each class's own field defaults (and a 4.x class's __init__ defaults), its
  // attribute_map, and where each base is imported from.
  const imports = new Map<string, { module: string; name: string }>();
  const moduleValues: Record<string, unknown> = {};
  const scalarsOf = (scope: string, into: Record<string, unknown>) => {
    for (const b of files.binds(scope)) {
      if (b.target.name !== 'VariableName' || PLAN_NAME.test(b.name)) continue;
      try {
        const v = scalar(ev.eval(b.value, files.scopeAt(scope, b.pos)));
        if (v !== undefined) into[b.name] = v;
      } catch (e) {
        if (!(e instanceof NotStatic)) throw e;
      }
    }
  };
  scalarsOf(MODULE, moduleValues);
  const classes: PythonClass[] = [];
  for (const c of files.classes.values()) {
    const values: Record<string, unknown> = {};
    scalarsOf(c.name, values);
    const init = c.node.getChild('Body')?.getChildren('FunctionDefinition').find((f) => f.getChild('VariableName') && src(f.getChild('VariableName')!) === '__init__');
    const params = init?.getChild('ParamList');
    const kids = params ? children(params) : [];
    for (let i = 0; i < kids.length; i++) {
      if (kids[i].name !== 'VariableName') continue;
      let j = i + 1;
      if (kids[j]?.name === 'TypeDef') j++;
      if (kids[j]?.name !== 'AssignOp' || !kids[j + 1]) continue;
      const name = src(kids[i]);
      if (values[name] !== undefined) continue;
      try {
        const v = scalar(ev.eval(kids[j + 1], files.scopeAt(MODULE, c.node.from)));
        if (v !== undefined) values[name] = v;
      } catch (e) {
        if (!(e instanceof NotStatic)) throw e;
      }
    }
    const cls: PythonClass = { name: c.name, bases: c.bases.map((b) => ({ name: b })), range: rangeOf(c.node) };
    if (Object.keys(values).length) cls.configValues = values;
    let amap: PyValue | undefined;
    try {
      amap = files.valueIn(c.name, 'attribute_map', Infinity);
    } catch (e) {
      if (!(e instanceof NotStatic)) throw e;
    }
    if (amap?.t === 'dict') {
      const map: Record<string, string> = {};
      for (const it of amap.items) if (it.key.t === 'str' && it.value.t === 'str') map[it.key.v] = it.value.v;
      cls.attributeMap = map;
      doc.attributeMap = { ...doc.attributeMap, ...map };
    }
    classes.push(cls);
  }
  if (classes.length) doc.classes = classes;

  tree.iterate({
    enter: (ref) => {
      const n = ref.node;
      // Where each imported name comes from: `from .configuration_llama import LlamaConfig [as X]`.
      if (n.name === 'ImportStatement' && n.firstChild?.name === 'from') {
        let module = '';
        let c = n.firstChild.nextSibling;
        for (; c && c.name !== 'import'; c = c.nextSibling) module += src(c);
        for (c = c?.nextSibling ?? null; c; c = c.nextSibling) {
          if (c.name !== 'VariableName') continue;
          const alias = c.nextSibling?.name === 'as' ? c.nextSibling.nextSibling : null;
          imports.set(alias ? src(alias) : src(c), { module, name: src(c) });
          if (alias) c = alias;
        }
      }
      if (n.name === 'CallExpression') {
        const fn = n.firstChild;
        const fname = fn ? src(fn).split('.').pop()! : '';
        const args = ev.args(n);
        if (fname === 'parallelize_module') {
          const dict = args.find((a) => a.name === 'parallelize_plan')?.value ?? args.filter((a) => !a.name)[2]?.value;
          const items = dict && (dict.name === 'DictionaryExpression' || dict.name === 'CallExpression' || (dict.name === 'VariableName' && !namesPlan(dict))) ? dictArg(dict) : undefined;
          if (dict && items) plans.push({ ...toPlan(items, 'parallelize_plan', 'tp', 'root', rangeOf(dict)), ...(dict.name !== 'DictionaryExpression' ? { computed: true } : {}) });
          return;
        }
        if (fname === 'from_pretrained' || fname === 'DistributedConfig' || fname === 'from_config') {
          const at = files.scopeAt(files.scopeOf(n), n.from);
          const value = (node: SyntaxNode) => {
            try {
              return ev.eval(node, at);
            } catch (e) {
              if (!(e instanceof NotStatic)) throw e;
              return undefined;
            }
          };
          for (const a of args) {
            if (a.name === 'tp_plan') {
              const nameRange = a.nameNode ? rangeOf(a.nameNode) : undefined;
              // tp_plan=tp_plan: the assignment is the plan already.
              if (namesPlan(a.value)) continue;
              const v = a.value.name === 'DictionaryExpression' ? undefined : value(a.value);
              if (v?.t === 'str' && v.v === 'auto') plans.push({ name: 'tp_plan', kind: 'tp', scope: 'root', entries: [], range: rangeOf(a.value), nameRange, auto: true });
              else if (a.value.name === 'DictionaryExpression' || v?.t === 'dict') {
                const items = dictArg(a.value);
                if (items) plans.push({ ...toPlan(items, 'tp_plan', 'tp', 'root', rangeOf(a.value)), nameRange, ...(a.value.name !== 'DictionaryExpression' ? { computed: true } : {}) });
              }
            }
            const v = a.name === 'tp_size' || a.name === 'enable_expert_parallel' || a.name === 'enable_sequence_parallel' ? value(a.value) : undefined;
            if (a.name === 'tp_size' && v?.t === 'num') {
              const dims = doc.mesh?.dims ?? [];
              doc.mesh = { dims: [...dims.filter((d) => d.name !== 'tp'), { name: 'tp', size: v.v }], range: rangeOf(a.value) };
            }
            if (a.name === 'enable_expert_parallel' && v?.t === 'bool' && v.v) doc.expertParallel = ['tp'];
            if (a.name === 'enable_sequence_parallel' && v?.t === 'bool') doc.sequenceParallel = v.v;
          }
          const first = args.find((a) => !a.name);
          const ref = first && value(first.value);
          if (fname === 'from_pretrained' && ref?.t === 'str') doc.model = { ref: ref.v, range: rangeOf(first!.value) };
        }
      }
      return undefined;
    },
  });
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: 'Python syntax error', range: { start: ref.from, end: Math.max(ref.to, ref.from + 1) } });
    },
  });
  for (const c of classes) {
    for (const b of c.bases) {
      const from = imports.get(b.name);
      if (!from) continue;
      b.module = from.module;
      if (from.name !== b.name) b.imported = from.name;
    }
  }
  // The file's values as one (module level, then each class, later over earlier): what a plan outside
  // any class is checked against.
  const configValues: Record<string, unknown> = { ...moduleValues };
  for (const c of classes) for (const [k, v] of Object.entries(c.configValues ?? {})) configValues[k] = v;
  if (Object.keys(configValues).length) doc.configValues = configValues;
  plans.sort((a, b) => a.range.start - b.range.start);
  return doc;
}
