// Paths a plan names: inside the workspace or the Hugging Face cache, else read only once the user allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanPathConsent, ANSWERS_KEY, isInside } from '../../../extension/vscode/planPaths';
import { analyzeDocument } from '../../../extension/core/editing';

function setup() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'ss-paths-')));
  const ws = join(root, 'ws');
  const outside = join(root, 'outside');
  const hub = join(root, 'hub');
  for (const d of [ws, outside, join(hub, 'models--org--m/snapshots/abc')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(outside, 'config.json'), '{}');
  writeFileSync(join(ws, 'config.json'), '{}');
  writeFileSync(join(hub, 'models--org--m/snapshots/abc/config.json'), '{}');
  symlinkSync(join(outside, 'config.json'), join(ws, 'link.json'));
  const state = new Map<string, Record<string, boolean>>();
  const asked: string[] = [];
  let reply: boolean | undefined = true;
  let answered = 0;
  const consent = new PlanPathConsent({
    folders: () => [ws],
    store: { get: (k) => state.get(k), update: async (k, v) => void state.set(k, v) },
    ask: async (p) => (asked.push(p), reply),
    answered: () => void answered++,
    env: { HF_HUB_CACHE: hub },
  });
  return { root, ws, outside, hub, consent, asked, state, setReply: (r: boolean | undefined) => (reply = r), answers: () => answered };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

test('isInside: the folder itself and what lies under it; a sibling with the same prefix is outside', () => {
  assert.ok(isInside('/w/a', '/w/a'));
  assert.ok(isInside('/w/a/b/c', '/w/a'));
  assert.ok(!isInside('/w/ab', '/w/a'));
  assert.ok(!isInside('/w/a/../b', '/w/a'));
  assert.ok(!isInside('/etc/passwd', '/w/a'));
});

test('inside the workspace and the Hugging Face cache: allowed without asking; nothing there: nothing to read', () => {
  const s = setup();
  const plan = join(s.ws, 'p.shardplan.json');
  assert.ok(s.consent.allows(join(s.ws, 'config.json'), plan, true));
  assert.ok(s.consent.allows(join(s.ws, 'sub/../config.json'), plan, true));
  assert.ok(s.consent.allows(join(s.hub, 'models--org--m/snapshots/abc/config.json'), plan, true));
  assert.ok(s.consent.allows(join(s.root, 'no-such.json'), plan, true));
  assert.deepEqual(s.asked, []);
});

test('outside (absolute, "..", a link out of the workspace, a device): refused, asked once, the answer kept per workspace', async () => {
  const s = setup();
  const plan = join(s.ws, 'p.shardplan.json');
  s.setReply(undefined);
  assert.equal(s.consent.allows(join(s.ws, '../outside/config.json'), plan, true), false);
  assert.equal(s.consent.allows(join(s.ws, 'link.json'), plan, true), false);
  assert.equal(s.consent.allows('/dev/zero', plan, true), false);
  await settle();
  // The link and the ".." path are the same file: asked once; dismissed: nothing kept, not asked again.
  assert.deepEqual(s.asked, [join(s.outside, 'config.json'), '/dev/zero']);
  assert.equal(s.state.get(ANSWERS_KEY), undefined);
  assert.equal(s.consent.allows(join(s.outside, 'config.json'), plan, true), false);
  await settle();
  assert.equal(s.asked.length, 2);
  // A fresh session (the same workspace state) asks again; "Allow" is kept and plans are checked again.
  const again = new PlanPathConsent({ folders: () => [s.ws], store: { get: (k) => s.state.get(k), update: async (k, v) => void s.state.set(k, v) }, ask: async () => true, answered: () => {}, env: { HF_HUB_CACHE: s.hub } });
  assert.equal(again.allows(join(s.outside, 'config.json'), plan, true), false);
  await settle();
  assert.deepEqual(s.state.get(ANSWERS_KEY), { [join(s.outside, 'config.json')]: true });
  assert.ok(again.allows(join(s.ws, 'link.json'), plan, true));
  // "Don't Allow" is kept too.
  const deny = new PlanPathConsent({ folders: () => [s.ws], store: { get: (k) => s.state.get(k), update: async (k, v) => void s.state.set(k, v) }, ask: async () => false, answered: () => {}, env: {} });
  assert.equal(deny.allows('/dev/zero', plan, true), false);
  await settle();
  assert.equal(s.state.get(ANSWERS_KEY)!['/dev/zero'], false);
});

test('without ask, an outside path is only looked up; a plan outside every folder has its own folder', async () => {
  const s = setup();
  assert.equal(s.consent.allows(join(s.outside, 'config.json'), join(s.ws, 'p.py'), false), false);
  await settle();
  assert.deepEqual(s.asked, []);
  assert.ok(s.consent.allows(join(s.outside, 'config.json'), join(s.outside, 'loose.shardplan.json'), true));
});

test('the engine: a plan whose model is outside gets SS004 naming the path and no model; allowed, it binds', () => {
  const s = setup();
  copyFileSync('examples/llama-3-8b/config.json', join(s.outside, 'config.json'));
  const plan = join(s.ws, 'p.shardplan.json');
  const text = readFileSync('examples/llama-3-8b/tp.shardplan.json', 'utf8').replace('"./config.json"', JSON.stringify(join(s.outside, 'config.json')));
  const seen: [string, string, boolean][] = [];
  const refused = analyzeDocument(plan, text, { allowPath: (p, f, ask) => (seen.push([p, f, ask]), false) });
  assert.equal(refused.graph, undefined);
  const d = refused.diagnostics.find((x) => x.code === 'SS004');
  assert.match(d?.message ?? '', /outside the workspace and the Hugging Face cache: it is read only once you allow it/);
  assert.ok(d!.message.includes(join(s.outside, 'config.json')));
  assert.deepEqual(seen, [[join(s.outside, 'config.json'), plan, true]]);
  assert.ok(analyzeDocument(plan, text, { allowPath: () => true }).graph);
  // The command line sets no allowPath: it reads what it is given.
  assert.ok(analyzeDocument(plan, text).graph);
});

test('the engine: a config class\'s parent imported from outside the workspace is not followed, and nothing is asked', () => {
  const s = setup();
  mkdirSync(join(s.ws, 'pkg'), { recursive: true });
  writeFileSync(join(s.root, 'configuration_base.py'), 'class BaseConfig:\n    model_type = "llama"\n    hidden_size = 4096\n');
  const plan = join(s.ws, 'pkg/configuration_x.py');
  const text = 'from ...configuration_base import BaseConfig\n\nclass XConfig(BaseConfig):\n    base_model_tp_plan = {"layers.*.self_attn.q_proj": "colwise"}\n';
  const seen: [string, boolean][] = [];
  analyzeDocument(plan, text, { allowPath: (p, _f, ask) => (seen.push([p, ask]), false), readFile: (p) => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } } });
  assert.deepEqual(seen, [[join(s.root, 'configuration_base.py'), false]]);
});
