// A Python source with many config classes: every class's plans are checked, each against its own
// class's values (with those of the classes of the same file it inherits from), and the diagnostics of
// all are merged; the CodeLens of each plan shows its own class's numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeDocument, codeLenses, hover } from '../../../extension/core/editing';
import { main } from '../../../extension/cli/main';

const HEADER = 'from ...configuration_utils import PreTrainedConfig\n';
/** A small Llama config class; `style` is q_proj's style, `kv` its KV heads. */
const tiny = (name: string, style = 'colwise', kv = 4, comment = '') => `

class ${name}(PreTrainedConfig):
    model_type = "llama"
    base_model_tp_plan = {
        "layers.*.self_attn.q_proj": "${style}",${comment}
        "layers.*.self_attn.k_proj": "colwise",
        "layers.*.self_attn.v_proj": "colwise",
        "layers.*.self_attn.o_proj": "rowwise",
        "layers.*.mlp.gate_proj": "colwise",
        "layers.*.mlp.up_proj": "colwise",
        "layers.*.mlp.down_proj": "rowwise",
    }
    vocab_size: int = 256
    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 1
    num_attention_heads: int = 8
    num_key_value_heads: int = ${kv}
`;
const fifty = (bad: (i: number) => boolean, kv: (i: number) => number = () => 4) => HEADER + Array.from({ length: 50 }, (_, i) => tiny(`Tiny${i}Config`, bad(i) ? 'colwize' : 'colwise', kv(i))).join('');
let n = 0;
const analyze = (text: string, mesh = 'tp=4') => analyzeDocument(`/classes/${n++}/configuration_tiny.py`, text, { defaultMesh: mesh, meshChosen: true });
/** The class a diagnostic sits in. */
const classAt = (text: string, offset: number) => [...text.slice(0, offset).matchAll(/^class (\w+)/gm)].pop()?.[1];
const errors = (a: ReturnType<typeof analyze>) => a.diagnostics.filter((d) => d.severity === 'error');

test('50 classes, each with a planted error: 50 diagnostics, one in each class, on its own value', () => {
  const text = fifty(() => true);
  const a = analyze(text);
  assert.equal(a.parts.length, 50);
  const errs = errors(a);
  assert.equal(errs.length, 50);
  assert.ok(errs.every((d) => d.code === 'SS101' && text.slice(d.range.start, d.range.end) === '"colwize"'));
  assert.deepEqual(errs.map((d) => classAt(text, d.range.start)), Array.from({ length: 50 }, (_, i) => `Tiny${i}Config`));
});

test('an error in the 1st or the 25th plan of 50 is reported there, and `shardscope check` exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-classes-'));
  for (const at of [0, 24]) {
    const text = fifty((i) => i === at);
    const errs = errors(analyze(text));
    assert.deepEqual(errs.map((d) => [d.code, classAt(text, d.range.start)]), [['SS101', `Tiny${at}Config`]]);
    const file = join(dir, `configuration_tiny${at}.py`);
    writeFileSync(file, text);
    const out: string[] = [];
    const code = await main(['check', '--mesh', 'tp=4', file], { out: (l) => out.push(l), err: (l) => out.push(l) });
    assert.equal(code, 1, out.join('\n'));
    const line = text.slice(0, errs[0].range.start).split('\n').length;
    assert.ok(out.some((l) => l.startsWith(`${file}:${line}:`) && / error SS101: /.test(l)), out.join('\n'));
  }
  const clean = join(dir, 'configuration_clean.py');
  writeFileSync(clean, fifty(() => false));
  assert.equal(await main(['check', '--mesh', 'tp=4', clean], { out: () => {}, err: () => {} }), 0);
});

test("each class's plans against its own values: only the class with 2 KV heads fails tp=4", () => {
  const text = fifty(() => false, (i) => (i === 24 ? 2 : 4));
  const errs = errors(analyze(text));
  assert.deepEqual(errs.map((d) => [d.code, classAt(text, d.range.start), text.slice(d.range.start, d.range.end)]), [
    ['SS202', 'Tiny24Config', '"layers.*.self_attn.k_proj"'],
    ['SS202', 'Tiny24Config', '"layers.*.self_attn.v_proj"'],
  ]);
  assert.match(errs[0].message, /^2 key\/value heads are not divisible by tp=4/);
});

test("a class inheriting one of the same file inherits its defaults; a plan merged from the parent is reported on the merge", () => {
  const text = `${HEADER}${tiny('ParentConfig')}

class ChildConfig(ParentConfig):
    base_model_tp_plan = {**ParentConfig.base_model_tp_plan, "layers.*.mlp.down_proj": "rowwise"}
    num_key_value_heads: int = 2
`;
  const a = analyze(text);
  assert.deepEqual(a.parts.map((p) => [p.owner, p.graph?.modelType, p.graph?.config.hiddenSize]), [['ParentConfig', 'llama', 64], ['ChildConfig', 'llama', 64]]);
  const errs = errors(a);
  assert.deepEqual(errs.map((d) => [d.code, text.slice(d.range.start, d.range.end), d.message.match(/\(entry '([^']+)' of (.*)\)$/)?.slice(1)]), [
    ['SS202', '**ParentConfig.base_model_tp_plan', ['layers.*.self_attn.k_proj', '**ParentConfig.base_model_tp_plan']],
    ['SS202', '**ParentConfig.base_model_tp_plan', ['layers.*.self_attn.v_proj', '**ParentConfig.base_model_tp_plan']],
  ]);
  assert.match(errs[0].message, /^2 key\/value heads are not divisible by tp=4/);
  assert.ok(errs.every((d) => !d.fixes), 'no edit of the parent from the child');
});

test('a composite file: the text class is checked against its values, the vision class against its own, each CodeLens with its own numbers', () => {
  const text = `${HEADER}${tiny('AcmeTextConfig', 'colwise', 4, '  # we need to replicate here')}

class AcmeVisionConfig(PreTrainedConfig):
    model_type = "acme_vision"
    base_model_tp_plan = {
        "blocks.*.attn.qkv": "colwise",  # fused
        "blocks.*.attn.proj": "rowwise",
    }
    hidden_size: int = 32
`;
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.code === 'SS001'), []);
  assert.deepEqual(a.parts.map((p) => p.owner), ['AcmeTextConfig', 'AcmeVisionConfig']);
  assert.equal(a.parts[0].graph?.modelType, 'llama');
  assert.equal(a.parts[1].graph, undefined, 'no architecture for acme_vision');
  assert.equal(a.graph, a.parts[0].graph);
  // The vision class is said to be unchecked, on its own plan, naming it.
  const notes = a.diagnostics.filter((d) => classAt(text, d.range.start) === 'AcmeVisionConfig');
  assert.deepEqual(notes.map((d) => [d.code, d.severity, text.slice(d.range.start, d.range.end)]), [['SS011', 'info', 'base_model_tp_plan']]);
  assert.match(notes[0].message, /of AcmeVisionConfig were not checked: .*"acme_vision"/);
  assert.deepEqual(errors(a), []);
  const lenses = codeLenses(a).filter((l) => l.command === 'shardscope.showShapes');
  assert.equal(lenses.length, 2);
  assert.match(lenses[0].title, /^Shapes: \d+ sharded params, /);
  assert.equal(lenses[1].title, 'Shapes', 'the vision plan has no model: no numbers borrowed from the text class');
  const q = text.indexOf('"layers.*.self_attn.q_proj"') + 2;
  assert.match(hover(a, q)!.markdown, /Matches 1 module/);
});
