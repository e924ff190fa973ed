// Which decoder-layer variant the layer at index i is, by the rule the recorded version follows.
import type { LayerRule } from './types';
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
    case 'layer_types': {
      const types = lookupField(cfg, rule.field);
      if (!Array.isArray(types) || types.length < count) throw new LayerRuleError(`"${rule.field}" must list a type for each of the ${count} layers`);
      return idx.map((i) => {
        const t = typeof types[i] === 'string' || typeof types[i] === 'number' ? String(types[i]) : '';
        const v = Object.hasOwn(rule.byValue, t) ? rule.byValue[t] : undefined;
        if (!v) throw new LayerRuleError(`"${rule.field}"[${i}] is ${JSON.stringify(types[i])}; expected one of ${Object.keys(rule.byValue).map((k) => JSON.stringify(k)).join(', ')}`);
        return v;
      });
    }
    case 'index_list': {
      const v = lookupField(cfg, rule.field);
      if (Array.isArray(v) && v.every((x) => typeof x === 'boolean')) return idx.map((i) => (v[i] ? rule.moe : rule.dense));
      const set = new Set(listOf(v));
      return idx.map((i) => (set.has(i) ? rule.moe : rule.dense));
    }
  }
}

function listOf(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}
