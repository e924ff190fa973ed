// Plans in Python source, read with @lezer/python (error-tolerant): dict literals assigned to *_tp_plan,
// *_ep_plan, *_sp_plan (base_model_pp_plan read as module → inputs/outputs), tp_plan=/tp_size= arguments
// of from_pretrained and DistributedConfig, parallelize_module(model, mesh, {...}) and TPStyle(...) calls.
import { parser } from '@lezer/python';
import { TreeFragment, type SyntaxNode, type Tree } from '@lezer/common';
import type { Placement } from '../sharding/types';
import type { StyleRef, TorchArg } from '../styles/types';
import type { Diagnostic, Plan, PlanDocument, PlanEntry, TextRange } from './types';

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

export function parsePythonPlans(text: string, uri: string): PlanDocument & { tree: Tree } {
  const tree = incrementalParse(text, uri);
  const src = (n: SyntaxNode) => text.slice(n.from, n.to);
  const plans: Plan[] = [];
  const diagnostics: Diagnostic[] = [];
  const doc: PlanDocument & { tree: Tree } = { uri, format: 'python', plans, diagnostics, tree };
  const configValues: Record<string, unknown> = {};
  const imports = new Map<string, string>();

  const stringValue = (n: SyntaxNode): string | undefined => {
    if (n.name !== 'String') return undefined;
    const raw = src(n);
    const m = raw.match(/^[rRbBuUfF]*("""|'''|"|')([\s\S]*)\1$/);
    return m ? m[2] : undefined;
  };
  const placementOf = (n: SyntaxNode): Placement | null | undefined => {
    if (n.name === 'None') return null;
    if (n.name !== 'CallExpression') return undefined;
    const fn = n.firstChild;
    const name = fn ? src(fn).split('.').pop()! : '';
    const args = argList(n);
    const num = (i: number, kw: string) => {
      const a = args.find((x) => x.name === kw) ?? args.filter((x) => !x.name)[i];
      return a && a.value.name === 'Number' ? Number(src(a.value)) : undefined;
    };
    if (name === 'Shard') return { kind: 'shard', dim: num(0, 'dim') ?? 0 };
    if (name === 'Replicate') return { kind: 'replicate' };
    if (name === 'Partial') {
      const a = args[0];
      const op = a ? (stringValue(a.value) ?? 'sum') : 'sum';
      return { kind: 'partial', op: op as 'sum' };
    }
    if (name === '_StridedShard') return { kind: 'strided_shard', dim: num(0, 'dim') ?? 0, splitFactor: num(1, 'split_factor') ?? 1 };
    return undefined;
  };
  const argValue = (n: SyntaxNode): TorchArg | undefined => {
    switch (n.name) {
      case 'Boolean':
        return src(n) === 'True';
      case 'Number':
        return Number(src(n));
      case 'None':
        return null;
      case 'String':
        return stringValue(n) ?? null;
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'ParenthesizedExpression': {
        const items = children(n).filter((c) => !['(', ')', '[', ']', ','].includes(c.name));
        if (n.name === 'ParenthesizedExpression' && items.length === 1) return argValue(items[0]);
        return items.map((c) => placementOf(c) ?? null);
      }
      case 'DictionaryExpression': {
        const dict: Record<string, Placement | null> = {};
        const kids = children(n).filter((c) => !['{', '}', ',', ':'].includes(c.name));
        for (let i = 0; i + 1 < kids.length; i += 2) {
          const k = stringValue(kids[i]);
          if (k !== undefined) dict[k] = placementOf(kids[i + 1]) ?? null;
        }
        return { dict };
      }
      default:
        return placementOf(n) ?? undefined;
    }
  };
  function children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }
  /** Arguments of a call: positional ones have no name. */
  function argList(call: SyntaxNode): { name?: string; nameNode?: SyntaxNode; value: SyntaxNode }[] {
    const list = call.getChild('ArgList');
    if (!list) return [];
    const out: { name?: string; nameNode?: SyntaxNode; value: SyntaxNode }[] = [];
    const kids = children(list).filter((c) => !['(', ')', ','].includes(c.name));
    for (let i = 0; i < kids.length; i++) {
      if (kids[i].name === 'VariableName' && kids[i + 1]?.name === 'AssignOp' && kids[i + 2]) {
        out.push({ name: src(kids[i]), nameNode: kids[i], value: kids[i + 2] });
        i += 2;
      } else out.push({ value: kids[i] });
    }
    return out;
  }
  const styleOf = (n: SyntaxNode): StyleRef | undefined => {
    const s = stringValue(n);
    if (s !== undefined) return { kind: 'name', name: s };
    if (n.name === 'CallExpression') {
      const fn = n.firstChild;
      const className = fn ? src(fn).split('.').pop()! : '';
      const args = argList(n);
      if (className === 'TPStyle') {
        const pos = args.filter((a) => !a.name);
        const kwargs: Record<string, TorchArg> = {};
        for (const a of args) if (a.name) kwargs[a.name] = argValue(a.value) ?? null;
        const kind = (pos[0] && stringValue(pos[0].value)) ?? (kwargs.kind as string) ?? '';
        const comm = (pos[1] && stringValue(pos[1].value)) ?? (kwargs.comm as string) ?? 'none';
        return { kind: 'tpstyle', styleKind: kind, comm, args: kwargs };
      }
      const kwargs: Record<string, TorchArg> = {};
      const positional: TorchArg[] = [];
      for (const a of args) {
        const v = argValue(a.value) ?? null;
        if (a.name) kwargs[a.name] = v;
        else positional.push(v);
      }
      return { kind: 'torch', call: { className, kwargs, args: positional } };
    }
    return undefined;
  };
  const range = (n: SyntaxNode): TextRange => ({ start: n.from, end: n.to });

  const readDict = (dict: SyntaxNode, name: string, kind: Plan['kind'], scope: Plan['scope']): Plan => {
    const plan: Plan = { name, kind, scope, entries: [], range: range(dict) };
    const kids = children(dict).filter((c) => !['{', '}', ','].includes(c.name));
    for (let i = 0; i < kids.length; i++) {
      const keyNode = kids[i];
      if (keyNode.name === ':' ) continue;
      if (kids[i + 1]?.name !== ':' || !kids[i + 2]) {
        if (keyNode.name !== '⚠') diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `expected "pattern": style in ${name}`, range: range(keyNode) });
        continue;
      }
      const valueNode = kids[i + 2];
      i += 2;
      const key = stringValue(keyNode);
      if (key === undefined) {
        diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `a plan key must be a string such as "layers.*.self_attn.q_proj"`, range: range(keyNode) });
        continue;
      }
      if (kind === 'pp') {
        const lists = valueNode.name === 'TupleExpression' || valueNode.name === 'ParenthesizedExpression' ? children(valueNode).filter((c) => c.name === 'ArrayExpression') : [];
        const names = (n?: SyntaxNode) => (n ? children(n).map(stringValue).filter((x): x is string => x !== undefined) : []);
        (plan.ppEntries ??= []).push({ key, keyRange: range(keyNode), inputs: names(lists[0]), outputs: names(lists[1]) });
        continue;
      }
      const style = styleOf(valueNode);
      if (!style) {
        diagnostics.push({ code: 'SS001', slug: 'syntax', severity: 'error', message: `expected a style: a string such as "colwise", a TPStyle(kind, comm) or a PyTorch ParallelStyle call`, range: range(valueNode) });
        continue;
      }
      const entry: PlanEntry = { key, keyRange: range(keyNode), style, styleText: style.kind === 'name' ? style.name : src(valueNode), valueRange: range(valueNode) };
      plan.entries.push(entry);
    }
    return plan;
  };

  tree.iterate({
    enter: (ref) => {
      const n = ref.node;
      if (n.name === 'AssignStatement') {
        const target = n.firstChild;
        const value = n.lastChild;
        if (!target || !value) return;
        const name = target.name === 'VariableName' ? src(target) : target.name === 'MemberExpression' ? src(target).split('.').pop()! : '';
        const m = name.match(PLAN_NAME);
        if (m && value.name === 'DictionaryExpression') {
          const kind = (m[1] ?? m[2]) as Plan['kind'];
          const scope: Plan['scope'] = name.startsWith('base_model_') ? 'base' : name.startsWith('_') ? 'class' : 'base';
          const named = readDict(value, name, kind, scope);
          const last = target.name === 'MemberExpression' ? target.lastChild : target;
          if (last) named.nameRange = range(last);
          plans.push(named);
          return false;
        }
        if (name === 'attribute_map' && value.name === 'DictionaryExpression') {
          const kids = children(value).filter((c) => !['{', '}', ',', ':'].includes(c.name));
          const map: Record<string, string> = {};
          for (let i = 0; i + 1 < kids.length; i += 2) {
            const k = stringValue(kids[i]);
            const v = stringValue(kids[i + 1]);
            if (k !== undefined && v !== undefined) map[k] = v;
          }
          doc.attributeMap = { ...doc.attributeMap, ...map };
          return false;
        }
        // Config class field defaults (dataclass style "hidden_size: int = 4096" parses as an assignment too).
        if (target.name === 'VariableName' && ['Number', 'Boolean', 'String', 'None'].includes(value.name)) {
          configValues[name] = value.name === 'Number' ? Number(src(value)) : value.name === 'Boolean' ? src(value) === 'True' : value.name === 'None' ? null : stringValue(value);
        }
      }
      // Where each imported name comes from: `from .configuration_llama import LlamaConfig [as X]`.
      if (n.name === 'ImportStatement' && n.firstChild?.name === 'from') {
        let module = '';
        let c = n.firstChild.nextSibling;
        for (; c && c.name !== 'import'; c = c.nextSibling) module += src(c);
        for (c = c?.nextSibling ?? null; c; c = c.nextSibling) {
          if (c.name !== 'VariableName') continue;
          const alias = c.nextSibling?.name === 'as' ? c.nextSibling.nextSibling : null;
          imports.set(alias ? src(alias) : src(c), module);
          if (alias) c = alias;
        }
      }
      if (n.name === 'ClassDefinition') {
        const nameNode = n.getChild('VariableName');
        const args = n.getChild('ArgList');
        if (nameNode) {
          const bases = (args ? children(args) : []).filter((c) => c.name === 'VariableName' || c.name === 'MemberExpression').map((c) => src(c).split('.').pop()!);
          (doc.classes ??= []).push({ name: src(nameNode), bases: bases.map((b) => ({ name: b })) });
        }
      }
      // transformers 4.x config classes: def __init__(self, vocab_size=32000, hidden_size=4096, ...).
      if (n.name === 'FunctionDefinition' && n.getChild('VariableName') && src(n.getChild('VariableName')!) === '__init__') {
        const params = n.getChild('ParamList');
        const kids = params ? children(params) : [];
        for (let i = 0; i + 2 < kids.length; i++) {
          if (kids[i].name === 'VariableName' && kids[i + 1].name === 'AssignOp') {
            const v = kids[i + 2];
            const name = src(kids[i]);
            if (configValues[name] !== undefined) continue;
            if (v.name === 'Number') configValues[name] = Number(src(v));
            else if (v.name === 'Boolean') configValues[name] = src(v) === 'True';
            else if (v.name === 'None') configValues[name] = null;
            else if (v.name === 'String') configValues[name] = stringValue(v);
          }
        }
      }
      if (n.name === 'CallExpression') {
        const fn = n.firstChild;
        const fname = fn ? src(fn).split('.').pop()! : '';
        const args = argList(n);
        if (fname === 'parallelize_module') {
          const dict = args.find((a) => a.name === 'parallelize_plan')?.value ?? args.filter((a) => !a.name)[2]?.value;
          if (dict?.name === 'DictionaryExpression') plans.push(readDict(dict, 'parallelize_plan', 'tp', 'root'));
          return;
        }
        if (fname === 'from_pretrained' || fname === 'DistributedConfig' || fname === 'from_config') {
          for (const a of args) {
            if (a.name === 'tp_plan') {
              const v = stringValue(a.value);
              const nameRange = a.nameNode ? range(a.nameNode) : undefined;
              if (v === 'auto') plans.push({ name: 'tp_plan', kind: 'tp', scope: 'root', entries: [], range: range(a.value), nameRange, auto: true });
              else if (a.value.name === 'DictionaryExpression') plans.push({ ...readDict(a.value, 'tp_plan', 'tp', 'root'), nameRange });
            }
            if ((a.name === 'tp_size' || a.name === 'ep_size') && a.value.name === 'Number') {
              const size = Number(src(a.value));
              const dims = doc.mesh?.dims ?? [];
              if (a.name === 'tp_size') doc.mesh = { dims: [...dims.filter((d) => d.name !== 'tp'), { name: 'tp', size }], range: range(a.value) };
            }
            if (a.name === 'enable_expert_parallel' && a.value.name === 'Boolean' && src(a.value) === 'True') doc.expertParallel = ['tp'];
            if (a.name === 'enable_sequence_parallel' && a.value.name === 'Boolean') doc.sequenceParallel = src(a.value) === 'True';
          }
          const first = args.find((a) => !a.name);
          const ref = first && stringValue(first.value);
          if (fname === 'from_pretrained' && ref) doc.model = { ref, range: range(first!.value) };
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
  for (const c of doc.classes ?? []) for (const b of c.bases) if (imports.has(b.name)) b.module = imports.get(b.name);
  if (Object.keys(configValues).length) doc.configValues = configValues;
  return doc;
}
