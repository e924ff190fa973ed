// End-to-end, in code-server + Chromium: what a user sees in the editor on unmodified transformers 5.18
// configuration files (read from the wheel in the local mirror): findings on an assumed mesh or GPU size,
// style names coloured by the default themes, style hovers, read-only reports and picks that persist.
// Screenshots go to test-artifacts/e2e/editor-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, launchBrowser, scratchWorkspace, ROOT } from '../../e2e/harness.mjs';
import { quickOpen, pressUntil } from './ui.mjs';

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `editor-${name}.png`) });

/** transformers 5.18.0's wheel in the local mirror (the files folder beside each simple index). */
function wheel() {
  for (const root of ['/opt/pypi/files', '/opt/pypi-more/files']) {
    const hit = existsSync(root) && readdirSync(root).find((f) => /^transformers-5\.18\.0-.*\.whl$/.test(f));
    if (hit) return join(root, hit);
  }
  return undefined;
}

/** A member of the wheel as text (unzip -p: the file as shipped). */
function fromWheel(whl, member) {
  const r = spawnSync('unzip', ['-p', whl, member], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, `unzip ${member}: ${r.stderr}`);
  return r.stdout;
}

const SETTINGS = { 'shardscope.transformersVersion': '5.18.0', 'workbench.colorTheme': 'Default Dark Modern' };
const WHEEL = wheel();
let server, browser, workspace;

before(async () => {
  if (!WHEEL) return;
  workspace = scratchWorkspace();
  for (const m of ['qwen3_moe', 'deepseek_v3']) {
    mkdirSync(join(workspace, 'upstream', m), { recursive: true });
    writeFileSync(join(workspace, 'upstream', m, `configuration_${m}.py`), fromWheel(WHEEL, `transformers/models/${m}/configuration_${m}.py`));
  }
  // One style name inside a plan dict and the same word as a plain string, on lines of their own.
  mkdirSync(join(workspace, 'colours'));
  writeFileSync(join(workspace, 'colours', 'configuration_colours.py'), 'label = "rowwise"\nbase_model_tp_plan = {\n    "layers.*.mlp.down_proj": "rowwise",\n}\n');
  server = await startServer({ workspace, settings: SETTINGS });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh window on the workspace; on failure its screenshot is kept and it is closed, so no later test shares it. */
async function workbench(t) {
  const page = await browser.context.newPage();
  t.after(async () => {
    if (page.isClosed()) return;
    await page.screenshot({ path: join(ARTIFACTS, `editor-failure-${t.name.slice(0, 40).replace(/\W+/g, '-')}.png`) }).catch(() => {});
    await page.close();
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  return page;
}

/** Preferences: Color Theme, then the theme by name, as a user picks one. */
async function pickTheme(page, theme) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill('>Preferences: Color Theme');
  // The command itself, not "Browse Color Themes in Marketplace" that the same words also find.
  const focused = page.locator('.quick-input-list .monaco-list-row.focused');
  await focused.first().waitFor();
  for (let i = 0; i < 5 && !/^Preferences: Color Theme(\s|$)/.test(await focused.first().innerText()); i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Default Light Modern' }).first().waitFor();
  await input.fill(theme);
  // Filtered to the name, the theme's row follows "Browse Additional Color Themes…": move the focus onto it.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().waitFor();
  for (let i = 0; i < 5 && !(await focused.first().innerText()).includes(theme); i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** The rendered colour of each token whose text is exactly `text`, line by line (top to bottom). */
async function tokenColours(page, text) {
  return page.evaluate((t) => {
    const lines = [...document.querySelectorAll('.monaco-editor .view-lines .view-line')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    // Monaco merges neighbouring tokens of one colour into a span ("rowwise" with its quotes, `label = `).
    return lines.flatMap((l) => [...l.querySelectorAll('span > span')].filter((s) => s.textContent.replace(/["'\s=,:]/g, '') === t).map((s) => getComputedStyle(s).color));
  }, text);
}

test('style names inside a Python plan are coloured as strings by the default Dark, Light and High Contrast themes', { skip: !WHEEL && 'no transformers 5.18.0 wheel in the local mirror' }, async (t) => {
  const page = await workbench(t);
  await quickOpen(page, 'colours/configuration_colours.py');
  await page.locator('.view-line', { hasText: 'base_model_tp_plan' }).first().waitFor({ timeout: 30000 });
  // Default Dark Modern is the theme the server starts with (SETTINGS); the others are picked.
  for (const theme of ['Default Dark Modern', 'Default Light Modern', 'Default High Contrast']) {
    if (theme !== 'Default Dark Modern') await pickTheme(page, theme);
    const kind = theme.includes('Light') ? 'vs' : theme.includes('High') ? 'hc-black' : 'vs-dark';
    await page.waitForFunction((k) => document.querySelector('.monaco-workbench')?.classList.contains(k), kind, { timeout: 30000 });
    // Tokens are painted again after a theme change; poll until the plain string and the style name agree
    // or time runs out (then the assertion below says what they were).
    let colours = [];
    for (let i = 0; i < 40; i++) {
      colours = await tokenColours(page, 'rowwise');
      const plain = await tokenColours(page, 'label');
      if (colours.length === 2 && colours[0] === colours[1] && plain[0] !== colours[0]) break;
      await page.waitForTimeout(250);
    }
    const plain = await tokenColours(page, 'label');
    await shot(page, `style-colour-${theme.replace(/\W+/g, '-').toLowerCase()}`);
    assert.equal(colours.length, 2, `${theme}: tokens "rowwise": ${colours}`);
    assert.equal(colours[1], colours[0], `${theme}: the style name in the plan has the plain string's colour`);
    assert.notEqual(colours[1], plain[0], `${theme}: and not the colour of plain text (${plain[0]})`);
  }
  await pickTheme(page, 'Default Dark Modern');
  await page.close();
});

test('a style hover is short tables of placements and collectives with one link, no commits or pull requests', { skip: !WHEEL && 'no transformers 5.18.0 wheel in the local mirror' }, async (t) => {
  const page = await workbench(t);
  await quickOpen(page, 'upstream/qwen3_moe/configuration_qwen3_moe.py');
  const text = readFileSync(join(workspace, 'upstream/qwen3_moe/configuration_qwen3_moe.py'), 'utf8');
  const at = text.indexOf('"rowwise"');
  const before = text.slice(0, at).split('\n');
  await quickOpen(page, `:${before.length}:${before[before.length - 1].length + 3}`);
  await quickOpen(page, '>Show or Focus Hover');
  const hover = page.locator('.monaco-hover', { hasText: 'collectives' });
  await hover.first().waitFor({ timeout: 30000 });
  await shot(page, 'style-hover');
  const html = await hover.first().innerHTML();
  const shown = await hover.first().innerText();
  assert.ok((html.match(/<table/g) ?? []).length === 2, `two tables: ${shown}`);
  assert.equal((html.match(/<a /g) ?? []).length, 1, `one link: ${shown}`);
  assert.doesNotMatch(shown, /PR #|≈ 20\d\d|[0-9a-f]{40}/);
  assert.match(shown, /weight\s+Shard\(dim=1\)/);
  await page.keyboard.press('Escape');
  await page.close();
});

/** The Problems rows whose text matches `re`, with the severity their icon shows. */
async function problems(page, re) {
  await quickOpen(page, '>View: Focus Problems');
  const rows = page.locator('.markers-panel .monaco-list-row', { hasText: re });
  await rows.first().waitFor({ timeout: 60000 });
  return Promise.all((await rows.all()).map(async (r) => ({ text: await r.innerText(), severity: /codicon-error/.test(await r.innerHTML()) ? 'error' : /codicon-warning/.test(await r.innerHTML()) ? 'warning' : 'other' })));
}

test('on the default mesh SS202 and SS402 are warnings that name the assumption; the quick fix picks the mesh, which makes them errors and survives a reload', { skip: !WHEEL && 'no transformers 5.18.0 wheel in the local mirror' }, async (t) => {
  const page = await workbench(t);
  await quickOpen(page, '>View: Close All Editors');
  await quickOpen(page, 'upstream/qwen3_moe/configuration_qwen3_moe.py');
  // The plan is below the first screen of the file: the Problems panel is where the findings show first.
  const assumed = await problems(page, /SS202/);
  await shot(page, 'assumed-mesh-warning');
  assert.ok(assumed.every((r) => r.severity === 'warning' && /at the assumed tp=8; pick a mesh/.test(r.text)), JSON.stringify(assumed));
  await page.locator('.statusbar-item', { hasText: 'tp=8 (assumed)' }).first().waitFor({ timeout: 10000 });
  // The quick fix on k_proj's key runs the status bar's Pick Mesh; accepting tp=8 names the mesh.
  const text = readFileSync(join(workspace, 'upstream/qwen3_moe/configuration_qwen3_moe.py'), 'utf8');
  const before = text.slice(0, text.indexOf('"layers.*.self_attn.k_proj"')).split('\n');
  await quickOpen(page, `:${before.length}:${before[before.length - 1].length + 4}`);
  const fix = page.locator('.action-widget', { hasText: 'Pick the mesh…' });
  await pressUntil(page, 'Control+.', fix.first(), 'the quick fix menu with Pick the mesh…');
  await shot(page, 'assumed-mesh-quick-fix');
  // Keys, as a user would: the pointer is blocked while the menu owns the focus.
  const row = fix.locator('.monaco-list-row', { hasText: 'Pick the mesh…' }).first();
  for (let i = 0; i < 5 && !/\bfocused\b/.test((await row.getAttribute('class')) ?? ''); i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  assert.equal(await input.inputValue(), 'tp=8');
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60000 });
  const picked = await problems(page, /SS202/);
  assert.ok(picked.every((r) => r.severity === 'error' && !/assumed/.test(r.text)), JSON.stringify(picked));
  // DeepSeek-V3 on the picked mesh: the memory finding still rests on the assumed GPU size, and says so.
  await quickOpen(page, 'upstream/deepseek_v3/configuration_deepseek_v3.py');
  const memory = await problems(page, /SS402/);
  await shot(page, 'assumed-gpu-memory-warning');
  assert.ok(memory.length === 1 && memory[0].severity === 'warning' && /at the assumed 80 GiB per GPU/.test(memory[0].text) && !/assumed tp=8/.test(memory[0].text), JSON.stringify(memory));
  // Reload the window: the pick is still there, and so are the errors it brings.
  await page.reload();
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await page.locator('.statusbar-item', { hasText: /tp=8$/ }).first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator('.statusbar-item', { hasText: 'tp=8 (assumed)' }).count(), 0);
  await quickOpen(page, 'upstream/qwen3_moe/configuration_qwen3_moe.py');
  const reloaded = await problems(page, /SS202/);
  await shot(page, 'pick-after-reload');
  assert.ok(reloaded.length >= 2 && reloaded.every((r) => r.severity === 'error'), JSON.stringify(reloaded));
  await page.close();
});

test('Show Shapes opens a read-only report that closes without asking to save', { skip: !WHEEL && 'no transformers 5.18.0 wheel in the local mirror' }, async (t) => {
  const page = await workbench(t);
  await quickOpen(page, '>View: Close All Editors');
  await quickOpen(page, 'llama-3-8b/configuration_llama.py');
  await page.locator('.view-line', { hasText: 'base_model_tp_plan' }).first().waitFor({ timeout: 30000 });
  await quickOpen(page, '>Shardscope: Show Shapes');
  const tab = page.locator('.tabs-container .tab', { hasText: 'Shapes — configuration_llama.py' });
  await tab.first().waitFor({ timeout: 30000 });
  await page.locator('.view-line', { hasText: 'q_proj.weight' }).first().waitFor({ timeout: 30000 });
  await shot(page, 'shapes-report');
  await tab.first().click();
  await quickOpen(page, '>View: Close Editor');
  await tab.first().waitFor({ state: 'detached', timeout: 10000 });
  // A save prompt would be a modal dialog; give it the time one takes to show.
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no dialog asks to save the report');
  await shot(page, 'shapes-report-closed');
  await page.close();
});

/** The text of every notification toast now on screen. */
const toasts = (page) => page.locator('.notifications-toasts .notification-list-item').allInnerTexts();

test('Run: a refused plan offers no Open Trace; a run shows its progress as a fraction of ops, with cancel', { skip: (!WHEEL && 'no transformers 5.18.0 wheel in the local mirror') || (!existsSync(join(ROOT, 'dist/runtime-child.js')) && 'the runtime host is not built') }, async (t) => {
  const page = await workbench(t);
  await quickOpen(page, '>View: Close All Editors');
  // Plain colwise on Mixtral's fused gate_up_proj: the rehearsal refuses it before anything runs.
  await quickOpen(page, 'fault.shardplan.json');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60000 });
  await quickOpen(page, '>Shardscope: Rehearse Plan');
  const refused = page.locator('.notification-list-item', { hasText: 'the plan cannot run' });
  await refused.first().waitFor({ timeout: 60000 });
  await shot(page, 'run-refused');
  assert.equal(await refused.first().locator('.monaco-button', { hasText: 'Open Trace' }).count(), 0, await refused.first().innerText());
  await quickOpen(page, '>Notifications: Clear All Notifications');
  // A plan that runs: the progress toast counts ops. Every example fits the rehearsal's 8 GiB budget at real
  // widths, so the verdict has no scaling to report here (test/unit/rehearse/verdict.test.ts checks that clause).
  await quickOpen(page, 'llama-3-8b/tp.shardplan.json');
  await page.locator('.codelens-decoration a', { hasText: /^Run$/ }).first().waitFor({ timeout: 60000 });
  await quickOpen(page, '>Shardscope: Rehearse Plan');
  let fraction;
  const deadline = Date.now() + 120000;
  while (!fraction && Date.now() < deadline) {
    fraction = (await toasts(page)).find((x) => /Shardscope: rehearsing[\s\S]*\d+\/\d+ ops/.test(x));
    if (!fraction) await page.waitForTimeout(100);
  }
  await shot(page, 'run-progress');
  assert.ok(fraction, `a progress toast with a fraction of ops; toasts: ${(await toasts(page)).join(' | ')}`);
  assert.match(fraction, /Cancel/);
  const verdict = page.locator('.notification-list-item', { hasText: /Shardscope: numbers/ });
  await verdict.first().waitFor({ timeout: 300000 });
  await shot(page, 'run-verdict');
  assert.match(await verdict.first().innerText(), /numbers agree on \d+ rank\(s\) \(cpu\)/);
});
