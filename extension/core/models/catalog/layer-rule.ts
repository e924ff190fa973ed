// Which decoder-layer variant the layer at index i is, by the rule the recorded version follows.
import type { LayerKey, LayerRule, ListPattern } from './types';
import { evalExpr } from './expr';
import { lookupField, type ConfigValues } from './resolve-config';

export class LayerRuleError extends Error {}

/** The variant name of every layer; throws when the configuration lacks what the rule reads. */
export function layerVariants(rule: LayerRule, count: number, cfg: ConfigValues): string[] {
  const num = (field: string): number => {
    const v = evalExpr(field, (f) => lookupField(cfg, f));
    if (v === undefined) throw new LayerRuleError(`"${field}" is not a number; the layer structure depends on it`);
    return v;
  };
  const idx = [...Array(count).keys()];
  const pick = (byValue: Record<string, string>, key: string, what: string, i: number): string => {
    const v = Object.hasOwn(byValue, key) ? byValue[key] : undefined;
    if (!v) throw new LayerRuleError(`${what} at layer ${i} is ${JSON.stringify(key)}; expected one of ${Object.keys(byValue).map((k) => JSON.stringify(k)).join(', ')}`);
    return v;
  };
  switch (rule.kind) {
    case 'uniform':
      return idx.map(() => rule.variant);
    case 'first_k': {
      const k = num(rule.field);
      const freq = rule.freqField ? num(rule.freqField) : 1;
      return idx.map((i) => (i >= k && (freq <= 1 || i % freq === 0) ? rule.above : rule.below));
    }
    case 'sparse_step': {
      const step = num(rule.stepField);
      const dense = new Set(listOf(rule.listField ? lookupField(cfg, rule.listField) : undefined));
      return idx.map((i) => (!dense.has(i) && step > 0 && (i + 1) % step === 0 ? rule.moe : rule.dense));
    }
    case 'interleave': {
      const step = num(rule.stepField);
      return idx.map((i) => (step > 0 && (i + 1) % step === 0 ? rule.moe : rule.dense));
    }
    case 'range_step': {
      const [start, end, step] = [num(rule.startField), num(rule.endField), num(rule.stepField)];
      return idx.map((i) => (step > 0 && (i + 1) % step === 0 && i >= start && i <= end ? rule.moe : rule.dense));
    }
    case 'layer_types': {
      const types = perLayer(cfg, rule.field, count, rule.pattern);
      return idx.map((i) => pick(rule.byValue, types[i], `"${rule.field}"`, i));
    }
    case 'joint': {
      const keys = rule.parts.map((p) => keyValues(p, cfg, count, num));
      const what = rule.parts.map((p) => ('list' in p ? p.list : p.step)).join(' | ');
      return idx.map((i) => pick(rule.byValue, keys.map((k) => k[i]).join('|'), what, i));
    }
    case 'index_list': {
      const v = lookupField(cfg, rule.field);
      if (Array.isArray(v) && v.every((x) => typeof x === 'boolean')) return idx.map((i) => (v[i] ? rule.moe : rule.dense));
      const set = new Set(listOf(v));
      return idx.map((i) => (set.has(i) ? rule.moe : rule.dense));
    }
  }
}

function keyValues(part: LayerKey, cfg: ConfigValues, count: number, num: (f: string) => number): string[] {
  if ('list' in part) return perLayer(cfg, part.list, count, part.pattern);
  const step = num(part.step);
  return [...Array(count).keys()].map((i) => (step > 0 && (i + 1) % step === 0 ? '1' : '0'));
}

/** A per-layer list as strings: the configuration's own when it has one value per layer, else what the class
 *  derives from the layer count (its recorded pattern). */
function perLayer(cfg: ConfigValues, field: string, count: number, pattern?: ListPattern): string[] {
  const v = lookupField(cfg, field);
  if (Array.isArray(v) && v.length === count && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return v.map(String);
  if (pattern) return fromPattern(pattern, count);
  // no pattern recorded: a longer list (the defaults' own) is read from its start, as before
  if (Array.isArray(v) && v.length > count) return v.slice(0, count).map(String);
  throw new LayerRuleError(`"${field}" must list a value for each of the ${count} layers`);
}

function fromPattern(p: ListPattern, count: number): string[] {
  const out = [...Array(count).keys()].map((i) => (i < p.head.length ? p.head[i] : p.cycle[(i - p.head.length) % p.cycle.length]));
  if (p.lastIfMissing !== undefined && count > 0 && !out.includes(p.lastIfMissing)) out[count - 1] = p.lastIfMissing;
  return out;
}

function listOf(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}
