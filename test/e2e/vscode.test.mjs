// End-to-end: Shardscope in a real VS Code (code-server) driven by headless Chromium.
// Run with `npm run test:e2e` after `bash e2e/server/install.sh` (CI does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startServer, launchBrowser, scratchWorkspace, ROOT } from '../../e2e/harness.mjs';

const ARTIFACTS = join(ROOT, 'test-artifacts/e2e');
mkdirSync(ARTIFACTS, { recursive: true });

const FAULT = `// A planted fault: plain colwise on Mixtral's fused gate_up_proj.
{
  "model": "../mixtral-8x7b/config.json",
  "mesh": {"tp": 8},
  "plan": {
    "layers.*.self_attn.q_proj": "colwise",
    "layers.*.self_attn.k_proj": "colwise",
    "layers.*.self_attn.v_proj": "colwise",
    "layers.*.self_attn.o_proj": "rowwise",
    "layers.*.mlp.experts.gate_up_proj": "colwise",
    "layers.*.mlp.experts.down_proj": "rowwise",
    "layers.*.mlp.experts": "moe_tp_experts",
    "lm_head": "colwise_gather_output"
  }
}
`;

let server, browser, workspace;

before(async () => {
  workspace = scratchWorkspace();
  // One copy per test: the host suite applies its quick fix to its own copy.
  writeFileSync(join(workspace, 'fault.shardplan.json'), FAULT.replace('../mixtral-8x7b', './mixtral-8x7b'));
  writeFileSync(join(workspace, 'planted.shardplan.json'), FAULT.replace('../mixtral-8x7b', './mixtral-8x7b'));
  server = await startServer({ workspace });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the mocha suite passes inside the extension host', async () => {
  const hostDir = mkdtempSync(join(tmpdir(), 'shardscope-host-'));
  await build({ entryPoints: [join(ROOT, 'test/e2e/host/index.ts')], outfile: join(hostDir, 'index.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], mainFields: ['module', 'main'], logLevel: 'warning' });
  const ext = join(server.home, 'extensions', readdirSync(join(server.home, 'extensions')).find((n) => n.startsWith('shardscope.shardscope-')));
  const remote = (p) => `vscode-remote://${new URL(server.url).host}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(ext)], ['extensionTestsPath', remote(join(hostDir, 'index.js'))]]);
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  const resultsFile = join(workspace, '.shardscope-e2e-results.json');
  const deadline = Date.now() + 150000;
  while (!existsSync(resultsFile)) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: join(ARTIFACTS, 'host-timeout.png') });
      assert.fail(`no results from the extension host after 150 s; server log:\n${server.log().slice(-3000)}`);
    }
    await page.waitForTimeout(250);
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  await page.screenshot({ path: join(ARTIFACTS, 'host-suite.png') });
  await page.close();
  for (const r of results.results) console.log(`  ${r.state === 'passed' ? '✔' : '✖'} ${r.title}${r.error ? `\n${r.error}` : ''}`);
  assert.equal(results.failures, 0, results.results.filter((r) => r.state !== 'passed').map((r) => `${r.title}: ${r.error}`).join('\n'));
  assert.ok(results.results.length >= 5, `ran ${results.results.length} tests`);
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

test('restricted mode: in an untrusted folder plans are still checked', async () => {
  const ws = scratchWorkspace();
  writeFileSync(join(ws, 'planted.shardplan.json'), FAULT.replace('../mixtral-8x7b', './mixtral-8x7b'));
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
    await page.screenshot({ path: join(ARTIFACTS, 'restricted-mode.png') });
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, 'restricted-mode-failure.png') }).catch(() => {});
    throw e;
  } finally {
    await page.close();
    await untrusted.stop();
  }
});
