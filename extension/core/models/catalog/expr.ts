// Shape expressions of the catalog ("num_attention_heads*head_dim", "kv_lora_rank+qk_rope_head_dim"):
// parsed once into a tiny tree and evaluated over resolved config values. Only integers, field names
// (dotted for nested configs), + - * // and parentheses exist, so nothing in a catalog file can run.
import type { DimExpr } from './types';

type Node = { n: number } | { f: string } | { op: '+' | '-' | '*' | '//'; a: Node; b: Node };

export class ExprError extends Error {}

const parsed = new Map<string, Node>();

function parse(src: string): Node {
  const hit = parsed.get(src);
  if (hit) return hit;
  const toks = src.match(/\d+|[A-Za-z_][\w.]*|\/\/|[-+*()]|\S/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  const atom = (): Node => {
    const t = toks[i++];
    if (t === undefined) throw new ExprError(`shape expression "${src}" ends early`);
    if (t === '(') {
      const e = sum();
      if (toks[i++] !== ')') throw new ExprError(`shape expression "${src}": expected ")"`);
      return e;
    }
    if (/^\d+$/.test(t)) return { n: Number(t) };
    if (/^[A-Za-z_]/.test(t)) return { f: t };
    throw new ExprError(`shape expression "${src}": unexpected "${t}"`);
  };
  const product = (): Node => {
    let a = atom();
    while (peek() === '*' || peek() === '//') {
      const op = toks[i++] as '*' | '//';
      a = { op, a, b: atom() };
    }
    return a;
  };
  const sum = (): Node => {
    let a = product();
    while (peek() === '+' || peek() === '-') {
      const op = toks[i++] as '+' | '-';
      a = { op, a, b: product() };
    }
    return a;
  };
  const tree = sum();
  if (i !== toks.length) throw new ExprError(`shape expression "${src}": unexpected "${toks[i]}"`);
  parsed.set(src, tree);
  return tree;
}

/** The fields an expression reads. */
export function exprFields(src: DimExpr): string[] {
  const out: string[] = [];
  const walk = (n: Node) => {
    if ('f' in n) out.push(n.f);
    else if ('op' in n) (walk(n.a), walk(n.b));
  };
  walk(parse(src));
  return out;
}

/**
 * The value of an expression; `lookup` returns a field's resolved value. A field that is missing or not
 * a finite integer makes the whole expression unknown (undefined), so the caller can say which.
 */
export function evalExpr(src: DimExpr, lookup: (field: string) => unknown): number | undefined {
  const ev = (n: Node): number | undefined => {
    if ('n' in n) return n.n;
    if ('f' in n) {
      const v = lookup(n.f);
      if (typeof v === 'boolean') return v ? 1 : 0;
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    }
    const a = ev(n.a);
    const b = ev(n.b);
    if (a === undefined || b === undefined) return undefined;
    switch (n.op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '//': return b === 0 ? undefined : Math.floor(a / b);
    }
  };
  return ev(parse(src));
}
