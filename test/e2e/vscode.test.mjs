// End-to-end: Shardscope in a real VS Code (code-server) driven by headless Chromium.
// Run with `npm run test:e2e` after `bash e2e/server/install.sh` (CI does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { startServer, launchBrowser, scratchWorkspace, ROOT } from '../../e2e/harness.mjs';
import { quickOpen, pressUntil } from './ui.mjs';
import { plantUntrusted, plantedMarkers } from '../fixtures/untrusted/plant.mjs';

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
mkdirSync(ARTIFACTS, { recursive: true });


let server, browser, workspace;

before(async () => {
  workspace = scratchWorkspace();
  server = await startServer({ workspace });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs a mocha suite (a test/e2e/host entry) inside the extension host of `srv` with `ws` open; its results. */
async function hostSuite(srv, ws, entry, shot) {
  const hostDir = mkdtempSync(join(tmpdir(), 'shardscope-host-'));
  await build({ entryPoints: [join(ROOT, 'test/e2e/host', entry)], outfile: join(hostDir, 'index.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], mainFields: ['module', 'main'], logLevel: 'error' });
  const ext = join(srv.home, 'extensions', readdirSync(join(srv.home, 'extensions')).find((n) => n.startsWith('shardscope.shardscope-')));
  const remote = (p) => `vscode-remote://${new URL(srv.url).host}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(ext)], ['extensionTestsPath', remote(join(hostDir, 'index.js'))]]);
  const page = await browser.context.newPage();
  await page.goto(`${srv.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  const resultsFile = join(ws, '.shardscope-e2e-results.json');
  const deadline = Date.now() + 150000;
  while (!existsSync(resultsFile)) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: join(ARTIFACTS, `${shot}-timeout.png`) });
      assert.fail(`no results from the extension host after 150 s; server log:\n${srv.log().slice(-3000)}`);
    }
    await page.waitForTimeout(250);
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`) });
  await page.close();
  for (const r of results.results) console.log(`  ${r.state === 'passed' ? '✔' : '✖'} ${r.title}${r.error ? `\n${r.error}` : ''}`);
  assert.equal(results.failures, 0, results.results.filter((r) => r.state !== 'passed').map((r) => `${r.title}: ${r.error}`).join('\n'));
  return results;
}

test('the mocha suite passes inside the extension host', async () => {
  const results = await hostSuite(server, workspace, 'index.ts', 'host-suite');
  assert.ok(results.results.length >= 5, `ran ${results.results.length} tests`);
});

test('restricted mode: in a workspace that plants code, the extension host and the CLI run none of it', async () => {
  const ws = scratchWorkspace();
  assert.ok(plantUntrusted(ws, ROOT), 'the planted addon compiles (cc)');
  const untrusted = await startServer({ workspace: ws, trust: true });
  try {
    const results = await hostSuite(untrusted, ws, 'restricted-index.ts', 'restricted-host');
    assert.equal(results.results.length, 3, `ran ${results.results.length} tests`);
  } finally {
    await untrusted.stop();
  }
  assert.deepEqual(plantedMarkers(ws), []);
  // The CLI from inside the folder, a relative PATH entry first (a bare python3 found through it would be the planted one).
  const env = { ...process.env, PATH: `.:${process.env.PATH}` };
  for (const argv of [['check', 'untrusted.shardplan.json'], ['shapes', 'untrusted.shardplan.json'], ['run', 'untrusted.shardplan.json', '--layers', '0', '--tokens', '8', '--width-scale', '16']]) {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), ...argv], { cwd: ws, env, encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}${r.stdout}`);
  }
  assert.deepEqual(plantedMarkers(ws), []);
});

test('a user sees the squiggle and the Problems entry for a planted fault', async (t) => {
  const page = await browser.context.newPage();
  t.after(async () => {
    if (!page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, 'problems-panel-failure.png') }).catch(() => {});
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  // Quick Open: F1, then the file name without ">".
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('planted.shardplan.json');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60000 });
  await page.keyboard.press('F1');
  await input.fill('>View: Focus Problems');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
  await page.keyboard.press('Enter');
  const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'packed_colwise' });
  await row.first().waitFor({ timeout: 30000 });
  const text = await row.first().innerText();
  await page.screenshot({ path: join(ARTIFACTS, 'problems-panel.png') });
  assert.match(text, /SS105/, `the Problems row reads: ${text}`);
  await page.close();
});

test('a user completes a style, reads a hover and applies the quick fix', async (t) => {
  const page = await browser.context.newPage();
  t.after(async () => {
    if (!page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, 'interactive-failure.png') }).catch(() => {});
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await quickOpen(page, 'interactive.shardplan.json');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60000 });
  // Hover the pattern of line 10: global → local shapes on rank 0.
  await quickOpen(page, ':10:12');
  await quickOpen(page, '>Show or Focus Hover');
  const hover = page.locator('.monaco-hover', { hasText: 'Matches 32 modules' });
  await hover.first().waitFor({ timeout: 30000 });
  assert.match(await hover.first().innerText(), /\[8, 28672, 4096\]/);
  await page.screenshot({ path: join(ARTIFACTS, 'hover.png') });
  await page.keyboard.press('Escape');
  // Completion inside the style value of line 10.
  await quickOpen(page, ':10:44');
  const suggest = page.locator('.suggest-widget .monaco-list-row', { hasText: 'packed_colwise' });
  await pressUntil(page, 'Control+Space', suggest.first(), 'the completion list with packed_colwise');
  await page.screenshot({ path: join(ARTIFACTS, 'completion.png') });
  await page.keyboard.press('Escape');
  // The quick fix on the error: Ctrl+. and the preferred action.
  await quickOpen(page, ':10:44');
  const action = page.locator('.action-widget', { hasText: "Change to 'packed_colwise'" });
  await pressUntil(page, 'Control+.', action.first(), 'the quick fix menu');
  await page.screenshot({ path: join(ARTIFACTS, 'quick-fix.png') });
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'detached', timeout: 30000 });
  const line = await page.locator('.view-line', { hasText: 'experts.gate_up_proj"' }).first().innerText();
  assert.match(line, /"packed_colwise"/, `line 10 reads: ${line}`);
  await page.close();
});

/** Features built by other parts of the product; their UI tests run when the build has them. */
function rehearsalMissing() {
  if (!existsSync(join(ROOT, 'dist/runtime-child.js'))) return 'the runtime host (dist/runtime-child.js) is not built';
  const engine = createRequire(import.meta.url)(join(ROOT, 'dist/engine.js'));
  return typeof engine.rehearse === 'function' ? undefined : 'the engine bundle exports no rehearse()';
}
function panelMissing() {
  return existsSync(join(ROOT, 'dist/webview.js')) ? undefined : 'the trace panel (dist/webview.js) is not built';
}

test('a user runs a plan from its CodeLens on the CPU backend and sees its progress and verdict', async (t) => {
  const missing = rehearsalMissing();
  if (missing) {
    t.skip(`rehearsal not available: ${missing}`);
    return;
  }
  const page = await browser.context.newPage();
  t.after(async () => {
    if (!page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, 'rehearse-failure.png') }).catch(() => {});
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  // Only the plan's editor is open, so the Run clicked is this plan's.
  await quickOpen(page, '>View: Close All Editors');
  await quickOpen(page, 'llama-3-8b/tp.shardplan.json');
  const run = page.locator('.codelens-decoration a', { hasText: /^Run$/ });
  await run.first().waitFor({ timeout: 60000 });
  await run.first().click();
  await page.locator('.notifications-toasts', { hasText: 'Shardscope: rehearsing' }).first().waitFor({ timeout: 30000 });
  await page.screenshot({ path: join(ARTIFACTS, 'rehearse-progress.png') });
  const verdict = page.locator('.notification-list-item', { hasText: /Shardscope: (numbers|.*cannot run|.*:\d+)/ });
  try {
    await verdict.first().waitFor({ timeout: 90000 });
  } catch {
    await quickOpen(page, '>Notifications: Show Notifications');
    const seen = await page.locator('.notification-list-item').allInnerTexts();
    assert.fail(`no verdict notification; the notifications read: ${seen.join(' | ') || '(none)'}`);
  }
  const text = await verdict.first().innerText();
  await page.screenshot({ path: join(ARTIFACTS, 'rehearse-verdict.png') });
  assert.match(text, /numbers agree on 8 rank\(s\) \(cpu\)/, `the notification reads: ${text}`);
  await page.close();
});

test('a user opens the panel with shapes and a timeline', async (t) => {
  const missing = rehearsalMissing() ?? panelMissing();
  if (missing) {
    t.skip(`trace panel not available: ${missing}`);
    return;
  }
  const page = await browser.context.newPage();
  t.after(async () => {
    if (!page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, 'panel-failure.png') }).catch(() => {});
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await quickOpen(page, '>View: Close All Editors');
  await quickOpen(page, 'llama-3-8b/tp.shardplan.json');
  const run = page.locator('.codelens-decoration a', { hasText: /^Run$/ });
  await run.first().waitFor({ timeout: 60000 });
  await run.first().click();
  // The rehearsal opens its trace beside the plan when it ends: no click needed.
  const panel = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await panel.locator('canvas').first().waitFor({ timeout: 180000 });
  // The verdict stays as a message that can open the trace again.
  await page.locator('.notifications-toasts .monaco-button', { hasText: 'Open Trace' }).first().waitFor({ timeout: 30000 });
  // The timeline: one measured lane per rank of tp=8 and the all_reduce of the row-parallel layers.
  const footer = panel.locator('body', { hasText: /events on 8 ranks/ });
  try {
    await footer.waitFor({ timeout: 30000 });
  } catch {
    assert.fail(`the timeline does not show 8 ranks; the panel reads: ${(await panel.locator('body').innerText()).slice(0, 500)}`);
  }
  assert.match(await panel.locator('body').innerText(), /all_reduce/);
  await page.screenshot({ path: join(ARTIFACTS, 'panel-timeline.png') });
  // The shapes: per-rank local shapes of the plan's parameters.
  await panel.getByText('Shapes', { exact: true }).first().click();
  const shapes = panel.locator('body', { hasText: /\[\d+, \d+\]/ });
  try {
    await shapes.waitFor({ timeout: 30000 });
  } catch {
    assert.fail(`the Shapes tab shows no shapes; the panel reads: ${(await panel.locator('body').innerText()).slice(0, 500)}`);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'panel.png') });
  await page.close();
});

test('restricted mode: in an untrusted folder plans are still checked', async () => {
  const ws = scratchWorkspace();
  const untrusted = await startServer({ workspace: ws, trust: true });
  const page = await browser.context.newPage();
  try {
    await page.goto(`${untrusted.url}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    // The trust prompt: keep the folder untrusted.
    const dontTrust = page.getByRole('button', { name: /No, I don.t trust the authors/ });
    await dontTrust.waitFor({ timeout: 60000 });
    await dontTrust.click();
    await page.locator('text=Restricted Mode').first().waitFor({ timeout: 30000 });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('planted.shardplan.json');
    await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60000 });
    // Runs are refused: the CodeLens offers shapes but no Run, and the palette has no Rehearse Plan.
    const lens = page.locator('.codelens-decoration', { hasText: 'Shapes' }).first();
    await lens.waitFor({ timeout: 30000 });
    const lensText = await lens.innerText();
    assert.doesNotMatch(lensText, /\bRun\b/, `the CodeLens reads: ${lensText}`);
    await page.keyboard.press('F1');
    await input.fill('>Shardscope: Rehearse');
    // The palette lists the other Shardscope commands (as similar ones), never Rehearse Plan.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Shardscope: Open Trace' }).first().waitFor({ timeout: 10000 });
    const listed = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    assert.ok(!listed.some((r) => r.includes('Rehearse Plan')), `the palette lists: ${listed.join(' | ')}`);
    await page.keyboard.press('Escape');
    await page.screenshot({ path: join(ARTIFACTS, 'restricted-mode.png') });
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, 'restricted-mode-failure.png') }).catch(() => {});
    throw e;
  } finally {
    await page.close();
    await untrusted.stop();
  }
});
