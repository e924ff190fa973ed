/// <reference lib="dom" />
// Loads the built panel into headless Chromium (Debian's, through playwright-core) behind the same CSP the
// extension uses, with acquireVsCodeApi stubbed: the test posts what the extension host would post.
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { readFileSync, mkdirSync, mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { panelHtml } from '../../extension/core/trace/panel-host';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `headless Chromium not found at ${CHROMIUM} (Debian: apt-get update && apt-get install -y chromium)`;
export const ARTIFACTS = 'test-artifacts/webview';

const OUT = join('.test-out', 'webview-bundle');

async function bundle(): Promise<void> {
  await build({ entryPoints: ['webview/main.ts'], outfile: join(OUT, 'webview.js'), bundle: true, platform: 'browser', format: 'iife', target: 'chrome120', logLevel: 'warning' });
}

// Typed arrays cross page.evaluate as {__ta, data}; the stub revives them before posting.
const STUB = `
window.__posted = [];
window.__dialogs = 0;
// Like VS Code, the state outlives the page: a reload stands for a hidden panel shown again.
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(m),
  getState: () => { const s = sessionStorage.getItem('ss-state'); return s ? JSON.parse(s) : undefined; },
  setState: (s) => sessionStorage.setItem('ss-state', JSON.stringify(s)),
});
const revive = (v) => v && typeof v === 'object' ? (v.__ta ? new self[v.__ta](v.data.map((x) => (x === null ? NaN : x))) : Array.isArray(v) ? v.map(revive) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]))) : v;
window.__send = (m) => window.postMessage(revive(m), '*');
`;

/** A message made safe for page.evaluate: typed arrays as tagged plain arrays (NaN kept as null → NaN). */
export function encode(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { __ta: v.constructor.name, data: Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isNaN(x) ? null : x)) };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

export interface Panel {
  page: Page;
  send(msg: unknown): Promise<void>;
  posted(): Promise<unknown[]>;
  /** A screenshot under test-artifacts/webview: the whole page, or the element a selector names. */
  shot(name: string, selector?: string): Promise<void>;
  theme(kind: 'light' | 'dark'): Promise<void>;
  close(): Promise<void>;
}

const THEMES = {
  dark: { '--vscode-editor-background': '#1e1e1e', '--vscode-editor-foreground': '#d4d4d4', '--vscode-editorWidget-border': '#454545', '--vscode-focusBorder': '#007fd4' },
  light: { '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#1f1f1f', '--vscode-editorWidget-border': '#c8c8c8', '--vscode-focusBorder': '#0090f1', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#1f1f1f' },
};

let browser: BrowserContext | undefined;
let server: Server | undefined;
let base = '';

export async function openPanel(size = { width: 1200, height: 800 }): Promise<Panel> {
  if (!browser) {
    await bundle();
    const nonce = 'n' + Math.random().toString(36).slice(2);
    server = createServer((req, res) => {
      const origin = `http://${req.headers.host}`;
      if (req.url === '/') {
        const html = panelHtml({ nonce, cspSource: origin, scriptUri: `${origin}/webview.js`, styleUri: `${origin}/webview.css` })
          .replace('<script nonce', `<script nonce="${nonce}">${STUB}</script>\n<script nonce`);
        res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      } else if (req.url === '/webview.js' || req.url === '/webview.css') {
        res.writeHead(200, { 'content-type': req.url.endsWith('.js') ? 'text/javascript' : 'text/css' }).end(readFileSync(join(OUT, req.url.slice(1))));
      } else res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // A fresh user-data-dir per run: no profile state leaks between runs.
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ss-chromium-')), {
      executablePath: CHROMIUM, headless: true, viewport: size,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
  const page = await browser.newPage();
  await page.setViewportSize(size);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', async (d) => { errors.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base);
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    page,
    async send(msg) {
      await page.evaluate((m) => (window as unknown as { __send(m: unknown): void }).__send(m), encode(msg));
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    },
    posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted),
    async shot(name, selector) {
      const path = join(ARTIFACTS, `${name}.png`);
      await (selector ? page.locator(selector).first().screenshot({ path }) : page.screenshot({ path, fullPage: true }));
    },
    async theme(kind) {
      await page.evaluate(([vars, k]) => {
        for (const [n, v] of Object.entries(vars)) document.documentElement.style.setProperty(n, v);
        document.body.className = `vscode-${k}`;
      }, [THEMES[kind], kind] as const);
      await page.evaluate(() => (window as unknown as { __shardscope: { timeline: { invalidate(): void } } }).__shardscope.timeline.invalidate());
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    },
    async close() {
      if (errors.length) throw new Error(`the panel reported errors: ${errors.join('; ')}`);
      await page.close();
    },
  };
}

export async function shutdown(): Promise<void> {
  await browser?.close();
  browser = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
}
