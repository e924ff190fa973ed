// The hand-written descriptors stay for what lowering needs; the catalog recorded from transformers is
// checked against them: for every described architecture, on its preset's checkpoint config, the graph the
// catalog builds has the same parameters, module kinds and facts, and the same layer flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, ARCHITECTURES, buildGraph, normalizeConfig, graphFromConfig } from '../../../extension/core/models';
import type { ModelGraph } from '../../../extension/core/models';

const summary = (g: ModelGraph) => ({
  // Sorted: the catalog lists parameters in transformers' own order, which the descriptors do not keep.
  params: g.params.map((p) => `${p.name} [${p.shape.join(', ')}]`).sort(),
  modules: [...g.modules.values()].map((m) => `${m.path} ${m.kind} ${m.className} ${JSON.stringify(m.attrs ?? {})}`).sort(),
  flow: g.flow,
  config: { ...g.config, raw: undefined },
});

for (const preset of PRESETS) {
  const raw = preset.config as Record<string, unknown>;
  const arch = ARCHITECTURES[raw.model_type as string];
  if (!arch) continue;
  test(`${preset.name}: the catalog of transformers 5.18.0 builds what the ${arch.modelType} descriptor builds`, () => {
    const fromCatalog = graphFromConfig(raw, preset.name, { transformers: '5.18.0' });
    assert.equal(fromCatalog.origin, 'catalog:transformers-5.18.0');
    const fromDescriptor = buildGraph(arch, normalizeConfig(raw));
    const a = summary(fromCatalog);
    const b = summary(fromDescriptor);
    assert.deepEqual(a.params, b.params, 'parameters');
    // Every module the descriptor describes, with its kind, class and facts; the catalog also records
    // parameterless modules (activations, dropouts), which the descriptor leaves out.
    assert.deepEqual(a.modules.filter((m) => b.modules.includes(m) || !/ (other|container) /.test(m)), b.modules, 'modules, kinds and facts');
    const paramless = new Set(fromCatalog.params.map((p) => p.name.slice(0, p.name.lastIndexOf('.'))));
    for (const m of a.modules.filter((x) => !b.modules.includes(x))) assert.ok(!paramless.has(m.split(' ')[0]), `${m}: a module with parameters the descriptor lacks`);
    assert.deepEqual(a.flow, b.flow, 'layer flow');
    assert.deepEqual(a.config, b.config, 'normalised config');
  });
}
