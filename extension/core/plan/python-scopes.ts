// The bindings of one Python file, in source order per scope (the module and each class body), so a name
// or a class attribute can be evaluated as it stands at a given point: the last assignment before it,
// then the mutations after that assignment (x.update(...), x[k] = v, x |= y, Class.attr = ... below the class).
import type { SyntaxNode, Tree } from '@lezer/common';
import { Evaluator } from './python-eval';
import { NotStatic, children, mergeItems, rangeOf, type DictItem, type PyValue, type Scope } from './python-values';
import type { TextRange } from './types';

type Event =
  | { kind: 'bind'; name: string; value: SyntaxNode; target: SyntaxNode; pos: number; scope: string }
  | { kind: 'update'; name: string; call: SyntaxNode; pos: number; scope: string }
  | { kind: 'setitem'; name: string; key: SyntaxNode; value: SyntaxNode; pos: number; scope: string }
  | { kind: 'ior'; name: string; value: SyntaxNode; pos: number; scope: string };

export interface ClassInfo {
  name: string;
  node: SyntaxNode;
  bases: string[];
}

/** Items of the plan being read that could not be read, with why and where. */
export type SkipReport = (why: string, range: TextRange, syntax?: boolean) => void;

export const MODULE = '';

/** Names that refer to each other past any real plan's depth: not kept, as a shallower read may succeed. */
class TooDeep extends NotStatic {}
const COMPOUND = new Set(['IfStatement', 'TryStatement', 'WithStatement', 'ForStatement', 'WhileStatement', 'Body', 'DecoratedStatement', 'MatchStatement', 'MatchBody', 'MatchClause']);

export class FileBindings {
  readonly classes = new Map<string, ClassInfo>();
  readonly events = new Map<string, Event[]>();
  /** The class a scope belongs to: a class body, or a method's body. */
  readonly owners = new Map<string, string | undefined>();
  readonly ev: Evaluator;
  private depth = 0;
  private readonly memo = new Map<string, PyValue | NotStatic>();

  constructor(private readonly text: string, tree: Tree) {
    this.ev = new Evaluator(text);
    this.collect(tree.topNode, MODULE);
  }

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  private push(scope: string, e: Event): void {
    let list = this.events.get(scope);
    if (!list) this.events.set(scope, (list = []));
    list.push(e);
  }

  /** A target written in `scope`: a bare name there, or `Class.attr` of a class of this file. */
  private targetOf(t: SyntaxNode, scope: string): { scope: string; name: string } | undefined {
    if (t.name === 'VariableName') return { scope, name: this.src(t) };
    if (t.name === 'MemberExpression' && t.lastChild?.name === 'PropertyName' && t.firstChild?.name === 'VariableName') {
      const owner = this.src(t.firstChild);
      if (this.classes.has(owner)) return { scope: owner, name: this.src(t.lastChild) };
    }
    return undefined;
  }

  private collect(node: SyntaxNode, scope: string): void {
    for (const n of children(node)) {
      if (n.name === 'ClassDefinition') {
        const nameNode = n.getChild('VariableName');
        const body = n.getChild('Body');
        if (!nameNode) continue;
        const args = n.getChild('ArgList');
        const bases = (args ? children(args) : []).filter((c) => (c.name === 'VariableName' || c.name === 'MemberExpression') && c.nextSibling?.name !== 'AssignOp').map((c) => this.src(c).split('.').pop()!);
        const name = this.src(nameNode);
        this.classes.set(name, { name, node: n, bases });
        this.owners.set(name, name);
        if (body) this.collect(body, name);
        continue;
      }
      if (n.name === 'FunctionDefinition') {
        // A function body is its own scope; its names fall back to the module's, as Python's do.
        const body = n.getChild('Body');
        const id = `def@${n.from}`;
        this.owners.set(id, this.owners.get(scope));
        if (body) this.collect(body, id);
        continue;
      }
      if (COMPOUND.has(n.name)) {
        this.collect(n, scope);
        continue;
      }
      if (n.name === 'AssignStatement') {
        const kids = children(n);
        const value = kids[kids.length - 1];
        const ops = kids.filter((k) => k.name === 'AssignOp');
        if (!ops.length || value.name === 'AssignOp') continue;
        for (const t of kids.filter((k) => k.name !== 'AssignOp' && k.name !== 'TypeDef' && k !== value)) {
          if (t.name === 'MemberExpression' && t.getChild('[')) {
            const obj = this.targetOf(t.firstChild!, scope);
            const key = children(t).find((c) => !['[', ']'].includes(c.name) && c.from > t.firstChild!.from);
            if (obj && key) this.push(obj.scope, { kind: 'setitem', name: obj.name, key, value, pos: n.from, scope });
            continue;
          }
          const tgt = this.targetOf(t, scope);
          if (tgt) this.push(tgt.scope, { kind: 'bind', name: tgt.name, value, target: t, pos: n.from, scope });
        }
        continue;
      }
      if (n.name === 'UpdateStatement' && n.getChild('UpdateOp') && this.src(n.getChild('UpdateOp')!) === '|=') {
        const tgt = n.firstChild && this.targetOf(n.firstChild, scope);
        if (tgt && n.lastChild) this.push(tgt.scope, { kind: 'ior', name: tgt.name, value: n.lastChild, pos: n.from, scope });
        continue;
      }
      if (n.name === 'ExpressionStatement' && n.firstChild?.name === 'CallExpression') {
        const call = n.firstChild;
        const fn = call.firstChild;
        if (fn?.name === 'MemberExpression' && fn.lastChild && this.src(fn.lastChild) === 'update' && fn.firstChild) {
          const tgt = this.targetOf(fn.firstChild, scope);
          if (tgt) this.push(tgt.scope, { kind: 'update', name: tgt.name, call, pos: n.from, scope });
        }
      }
    }
  }

  /** The scope a node is written in: its innermost function or class body, else the module. */
  scopeOf(node: SyntaxNode): string {
    for (let p: SyntaxNode | null = node.parent; p; p = p.parent) {
      if (p.name === 'FunctionDefinition') return `def@${p.from}`;
      if (p.name === 'ClassDefinition' && p.getChild('VariableName')) return this.src(p.getChild('VariableName')!);
    }
    return MODULE;
  }

  /** Every assignment in a scope, in order (the reader finds plans among them). */
  binds(scope: string): Extract<Event, { kind: 'bind' }>[] {
    return (this.events.get(scope) ?? []).filter((e): e is Extract<Event, { kind: 'bind' }> => e.kind === 'bind');
  }

  /** The scope an expression written in `scope` at `pos` sees. */
  scopeAt(scope: string, pos: number): Scope {
    return {
      name: (id) => this.nameAt(scope, id, pos),
      member: (owner, attr) => (this.classes.has(owner) ? this.memberAt(owner, attr, pos) : undefined),
    };
  }

  /** A bare name: the class body's own binding, else the module's (class bodies do not see their bases). */
  private nameAt(scope: string, id: string, pos: number): PyValue | undefined {
    const own = this.valueIn(scope, id, pos);
    if (own !== undefined || scope === MODULE) return own;
    return this.valueIn(MODULE, id, pos);
  }

  /** `Class.attr`: the class's own, else its bases' of this file, left to right. */
  memberAt(cls: string, attr: string, pos: number, seen = new Set<string>()): PyValue | undefined {
    if (seen.has(cls)) return undefined;
    seen.add(cls);
    const own = this.valueIn(cls, attr, pos);
    if (own !== undefined) return own;
    for (const b of this.classes.get(cls)?.bases ?? []) {
      if (!this.classes.has(b)) continue;
      const v = this.memberAt(b, attr, pos, seen);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** The value of `name` in `scope` just before `pos`, or undefined when it is not bound there. Reading
   *  a plan itself, `report` takes the items that could not be read and the rest is kept. */
  valueIn(scope: string, name: string, pos: number, report?: SkipReport): PyValue | undefined {
    const list = (this.events.get(scope) ?? []).filter((e) => e.name === name && e.pos < pos);
    let from = -1;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].kind === 'bind') { from = i; break; }
    if (from < 0) return undefined;
    // The same events give the same value: a name merged into many plans is evaluated once.
    const memo = `${scope}\0${name}\0${list.length}`;
    if (!report) {
      const hit = this.memo.get(memo);
      if (hit instanceof NotStatic) throw hit;
      if (hit) return hit;
    }
    try {
      const v = this.evaluate(list, from, name, report);
      if (!report) this.memo.set(memo, v);
      return v;
    } catch (e) {
      if (e instanceof NotStatic && !(e instanceof TooDeep) && !report) this.memo.set(memo, e);
      throw e;
    }
  }

  private evaluate(list: Event[], from: number, name: string, report?: SkipReport): PyValue {
    if (this.depth > 40) throw new TooDeep(`'${name}' refers to itself`, rangeOf((list[from] as { value: SyntaxNode }).value));
    this.depth++;
    try {
      const bind = list[from] as Extract<Event, { kind: 'bind' }>;
      const sc = this.scopeAt(bind.scope, bind.pos);
      let v: PyValue = report && bind.value.name === 'DictionaryExpression' ? { t: 'dict', items: this.ev.dictDisplay(bind.value, sc, report) } : this.ev.eval(bind.value, sc);
      for (const m of list.slice(from + 1)) {
        try {
          v = this.mutate(v, m);
        } catch (e) {
          if (!(e instanceof NotStatic) || !report) throw e;
          report(e.message, e.range);
        }
      }
      return v;
    } finally {
      this.depth--;
    }
  }

  private mutate(v: PyValue, m: Event): PyValue {
    const sc = this.scopeAt(m.scope, m.pos);
    if (v.t !== 'dict') throw new NotStatic(`${m.name} is a ${v.t}, not a dict`, rangeOf(m.kind === 'update' ? m.call : m.value));
    const items: DictItem[] = [...v.items];
    if (m.kind === 'setitem') {
      mergeItems(items, [{ key: this.ev.eval(m.key, sc), value: this.ev.eval(m.value, sc), keyRange: rangeOf(m.key), valueRange: rangeOf(m.value) }]);
    } else if (m.kind === 'ior') {
      const more = this.ev.eval(m.value, sc);
      if (more.t !== 'dict') throw new NotStatic(`|= of a ${more.t}`, rangeOf(m.value));
      mergeItems(items, more.items, m.value.name === 'DictionaryExpression' ? undefined : rangeOf(m.value));
    } else if (m.kind === 'update') {
      // update(other) and update(key=value): like dict(...) merged in.
      for (const a of this.ev.args(m.call)) {
        if (a.name && a.name !== '**' && a.nameNode) {
          mergeItems(items, [{ key: { t: 'str', v: a.name }, value: this.ev.eval(a.value, sc), keyRange: rangeOf(a.nameNode), valueRange: rangeOf(a.value) }]);
          continue;
        }
        const more = this.ev.eval(a.value, sc);
        if (more.t !== 'dict') throw new NotStatic(`update() of a ${more.t}`, rangeOf(a.value));
        mergeItems(items, more.items, a.value.name === 'DictionaryExpression' ? undefined : rangeOf(a.value));
      }
    }
    return { t: 'dict', items };
  }
}
