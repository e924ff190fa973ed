// Layer rules of the recorded catalog where the configuration leaves the per-layer lists to the class: the
// variants must be those of the lists transformers 5.18.0 derives itself (observed with
// OlmoHybridConfig(num_hidden_layers=n).layer_types and Llama4TextConfig(num_hidden_layers=6,
// interleave_moe_layer_step=2).moe_layers == [1, 3, 5]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { layerVariants, LayerRuleError } from '../../../extension/core/models/catalog/layer-rule';
import { resolveConfig } from '../../../extension/core/models/catalog/resolve-config';
import type { CatalogFile } from '../../../extension/core/models/catalog/types';

const catalog = JSON.parse(readFileSync('extension/core/models/catalog/data/transformers-5.18.0.json', 'utf8')) as CatalogFile;
const arch = (mt: string) => {
  const a = catalog.architectures[mt];
  assert.ok(a?.layers, `${mt} has layers`);
  return a as typeof a & { layers: NonNullable<typeof a.layers> };
};
const types = (mt: string, given: Record<string, unknown>, n: number, full: string) => {
  const a = arch(mt);
  const fullVariant = Object.entries((a.layers.rule as { byValue: Record<string, string> }).byValue).find(([k]) => k === full)?.[1];
  return layerVariants(a.layers.rule, n, resolveConfig(a, given)).map((v) => (v === fullVariant ? 'F' : 'l')).join('');
};

test('OLMo-Hybrid without layer_types: every 4th layer full attention, and the last one of a model too short for one', () => {
  const cases: [number, string][] = [[2, 'lF'], [3, 'llF'], [5, 'lllFl'], [9, 'lllFlllFl'], [12, 'lllFlllFlllF']];
  for (const [n, want] of cases) assert.equal(types('olmo_hybrid', { num_hidden_layers: n }, n, 'full_attention'), want, `${n} layers`);
});

test('OLMo-Hybrid with its own layer_types reads them', () => {
  const given = { num_hidden_layers: 3, layer_types: ['full_attention', 'linear_attention', 'linear_attention'] };
  assert.equal(types('olmo_hybrid', given, 3, 'full_attention'), 'Fll');
});

test('Llama 4: MoE every interleave_moe_layer_step-th layer, joined with the chunked/full attention pattern', () => {
  const a = arch('llama4_text');
  assert.equal(a.layers.rule.kind, 'joint');
  const vs = layerVariants(a.layers.rule, 6, resolveConfig(a, { num_hidden_layers: 6, interleave_moe_layer_step: 2 }));
  const moe = new Set(Object.entries(a.layers.variants).filter(([, v]) => v.modules.some((m) => m.role === 'experts')).map(([k]) => k));
  assert.deepEqual(vs.flatMap((v, i) => (moe.has(v) ? [i] : [])), [1, 3, 5]);
});

test('a per-layer value the rule does not know is one error naming the layer and the values it knows', () => {
  const a = arch('olmo_hybrid');
  assert.throws(() => layerVariants(a.layers.rule, 2, resolveConfig(a, { num_hidden_layers: 2, layer_types: ['full_attention', 'mamba'] })), (e: Error) => e instanceof LayerRuleError && /at layer 1 is "mamba"; expected one of "full_attention", "linear_attention"/.test(e.message));
});
