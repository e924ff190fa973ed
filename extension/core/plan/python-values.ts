// Values of Python expressions as the plan reader evaluates them, and the dict semantics plans rely on
// (a key given again replaces the value where it first stood).
import type { SyntaxNode } from '@lezer/common';
import type { TextRange } from './types';

export type PyValue =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'seq'; kind: 'tuple' | 'list'; items: PyValue[] }
  | { t: 'dict'; items: DictItem[] }
  /** A call to something that is not evaluated here (Shard(-1), ColwiseParallel(...)): its callee's last
   *  name and its evaluated arguments. */
  | { t: 'call'; callee: string; args: PyValue[]; kwargs: Record<string, PyValue>; range: TextRange };

export interface DictItem {
  key: PyValue;
  value: PyValue;
  keyRange: TextRange;
  valueRange: TextRange;
  /** Made by a comprehension: the ranges are the expressions that made it. */
  computed?: boolean;
  /** Merged in by `**x` (or dict(x), x | y, .update(x)): where that merge is written. */
  via?: TextRange;
}

export interface CallArg {
  /** The keyword; '**' or '*' for a spread; absent for a positional argument. */
  name?: string;
  nameNode?: SyntaxNode;
  value: SyntaxNode;
}

export class NotStatic extends Error {
  constructor(why: string, readonly range: TextRange) {
    super(why);
  }
}

/** Names visible to an expression: comprehension variables first, then the file's own bindings. */
export interface Scope {
  /** The value of a bare name at the point the expression is evaluated, or undefined. */
  name(id: string): PyValue | undefined;
  /** `Owner.attr` where Owner is a class of the same file, or undefined. */
  member(owner: string, attr: string): PyValue | undefined;
}

/** No plan is that large: a comprehension or range past this is not expanded. */
export const MAX_STEPS = 10000;

const SKIP = new Set(['(', ')', '[', ']', '{', '}', ',', ':', 'Comment']);

export function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}
/** Children that carry meaning: no brackets, separators or comments. */
export const items = (n: SyntaxNode) => children(n).filter((c) => !SKIP.has(c.name));
export const rangeOf = (n: SyntaxNode): TextRange => ({ start: n.from, end: n.to });

export const str = (v: string): PyValue => ({ t: 'str', v });

/** Where entries merged from an expression are reported: the expression, unless it is a dict written
 *  in place (whose entries are where they are written). */
export const viaOf = (n: SyntaxNode): TextRange | undefined => (n.name === 'DictionaryExpression' ? undefined : rangeOf(n));

/** Python's == on the values a plan holds (1 == True, tuples by element). */
export function equal(a: PyValue, b: PyValue): boolean {
  if ((a.t === 'num' || a.t === 'bool') && (b.t === 'num' || b.t === 'bool')) return Number(a.v) === Number(b.v);
  if (a.t !== b.t) return false;
  if (a.t === 'str' || a.t === 'none') return a.t === 'none' || a.v === (b as { v: string }).v;
  if (a.t === 'seq' && b.t === 'seq') return a.items.length === b.items.length && a.items.every((x, i) => equal(x, b.items[i]));
  return false;
}

/** A hashable key's identity (Python's 1 == True == 1.0 included); undefined for tuples, compared by equal(). */
const keyId = (v: PyValue): string | undefined => (v.t === 'str' ? `s${v.v}` : v.t === 'num' || v.t === 'bool' ? `n${Number(v.v)}` : v.t === 'none' ? 'none' : undefined);

/** Python dict semantics: a key given again replaces the value where the key first stood. */
export function mergeItems(into: DictItem[], more: DictItem[], via?: TextRange): void {
  const index = new Map<string, number>();
  into.forEach((x, i) => {
    const k = keyId(x.key);
    if (k !== undefined && !index.has(k)) index.set(k, i);
  });
  for (const m of more) {
    // The merge written in the dict being read is where its entries are reported.
    const item = via ? { ...m, via } : m;
    const k = keyId(m.key);
    const at = k !== undefined ? (index.get(k) ?? -1) : into.findIndex((x) => equal(x.key, m.key));
    if (at >= 0) into[at] = item;
    else {
      if (k !== undefined) index.set(k, into.length);
      into.push(item);
    }
  }
}

/** The elements a `for` iterates over. */
export function iterate(v: PyValue, at: TextRange): PyValue[] {
  if (v.t === 'seq') return v.items;
  if (v.t === 'str') return [...v.v].map(str);
  if (v.t === 'dict') return v.items.map((i) => i.key);
  throw new NotStatic(`cannot iterate over a ${v.t}`, at);
}

