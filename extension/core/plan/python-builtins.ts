// The few Python builtins a plan is built with (dict, range, zip, enumerate, tuple, list), evaluated on
// static arguments; anything else is left to the caller.
import type { SyntaxNode } from '@lezer/common';
import { MAX_STEPS, NotStatic, iterate, mergeItems, rangeOf, str, viaOf, type CallArg, type DictItem, type PyValue } from './python-values';
import type { TextRange } from './types';

const seq = (items: PyValue[], kind: 'tuple' | 'list' = 'list'): PyValue => ({ t: 'seq', kind, items });
const num = (v: number): PyValue => ({ t: 'num', v });

/** The value of `callee(args)` for a builtin this reader knows, or undefined. */
export function builtinCall(callee: string, args: CallArg[], value: (n: SyntaxNode) => PyValue, at: TextRange): PyValue | undefined {
  const positional = args.every((a) => !a.name);
  switch (callee) {
    case 'dict': {
      const merged: DictItem[] = [];
      for (const a of args) {
        if (a.name && a.name !== '**' && a.nameNode) {
          mergeItems(merged, [{ key: str(a.name), value: value(a.value), keyRange: rangeOf(a.nameNode), valueRange: rangeOf(a.value) }]);
          continue;
        }
        const v = value(a.value);
        if (v.t !== 'dict') throw new NotStatic(`dict() of a ${v.t}`, rangeOf(a.value));
        mergeItems(merged, v.items, viaOf(a.value));
      }
      return { t: 'dict', items: merged };
    }
    case 'range': {
      const n = args.map((a) => value(a.value));
      if (!positional || n.length < 1 || n.length > 3 || !n.every((x) => x.t === 'num')) return undefined;
      const v = n.map((x) => (x as { v: number }).v);
      const [start, stop, step] = v.length === 1 ? [0, v[0], 1] : [v[0], v[1], v[2] ?? 1];
      if (step === 0 || Math.abs((stop - start) / step) > MAX_STEPS) throw new NotStatic('a range this reader does not expand', at);
      const out: PyValue[] = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(num(i));
      return seq(out);
    }
    case 'enumerate':
    case 'zip': {
      if (!positional || !args.length) return undefined;
      const seqs = args.map((a) => iterate(value(a.value), rangeOf(a.value)));
      if (callee === 'enumerate') return seqs.length === 1 ? seq(seqs[0].map((v, i) => seq([num(i), v], 'tuple'))) : undefined;
      const len = Math.min(...seqs.map((s) => s.length));
      return seq(Array.from({ length: len }, (_, i) => seq(seqs.map((s) => s[i]), 'tuple')));
    }
    case 'tuple':
    case 'list':
      if (!positional || args.length > 1) return undefined;
      return seq(args[0] ? iterate(value(args[0].value), rangeOf(args[0].value)) : [], callee);
    default:
      return undefined;
  }
}
