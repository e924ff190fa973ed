import { test } from 'node:test';
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
