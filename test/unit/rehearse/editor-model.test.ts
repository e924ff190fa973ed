// A plan the editor checks against a model it resolved itself (a Python configuration class with a
// base_model_tp_plan names no model or mesh): the rehearsal takes the same model and mesh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeDocument } from '../../../extension/core/editing';
import { rehearse, RehearsalError } from '../../../extension/core/rehearse';

const FILE = 'examples/llama-3-8b/configuration_llama.py';
const ctx = { defaultMesh: 'tp=4', readFile: (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } } };

test('a Python plan rehearses against the model and mesh the editor resolved', async () => {
  const text = readFileSync(FILE, 'utf8');
  const a = analyzeDocument(FILE, text, ctx);
  assert.ok(a.graph, `the editor resolved no model (${a.modelSource})`);
  const r = await rehearse({ uri: FILE, text, doc: a.doc }, { model: a.graph, mesh: a.mesh, layers: [0], budgetElements: 1.5e6, backward: false });
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.equal(r.ranks, 4);
  assert.ok(r.trace.events.some((e) => e.name === 'all_reduce' && e.group?.length === 4));
});

test('without a model from the editor, a plan that names none is refused with a located message', async () => {
  const text = readFileSync(FILE, 'utf8');
  await assert.rejects(rehearse({ uri: FILE, text }), (e: Error) => e instanceof RehearsalError && /configuration_llama\.py:1:1: the plan names no "model"/.test(e.message));
});
