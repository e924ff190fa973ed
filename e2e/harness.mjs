// A real VS Code for tests and `npm start`: code-server on 127.0.0.1 with Shardscope installed from this
// checkout, and headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import net from 'node:net';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SERVER = join(ROOT, 'e2e/server');
const require = createRequire(join(SERVER, 'package.json'));

/** What the extension ships, as the .vsix holds it. */
const EXTENSION_FILES = ['package.json', 'dist', 'syntaxes', 'schemas', 'media', 'language-configuration.json', 'README.md'];

/**
 * Install the packaged .vsix (npm run package) the way users do; without one, copy the files it would
 * hold. Returns the installed extension's folder.
 */
export function installExtension(extensionsDir, userDataDir) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const vsix = join(ROOT, 'shardscope.vsix');
  if (existsSync(vsix)) {
    const r = spawnSync(join(SERVER, 'node_modules/.bin/code-server'), ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`installing ${vsix} into code-server failed: ${r.stderr || r.stdout}`);
    return join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  }
  const target = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const f of EXTENSION_FILES) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(target, f), { recursive: true });
  return target;
}

async function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Start code-server with the extension installed and `workspace` open.
 * trust: true starts with workspace trust on (the workspace is untrusted until the user trusts it).
 */
export async function startServer({ workspace, trust = false, settings = {}, port } = {}) {
  const bin = join(SERVER, 'node_modules/.bin/code-server');
  if (!existsSync(bin)) throw new Error('code-server is not installed: run bash e2e/server/install.sh');
  const home = mkdtempSync(join(tmpdir(), 'shardscope-vscode-'));
  const userData = join(home, 'user-data');
  const extensions = join(home, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  installExtension(extensions, userData);
  writeFileSync(join(userData, 'User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': trust,
    'extensions.autoUpdate': false,
    'chat.disableAIFeatures': true,
    'workbench.tips.enabled': false,
    // Each session starts from the files on disk, not from another session's unsaved edits.
    'files.hotExit': 'off',
    ...settings,
  }));
  port ??= await freePort();
  writeFileSync(join(home, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = ['--config', join(home, 'config.yaml'), '--user-data-dir', userData, '--extensions-dir', extensions, '--disable-telemetry', '--disable-update-check'];
  if (!trust) args.push('--disable-workspace-trust');
  args.push(workspace);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: join(home, 'tmp') } });
  mkdirSync(join(home, 'tmp'), { recursive: true });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}): ${log.slice(-2000)}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s: ${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    home,
    userData,
    workspace,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const { chromium } = require('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'shardscope-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The plan with a planted fault (test/fixtures/e2e), as the tests' workspaces hold it. */
export const FAULT = readFileSync(join(ROOT, 'test/fixtures/e2e/fault.shardplan.json'), 'utf8');

/**
 * A scratch copy of examples/ so tests never write into the repository, with copies of the faulty plan:
 * fault.shardplan.json for the extension-host suite, planted and interactive ones for the UI tests (each
 * test edits its own copy).
 */
export function scratchWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'shardscope-ws-'));
  cpSync(join(ROOT, 'examples'), dir, { recursive: true });
  for (const name of ['fault', 'planted', 'interactive']) writeFileSync(join(dir, `${name}.shardplan.json`), FAULT);
  return dir;
}
