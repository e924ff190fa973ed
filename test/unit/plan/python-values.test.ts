// Python plans written as real configuration files write them: comments and blank lines anywhere,
// trailing commas, "a" "b" concatenation, negative dims, `**` merges, comprehensions and .update(...);
// what needs running code is a located SS006 note, never a silent drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePythonPlans, documentForOwner } from '../../../extension/core/plan';
import { analyzeDocument } from '../../../extension/core/editing';
import { resolveTorchCall } from '../../../extension/core/styles';

let n = 0;
const parse = (text: string) => parsePythonPlans(text, `/values/${n++}/configuration_x.py`);
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const codes = (doc: { diagnostics: { code: string }[] }) => doc.diagnostics.map((d) => d.code);

test('comments after entries and on their own lines, blank lines, a trailing comma, "a" "b": every entry, no SS001', () => {
  const text = `class Olmo2LikeConfig(PreTrainedConfig):
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "colwise_gather_output",  # q is normed over all heads: gather it
        "layers.*.self_attn.k_proj": "colwise_gather_output",  # likewise

        # the output projection
        "layers.*.self_attn.o_proj": "rowwise_split_input",
        "layers.*.mlp.gate_proj": "col"   "wise",
        "layers.*.mlp.up_proj": ("colwise"),
        "layers.*.mlp.down_proj": "rowwise",  # trailing comma next
    }
`;
  const doc = parse(text);
  assert.deepEqual(doc.diagnostics, []);
  const plan = doc.plans[0];
  assert.deepEqual(plan.entries.map((e) => [e.key, e.styleText]), [
    ['layers.*.self_attn.q_proj', 'colwise_gather_output'],
    ['layers.*.self_attn.k_proj', 'colwise_gather_output'],
    ['layers.*.self_attn.o_proj', 'rowwise_split_input'],
    ['layers.*.mlp.gate_proj', 'colwise'],
    ['layers.*.mlp.up_proj', 'colwise'],
    ['layers.*.mlp.down_proj', 'rowwise'],
  ]);
  assert.equal(slice(text, plan.entries[3].valueRange), '"col"   "wise"');
  assert.equal(slice(text, plan.entries[0].keyRange), '"layers.*.self_attn.q_proj"');
  assert.equal(plan.owner, 'Olmo2LikeConfig');
});

test('negative dims: Shard(-1), Shard(dim=-2), _StridedShard(dim=-2, split_factor=2) keep their sign, as the sharding layer expects', () => {
  const text = `parallelize_module(model, mesh, {
    "a": ColwiseParallel(input_layouts=Shard(-2), output_layouts=Shard(-1)),
    "b": RowwiseParallel(input_layouts=Shard(dim=-1)),
    "c": PrepareModuleInput(input_layouts=(_StridedShard(dim=-2, split_factor=2), None), desired_input_layouts=(Replicate(),)),
    "d": SequenceParallel(sequence_dim=-2),
})
`;
  const doc = parse(text);
  assert.deepEqual(doc.diagnostics, []);
  const kw = doc.plans[0].entries.map((e) => (e.style.kind === 'torch' ? e.style.call.kwargs : {}));
  assert.deepEqual(kw[0], { input_layouts: { kind: 'shard', dim: -2 }, output_layouts: { kind: 'shard', dim: -1 } });
  assert.deepEqual(kw[1], { input_layouts: { kind: 'shard', dim: -1 } });
  assert.deepEqual(kw[2], { input_layouts: [{ kind: 'strided_shard', dim: -2, splitFactor: 2 }, null], desired_input_layouts: [{ kind: 'replicate' }] });
  assert.deepEqual(kw[3], { sequence_dim: -2 });
});

test("negative dims through the binder: RowwiseParallel(input_layouts=Shard(-1)) is the default layout, no all-to-all; Shard(0) would need one", () => {
  const plan = (o: string) => `parallelize_module(model, tp_mesh, {\n    "model.layers.*.self_attn.q_proj": ColwiseParallel(output_layouts=Shard(-1)),\n    "model.layers.*.self_attn.k_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.v_proj": ColwiseParallel(),\n    "model.layers.*.self_attn.o_proj": ${o},\n})\n`;
  const ops = (o: string) => {
    const a = analyzeDocument(`/values/neg${n++}/train.py`, plan(o), { model: 'llama-3-8b', defaultMesh: 'tp=4' });
    assert.ok(a.sharded, 'bound');
    return { ops: a.sharded.collectives.map((c) => `${c.op}@${c.entry?.key ?? ''}`).sort(), errors: a.diagnostics.filter((d) => d.severity === 'error') };
  };
  const dflt = ops('RowwiseParallel()');
  const neg = ops('RowwiseParallel(input_layouts=Shard(-1))');
  assert.deepEqual(neg, dflt);
  assert.ok(!neg.ops.some((o) => o.startsWith('all_to_all')), neg.ops.join(', '));
  // What reading -1 as 0 did: the binder sees a layout change and redistributes.
  const zero = ops('RowwiseParallel(input_layouts=Shard(0))');
  assert.notDeepEqual(zero.ops, dflt.ops);
});

test('** merges: a dict of the module, a plan of another class of the file, later keys replacing earlier ones where they stood', () => {
  const text = `_attention = {
    "layers.*.self_attn.q_proj": "colwise",
    "layers.*.self_attn.o_proj": "rowwise",
}

class BaseConfig(PreTrainedConfig):
    base_model_tp_plan = {**_attention, "layers.*.mlp.down_proj": "rowwise"}

class ChildConfig(BaseConfig):
    base_model_tp_plan = {
        **BaseConfig.base_model_tp_plan,
        "layers.*.self_attn.q_proj": "colwise_gather_output",  # replaces the base's
        "layers.*.mlp.up_proj": "colwise",
    }
    base_model_ep_plan = dict(_attention, **{"layers.*.mlp.experts": "moe_tp_experts"}) | {"layers.*.mlp.gate": "ep_router"}
`;
  const doc = parse(text);
  assert.deepEqual(doc.diagnostics, []);
  const [base, child, ep] = doc.plans;
  assert.deepEqual(base.entries.map((e) => [e.key, e.styleText]), [['layers.*.self_attn.q_proj', 'colwise'], ['layers.*.self_attn.o_proj', 'rowwise'], ['layers.*.mlp.down_proj', 'rowwise']]);
  assert.equal(slice(text, base.entries[0].via!), '**_attention');
  assert.equal(slice(text, base.entries[0].keyRange), '"layers.*.self_attn.q_proj"', 'the entry is located where it is written');
  assert.deepEqual(child.entries.map((e) => [e.key, e.styleText]), [
    ['layers.*.self_attn.q_proj', 'colwise_gather_output'],
    ['layers.*.self_attn.o_proj', 'rowwise'],
    ['layers.*.mlp.down_proj', 'rowwise'],
    ['layers.*.mlp.up_proj', 'colwise'],
  ]);
  assert.equal(child.entries[0].via, undefined, 'written in the child itself');
  assert.equal(slice(text, child.entries[1].via!), '**BaseConfig.base_model_tp_plan');
  assert.deepEqual(ep.entries.map((e) => e.key), ['layers.*.self_attn.q_proj', 'layers.*.self_attn.o_proj', 'layers.*.mlp.experts', 'layers.*.mlp.gate']);
  assert.equal(ep.computed, true, 'an expression, not a dict display');
  assert.deepEqual([base.owner, child.owner, ep.owner], ['BaseConfig', 'ChildConfig', 'ChildConfig']);
});

test('comprehensions and .update(...), [k] = v, |= over values of the file are evaluated', () => {
  const text = `STACKS = ("L_module", "H_module")

class HrmLikeConfig(PreTrainedConfig):
    base_model_tp_plan = {
        **{f"{s}.layers.*.self_attn.{p}_proj": "colwise" for s in STACKS for p in "qkv"},
        **{f"{s}.layers.*.mlp.{p}": style for s in STACKS for p, style in (("up_proj", "colwise"), ("down_proj", "rowwise")) if p != "gate"},
    }
    base_model_tp_plan.update({"lm_norm": "replicated_with_grad_allreduce"})
    base_model_tp_plan["L_module.layers.*.self_attn.o_proj"] = "rowwise"
    base_model_tp_plan |= {"H_module.layers.*.self_attn.o_proj": "rowwise"}
`;
  const doc = parse(text);
  assert.deepEqual(doc.diagnostics, []);
  const keys = doc.plans[0].entries.map((e) => `${e.key}=${e.styleText}${e.computed ? '*' : ''}`);
  assert.deepEqual(keys, [
    'L_module.layers.*.self_attn.q_proj=colwise*', 'L_module.layers.*.self_attn.k_proj=colwise*', 'L_module.layers.*.self_attn.v_proj=colwise*',
    'H_module.layers.*.self_attn.q_proj=colwise*', 'H_module.layers.*.self_attn.k_proj=colwise*', 'H_module.layers.*.self_attn.v_proj=colwise*',
    'L_module.layers.*.mlp.up_proj=colwise*', 'L_module.layers.*.mlp.down_proj=rowwise*', 'H_module.layers.*.mlp.up_proj=colwise*', 'H_module.layers.*.mlp.down_proj=rowwise*',
    'lm_norm=replicated_with_grad_allreduce', 'L_module.layers.*.self_attn.o_proj=rowwise', 'H_module.layers.*.self_attn.o_proj=rowwise',
  ]);
  assert.equal(slice(text, doc.plans[0].entries[0].keyRange), 'f"{s}.layers.*.self_attn.{p}_proj"');
  assert.equal(slice(text, doc.plans[0].entries[11].valueRange), '"rowwise"');
});

test('SS006: what needs running code is a located note; the entries around it are kept', () => {
  const text = `from .other import OtherConfig, make_plan

class XConfig(PreTrainedConfig):
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "colwise",
        "layers.*.self_attn.k_proj": STYLES["k"],
        **OtherConfig.base_model_tp_plan,
        f"layers.*.{unknown}.o_proj": "rowwise",
        "layers.*.mlp.down_proj": "rowwise",
    }
    base_model_ep_plan = make_plan()
`;
  const doc = parse(text);
  assert.deepEqual(doc.plans[0].entries.map((e) => e.key), ['layers.*.self_attn.q_proj', 'layers.*.mlp.down_proj']);
  assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.severity, slice(text, d.range)]), [
    ['SS006', 'info', 'STYLES["k"]'],
    ['SS006', 'info', '**OtherConfig.base_model_tp_plan'],
    ['SS006', 'info', 'f"layers.*.{unknown}.o_proj"'],
    ['SS006', 'info', 'make_plan()'],
  ]);
  assert.match(doc.diagnostics[0].message, /^entry not read: /);
  assert.match(doc.diagnostics[1].message, /^entry not read: OtherConfig\.base_model_tp_plan is not a value written in this file/);
  assert.match(doc.diagnostics[2].message, /'unknown' is not a value written in this file/);
  assert.equal(doc.diagnostics[3].message, 'plan not read: make_plan(...) needs running code');
  assert.equal(doc.plans.length, 1, 'a plan that cannot be read at all is the note alone');
});

test('owners and their values: a composite file (text + vision), a class inheriting one of the same file, __init__ defaults with types and negative numbers', () => {
  const text = `class TextConfig(PreTrainedConfig):
    model_type = "llama"
    attribute_map = {"n_kv": "num_key_value_heads"}
    base_model_tp_plan = {"layers.*.self_attn.q_proj": "colwise"}
    hidden_size: int = 64
    num_key_value_heads: int = 4
    sliding_window: int = -1

class SmallTextConfig(TextConfig):
    hidden_size: int = 32
    base_model_tp_plan = {"layers.*.self_attn.k_proj": "colwise"}

class VisionConfig(PreTrainedConfig):
    model_type = "acme_vision"
    base_model_tp_plan = {"blocks.*.attn.qkv": "colwise"}

    def __init__(self, hidden_size: int = 48, depth=-2, **kwargs):
        super().__init__(**kwargs)
`;
  const doc = parse(text);
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(doc.plans.map((p) => p.owner), ['TextConfig', 'SmallTextConfig', 'VisionConfig']);
  const small = documentForOwner(doc, 'SmallTextConfig');
  assert.deepEqual(small.plans.map((p) => p.entries[0].key), ['layers.*.self_attn.k_proj']);
  assert.deepEqual(small.configValues, { model_type: 'llama', hidden_size: 32, num_key_value_heads: 4, sliding_window: -1 });
  assert.deepEqual(small.attributeMap, { n_kv: 'num_key_value_heads' });
  assert.deepEqual(small.classes?.map((c) => c.name), ['SmallTextConfig', 'TextConfig']);
  assert.deepEqual(documentForOwner(doc, 'VisionConfig').configValues, { model_type: 'acme_vision', hidden_size: 48, depth: -2 });
  assert.deepEqual(documentForOwner(doc, 'TextConfig').configValues, { model_type: 'llama', hidden_size: 64, num_key_value_heads: 4, sliding_window: -1 });
  assert.ok(!codes(doc).includes('SS006'));
});

test('Shard(-2) of a [batch, seq, hidden] activation is the sequence dim, as Shard(1) is', () => {
  const seq = (layout: string) => {
    const doc = parse(`parallelize_module(m, mesh, {"a": ColwiseParallel(input_layouts=${layout})})\n`);
    const style = doc.plans[0].entries[0].style;
    assert.equal(style.kind, 'torch');
    const r = resolveTorchCall(style.kind === 'torch' ? style.call : { className: '', kwargs: {}, args: [] });
    assert.ok(!('error' in r));
    return r.sequenceParallel;
  };
  assert.equal(seq('Shard(1)'), true);
  assert.equal(seq('Shard(-2)'), true);
  assert.equal(seq('Shard(-1)'), false);
  assert.equal(seq('Replicate()'), false);
});

test('bounded: a name merged into itself 30 times over is read once per step; a comprehension past 10000 steps is a note', () => {
  let text = 'p0 = {"a": "colwise"}\n';
  for (let i = 1; i <= 30; i++) text += `p${i} = {**p${i - 1}, **p${i - 1}, "k${i}": "rowwise"}\n`;
  text += 'base_model_tp_plan = {**p30}\nbase_model_ep_plan = {f"x{i}.{j}": "colwise" for i in range(1000) for j in range(1000)}\n';
  const t0 = performance.now();
  const doc = parse(text);
  assert.ok(performance.now() - t0 < 2000);
  assert.equal(doc.plans[0].entries.length, 31);
  assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.message]), [['SS006', 'plan not read: a comprehension of more than 10000 steps']]);
});
