// Static evaluation of Python expressions on the @lezer/python tree: what a plan dict holds when it is
// written with string concatenation, negative numbers, `**` merges, comprehensions over literal
// iterables or names bound earlier in the same file. Anything that needs running code throws NotStatic
// with the reason and where, so the reader can say which entry it could not read instead of dropping it.
import type { SyntaxNode } from '@lezer/common';
import type { TextRange } from './types';
import { builtinCall } from './python-builtins';
import { MAX_STEPS, NotStatic, children, equal, items, iterate, mergeItems, rangeOf, str, viaOf, type CallArg, type DictItem, type PyValue, type Scope } from './python-values';

/** A Python string literal's value (prefixes r/b/u; escapes decoded unless raw), or undefined for f-strings. */
export function literalString(raw: string): string | undefined {
  const m = raw.match(/^([rRbBuU]*)("""|'''|"|')([\s\S]*)\2$/);
  if (!m) return undefined;
  if (/r/i.test(m[1])) return m[3];
  return m[3].replace(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{1,3})|\n|(.))/g, (all, x, u, U, o, c) => {
    if (x || u || U) return String.fromCodePoint(parseInt(x ?? u ?? U, 16));
    if (o) return String.fromCharCode(parseInt(o, 8));
    if (c === undefined) return '';
    const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
    return esc[c] ?? all;
  });
}

function display(v: PyValue, at: TextRange): string {
  switch (v.t) {
    case 'str':
      return v.v;
    case 'num':
      return String(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    default:
      throw new NotStatic(`a ${v.t} in a string`, at);
  }
}

function truthy(v: PyValue): boolean {
  switch (v.t) {
    case 'str':
      return v.v.length > 0;
    case 'num':
      return v.v !== 0;
    case 'bool':
      return v.v;
    case 'none':
      return false;
    case 'seq':
      return v.items.length > 0;
    case 'dict':
      return v.items.length > 0;
    default:
      return true;
  }
}

/** Bind a comprehension target (a name or a tuple of names) to one element. */
function bind(targets: SyntaxNode[], v: PyValue, text: string, into: Map<string, PyValue>): void {
  if (targets.length === 1 && targets[0].name === 'VariableName') {
    into.set(text.slice(targets[0].from, targets[0].to), v);
    return;
  }
  const flat = targets.length === 1 && (targets[0].name === 'TupleExpression' || targets[0].name === 'ParenthesizedExpression') ? items(targets[0]) : targets;
  if (v.t !== 'seq' || v.items.length !== flat.length) throw new NotStatic(`cannot unpack into ${flat.length} names`, rangeOf(targets[0]));
  flat.forEach((t, i) => bind([t], v.items[i], text, into));
}

export class Evaluator {
  constructor(private readonly text: string) {}

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  /** The value of an expression node; throws NotStatic where it needs running code. */
  eval(n: SyntaxNode, scope: Scope): PyValue {
    const at = rangeOf(n);
    switch (n.name) {
      case 'String': {
        const v = literalString(this.src(n));
        if (v === undefined) throw new NotStatic('a string this reader cannot decode', at);
        return str(v);
      }
      case 'FormatString':
        return str(this.formatString(n, scope));
      case 'ContinuedString':
        // Implicit concatenation: "a" "b" is "ab".
        return str(items(n).map((p) => display(this.eval(p, scope), rangeOf(p))).join(''));
      case 'Number': {
        const raw = this.src(n).replace(/_/g, '');
        const v = /^0[xX]/.test(raw) ? parseInt(raw, 16) : /^0[oO]/.test(raw) ? parseInt(raw.slice(2), 8) : /^0[bB]/.test(raw) ? parseInt(raw.slice(2), 2) : Number(raw);
        if (!Number.isFinite(v)) throw new NotStatic(`the number ${raw}`, at);
        return { t: 'num', v };
      }
      case 'Boolean':
        return { t: 'bool', v: this.src(n) === 'True' };
      case 'None':
        return { t: 'none' };
      case 'ParenthesizedExpression': {
        const inner = items(n);
        if (inner.length === 1) return this.eval(inner[0], scope);
        return { t: 'seq', kind: 'tuple', items: inner.map((c) => this.eval(c, scope)) };
      }
      case 'TupleExpression':
        return { t: 'seq', kind: 'tuple', items: items(n).map((c) => this.eval(c, scope)) };
      case 'ArrayExpression':
        return { t: 'seq', kind: 'list', items: items(n).map((c) => this.eval(c, scope)) };
      case 'DictionaryExpression':
        return { t: 'dict', items: this.dictDisplay(n, scope) };
      case 'DictionaryComprehensionExpression':
      case 'ArrayComprehensionExpression':
        return this.comprehension(n, scope);
      case 'UnaryExpression': {
        const [op, arg] = children(n);
        const v = this.eval(arg, scope);
        const o = this.src(op);
        if (o === 'not') return { t: 'bool', v: !truthy(v) };
        if ((v.t === 'num' || v.t === 'bool') && (o === '-' || o === '+')) return { t: 'num', v: o === '-' ? -Number(v.v) : Number(v.v) };
        throw new NotStatic(`${o} of a ${v.t}`, at);
      }
      case 'BinaryExpression':
        return this.binary(n, scope);
      case 'ConditionalExpression': {
        const [a, , cond, , b] = children(n);
        return truthy(this.eval(cond, scope)) ? this.eval(a, scope) : this.eval(b, scope);
      }
      case 'VariableName': {
        const id = this.src(n);
        const v = scope.name(id);
        if (v === undefined) throw new NotStatic(`'${id}' is not a value written in this file`, at);
        return v;
      }
      case 'MemberExpression':
        return this.member(n, scope);
      case 'CallExpression':
        return this.call(n, scope);
      default:
        throw new NotStatic(`${this.src(n).length > 40 ? 'an expression' : `'${this.src(n)}'`} needs running code`, at);
    }
  }

  private formatString(n: SyntaxNode, scope: Scope): string {
    const raw = this.src(n);
    const m = raw.match(/^([rRfFbBuU]*)("""|'''|"|')/);
    const open = m ? m[0].length : 0;
    const close = m ? m[2].length : 0;
    const raw_ = !!m && /r/i.test(m[1]);
    let out = '';
    let pos = n.from + open;
    const lit = (from: number, to: number) => {
      const s = this.text.slice(from, to).replace(/\{\{/g, '{').replace(/\}\}/g, '}');
      return raw_ ? s : (literalString(`"${s.replace(/"/g, '\\"')}"`) ?? s);
    };
    for (const r of children(n)) {
      if (r.name !== 'FormatReplacement') continue;
      out += lit(pos, r.from);
      const parts = items(r);
      if (parts.some((p) => p.name === 'FormatConversion' || p.name === 'FormatSpec') || parts.length !== 1) throw new NotStatic('an f-string with a conversion or format spec', rangeOf(r));
      out += display(this.eval(parts[0], scope), rangeOf(parts[0]));
      pos = r.to;
    }
    return out + lit(pos, n.to - close);
  }

  /** `{k: v, **other, ...}` with comments anywhere and a trailing comma; duplicate literal keys are kept
   *  (the binder reports them), merged keys replace what they override. With `report`, an item that
   *  cannot be read is reported and left out; without, it throws. */
  dictDisplay(n: SyntaxNode, scope: Scope, report?: (why: string, range: TextRange, syntax?: boolean) => void): DictItem[] {
    const out: DictItem[] = [];
    const kids = children(n).filter((c) => !['{', '}', ',', 'Comment'].includes(c.name));
    const attempt = <T>(f: () => T, at: TextRange): T | undefined => {
      try {
        return f();
      } catch (e) {
        if (!(e instanceof NotStatic) || !report) throw e;
        report(e.message, at);
        return undefined;
      }
    };
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i];
      if (k.name === '**') {
        const e = kids[++i];
        if (!e) break;
        const via = { start: k.from, end: e.to };
        const v = attempt(() => this.eval(e, scope), via);
        if (!v) continue;
        if (v.t !== 'dict') {
          attempt(() => { throw new NotStatic(`**${this.src(e)} is a ${v.t}, not a dict`, via); }, via);
          continue;
        }
        mergeItems(out, v.items, via);
        continue;
      }
      if (kids[i + 1]?.name !== ':' || !kids[i + 2]) {
        // Broken code: the syntax error is reported where the parser found it.
        if (k.name === '⚠') continue;
        if (!report) throw new NotStatic('expected "pattern": style', rangeOf(k));
        report('expected "pattern": style', rangeOf(k), true);
        continue;
      }
      const valueNode = kids[i + 2];
      i += 2;
      const key = attempt(() => this.eval(k, scope), rangeOf(k));
      const value = key && attempt(() => this.eval(valueNode, scope), rangeOf(valueNode));
      if (!key || !value) continue;
      // A key written again replaces one merged in before it; one written twice stays twice (the binder
      // reports the first as never used).
      const item = { key, value, keyRange: rangeOf(k), valueRange: rangeOf(valueNode) };
      const merged = out.findIndex((x) => x.via && equal(x.key, key));
      if (merged >= 0) out[merged] = item;
      else out.push(item);
    }
    return out;
  }

  private comprehension(n: SyntaxNode, scope: Scope): PyValue {
    const kids = children(n).filter((c) => !['{', '}', '[', ']', 'Comment'].includes(c.name));
    const isDict = n.name === 'DictionaryComprehensionExpression';
    const head = kids.slice(0, isDict ? 3 : 1);
    type Clause = { kind: 'for'; targets: SyntaxNode[]; iter: SyntaxNode } | { kind: 'if'; cond: SyntaxNode };
    const clauses: Clause[] = [];
    for (let i = head.length; i < kids.length; i++) {
      if (kids[i].name === 'for') {
        const targets: SyntaxNode[] = [];
        let j = i + 1;
        for (; j < kids.length && kids[j].name !== 'in'; j++) if (kids[j].name !== ',') targets.push(kids[j]);
        clauses.push({ kind: 'for', targets, iter: kids[j + 1] });
        i = j + 1;
      } else if (kids[i].name === 'if') clauses.push({ kind: 'if', cond: kids[++i] });
      else if (kids[i].name === 'async') throw new NotStatic('an async comprehension', rangeOf(kids[i]));
    }
    const made: DictItem[] = [];
    const list: PyValue[] = [];
    const text = this.text;
    let steps = 0;
    const run = (ci: number, env: Map<string, PyValue>) => {
      if (++steps > MAX_STEPS) throw new NotStatic(`a comprehension of more than ${MAX_STEPS} steps`, rangeOf(n));
      const inner: Scope = { name: (id) => env.get(id) ?? scope.name(id), member: (o, a) => scope.member(o, a) };
      if (ci === clauses.length) {
        if (isDict) made.push({ key: this.eval(head[0], inner), value: this.eval(head[2], inner), keyRange: rangeOf(head[0]), valueRange: rangeOf(head[2]), computed: true });
        else list.push(this.eval(head[0], inner));
        return;
      }
      const c = clauses[ci];
      if (c.kind === 'if') {
        if (truthy(this.eval(c.cond, inner))) run(ci + 1, env);
        return;
      }
      if (!c.iter) throw new NotStatic('a comprehension without an iterable', rangeOf(n));
      for (const v of iterate(this.eval(c.iter, inner), rangeOf(c.iter))) {
        const next = new Map(env);
        bind(c.targets, v, text, next);
        run(ci + 1, next);
      }
    };
    run(0, new Map());
    const out: DictItem[] = [];
    mergeItems(out, made);
    return isDict ? { t: 'dict', items: out } : { t: 'seq', kind: 'list', items: list };
  }

  private binary(n: SyntaxNode, scope: Scope): PyValue {
    const [l, op, r] = children(n);
    const o = this.src(op).replace(/\s+/g, ' ');
    if (o === 'and' || o === 'or') {
      const a = this.eval(l, scope);
      return (o === 'and') === truthy(a) ? this.eval(r, scope) : a;
    }
    const a = this.eval(l, scope);
    const b = this.eval(r, scope);
    const at = rangeOf(n);
    if (o === '==' || o === '!=') return { t: 'bool', v: equal(a, b) === (o === '==') };
    if (o === 'in' || o === 'not in') {
      const has = b.t === 'str' && a.t === 'str' ? b.v.includes(a.v) : b.t === 'seq' || b.t === 'dict' ? iterate(b, at).some((x) => equal(x, a)) : undefined;
      if (has === undefined) throw new NotStatic(`'${o}' on a ${b.t}`, at);
      return { t: 'bool', v: has === (o === 'in') };
    }
    if (o === '+' && a.t === 'str' && b.t === 'str') return str(a.v + b.v);
    if (o === '+' && a.t === 'seq' && b.t === 'seq') return { t: 'seq', kind: a.kind, items: [...a.items, ...b.items] };
    if (o === '|' && a.t === 'dict' && b.t === 'dict') {
      const merged: DictItem[] = [];
      mergeItems(merged, a.items, viaOf(l));
      mergeItems(merged, b.items, viaOf(r));
      return { t: 'dict', items: merged };
    }
    if ((a.t === 'num' || a.t === 'bool') && (b.t === 'num' || b.t === 'bool')) {
      const x = Number(a.v);
      const y = Number(b.v);
      const arith: Record<string, (x: number, y: number) => number | boolean> = {
        '+': (x, y) => x + y, '-': (x, y) => x - y, '*': (x, y) => x * y, '//': (x, y) => Math.floor(x / y), '**': (x, y) => x ** y,
        '<': (x, y) => x < y, '<=': (x, y) => x <= y, '>': (x, y) => x > y, '>=': (x, y) => x >= y,
      };
      const f = arith[o];
      if (f) {
        const v = f(x, y);
        return typeof v === 'boolean' ? { t: 'bool', v } : { t: 'num', v };
      }
    }
    throw new NotStatic(`'${o}' of a ${a.t} and a ${b.t}`, at);
  }

  private member(n: SyntaxNode, scope: Scope): PyValue {
    const kids = children(n);
    const obj = kids[0];
    const at = rangeOf(n);
    if (kids[1]?.name === '[') {
      const v = this.eval(obj, scope);
      const k = this.eval(kids[2], scope);
      if (v.t === 'dict') {
        const hit = [...v.items].reverse().find((i) => equal(i.key, k));
        if (hit) return hit.value;
      }
      if (v.t === 'seq' && k.t === 'num') {
        const hit = v.items[k.v < 0 ? v.items.length + k.v : k.v];
        if (hit) return hit;
      }
      throw new NotStatic(`${this.src(n)} is not in a value written in this file`, at);
    }
    const attr = this.src(kids[kids.length - 1]);
    if (obj.name === 'VariableName') {
      const v = scope.member(this.src(obj), attr);
      if (v) return v;
    }
    throw new NotStatic(`${this.src(n)} is not a value written in this file`, at);
  }

  /** Arguments of a call: positional ones have no name; `**x` spreads are named '**'. */
  args(call: SyntaxNode): CallArg[] {
    const list = call.getChild('ArgList');
    if (!list) return [];
    const out: CallArg[] = [];
    const kids = children(list).filter((c) => !['(', ')', ',', 'Comment'].includes(c.name));
    for (let i = 0; i < kids.length; i++) {
      if (kids[i].name === 'VariableName' && kids[i + 1]?.name === 'AssignOp' && kids[i + 2]) {
        out.push({ name: this.src(kids[i]), nameNode: kids[i], value: kids[i + 2] });
        i += 2;
      } else if ((kids[i].name === '**' || kids[i].name === '*') && kids[i + 1]) {
        out.push({ name: kids[i].name, value: kids[i + 1] });
        i += 1;
      } else out.push({ value: kids[i] });
    }
    return out;
  }

  private call(n: SyntaxNode, scope: Scope): PyValue {
    const fn = n.firstChild!;
    const at = rangeOf(n);
    const args = this.args(n);
    if (fn.name === 'MemberExpression' && fn.lastChild?.name === 'PropertyName') {
      const method = this.src(fn.lastChild);
      const recv = fn.firstChild!;
      if (this.src(recv) === 'copy' && ['copy', 'deepcopy'].includes(method) && args.length === 1 && !args[0].name) return this.eval(args[0].value, scope);
      let v: PyValue | undefined;
      try {
        v = this.eval(recv, scope);
      } catch (e) {
        // Not a value of this file: a module path (torch.distributed.tensor.Shard(...)), read as a call.
        if (!(e instanceof NotStatic)) throw e;
      }
      if (v) {
        // Methods of values written in this file: plan.copy(), plan.items(); others need running code.
        if (v.t === 'dict' && ['copy', 'items', 'keys', 'values'].includes(method) && args.length === 0) {
          if (method === 'copy') return { t: 'dict', items: [...v.items] };
          const pick = (i: DictItem): PyValue => (method === 'keys' ? i.key : method === 'values' ? i.value : { t: 'seq', kind: 'tuple', items: [i.key, i.value] });
          return { t: 'seq', kind: 'list', items: v.items.map(pick) };
        }
        throw new NotStatic(`${this.src(fn)}(...) needs running code`, at);
      }
    }
    const callee = this.src(fn).split('.').pop()!;
    if (fn.name === 'VariableName' && !scope.name(callee)) {
      const v = builtinCall(callee, args, (x) => this.eval(x, scope), at);
      if (v) return v;
    }
    // Anything else is a call its reader interprets (placements, parallel styles).
    const out: PyValue = { t: 'call', callee, args: [], kwargs: {}, range: at };
    for (const a of args) {
      if (a.name === '**' || a.name === '*') throw new NotStatic(`${a.name}${this.src(a.value)} in a call`, rangeOf(a.value));
      const v = this.eval(a.value, scope);
      if (a.name) out.kwargs[a.name] = v;
      else out.args.push(v);
    }
    return out;
  }
}
