// The host side of the panel with no editor API: the HTML (strict CSP with a nonce, local resources
// only) and the handling of the panel's messages. The VS Code adapter supplies URIs and callbacks.
import { validateWebviewMessage, type EntryRef } from './panel-protocol';
import type { Trace } from './types';

export interface PanelHtmlOptions {
  /** A fresh random string per load. */
  nonce: string;
  /** The webview's cspSource (e.g. `vscode-webview://...` or `https://*.vscode-cdn.net`). */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title?: string;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function panelHtml(o: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(o.styleUri)}">
<title>${esc(o.title ?? 'Shardscope')}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${esc(o.nonce)}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}

export interface PanelHostHandlers {
  /** The panel is up: send it what it should show. */
  ready(): void;
  /** Reveal a plan entry in the editor. */
  reveal(entry: EntryRef): void;
  /** Save the summary CSV the panel produced. */
  exportCsv(csv: string): void;
  /** A message that failed validation. */
  invalid?(error: string): void;
}

/** Validates a message from the panel and calls the matching handler. */
export function handlePanelMessage(raw: unknown, h: PanelHostHandlers): void {
  const v = validateWebviewMessage(raw);
  if (!v.ok) {
    h.invalid?.(v.error);
    return;
  }
  const m = v.msg;
  if (m.type === 'ready') h.ready();
  else if (m.type === 'reveal') h.reveal(m.entry);
  else h.exportCsv(m.csv);
}

/**
 * The plan file a rehearsal trace came from, as its events' plan entries name it (the one most name): the
 * panel rebuilds the Shapes tab from it when the trace is opened on its own. Other traces name none.
 */
export function planFileOfTrace(trace: Pick<Trace, 'meta' | 'events'>): string | undefined {
  if (trace.meta.origin !== 'shardscope') return undefined;
  const count = new Map<string, number>();
  for (const e of trace.events) if (e.entry?.file) count.set(e.entry.file, (count.get(e.entry.file) ?? 0) + 1);
  let best: string | undefined, most = 0;
  for (const [f, n] of count) if (n > most) { best = f; most = n; }
  return best;
}
