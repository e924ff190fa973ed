import { test } from 'node:test';
import { writeOwnPlanFiles } from '../helpers/own-plans';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import Ajv from 'ajv';
import { parse } from 'jsonc-parser';

const schema = JSON.parse(readFileSync('schemas/shardplan.schema.json', 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

test('every example *.shardplan.json validates against the contributed schema', () => {
  let n = 0;
  for (const dir of readdirSync('examples')) {
    for (const f of readdirSync(`examples/${dir}`).filter((x) => x.endsWith('.shardplan.json'))) {
      const v = parse(readFileSync(`examples/${dir}/${f}`, 'utf8'));
      assert.ok(validate(v), `${dir}/${f}: ${JSON.stringify(validate.errors)}`);
      n++;
    }
  }
  assert.equal(n, 6);
});

test('the schema rejects unknown keys, bad meshes and unknown styles', () => {
  assert.equal(validate({ model: 'llama-3-8b', mesh: { tp: 0 }, plan: 'auto' }), false);
  assert.equal(validate({ model: 'llama-3-8b', mesh: { tp: 2 }, plan: 'auto', extra: 1 }), false);
  assert.equal(validate({ model: 'llama-3-8b', mesh: { tp: 2 }, plan: { 'layers.*.mlp.up_proj': 'colwsie' } }), false);
  assert.equal(validate({ model: 'llama-3-8b', mesh: { tp: 2 }, plan: { 'layers.*.mlp.up_proj': 'rowwise_allreduce' } }), true, 'TPStyle-era names are valid somewhere');
});

test("transformers' own plans (TP, and EP alone) validate; a file with neither plan does not", () => {
  const own = writeOwnPlanFiles();
  for (const f of own) assert.ok(validate(parse(readFileSync(f.path, 'utf8'))), `${f.path}: ${JSON.stringify(validate.errors)}`);
  assert.ok(own.length >= 10, 'TP and EP plans of the described architectures');
  assert.equal(validate({ model: 'gpt-oss-20b', mesh: { tp: 8 }, expert_parallel: ['tp'], ep_plan: { 'layers.*.mlp.experts': 'moe_tp_experts' } }), true);
  assert.equal(validate({ model: 'llama-3-8b', mesh: { tp: 8 } }), false);
});

test('every style name of every generation carries its doc for completion', () => {
  const alts = schema.properties.plan.oneOf[1].additionalProperties.anyOf.filter((a: { enum?: string[] }) => a.enum);
  assert.equal(alts.length, 4);
  for (const a of alts) {
    assert.equal(a.markdownEnumDescriptions.length, a.enum.length, a.title);
    for (const [i, d] of a.markdownEnumDescriptions.entries()) assert.ok(d.length > 20, `${a.title}: ${a.enum[i]}`);
  }
  const g4 = alts.find((a: { title: string }) => a.title === 'transformers 5.x main');
  assert.match(g4.markdownEnumDescriptions[g4.enum.indexOf('packed_colwise')], /gate_up|packed|fused/i);
});
