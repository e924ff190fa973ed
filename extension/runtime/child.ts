// The runtime child process: the only place the native addon is loaded, so a native crash takes down
// this process and never the extension host. Talks to the parent through protocol.ts messages.
import { addonCandidates, findAddon } from './addonPath';
import { validateParentMessage, type ChildMessage, type NativeResult, type Discovery, type RankProgress } from './protocol';
import type { RankPrograms } from '../core/lower/types';

interface Addon {
  run(programs: RankPrograms, options: { timeoutMs: number; outputs: string[]; data?: Record<string, Float32Array | Int32Array> }): Promise<NativeResult>;
  cancel(): boolean;
  progress(): RankProgress[] | null;
  discover(o: { dirs: string[] }): Discovery;
}

function send(m: ChildMessage): void {
  process.send?.(m);
}

function load(): Addon | undefined {
  const p = findAddon(__dirname);
  if (!p) {
    send({ type: 'error', message: `the native addon was not found (looked in ${addonCandidates(__dirname).join(', ')}); run npm install to build it` });
    return undefined;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(p) as Addon;
  } catch (e) {
    send({ type: 'error', message: `the native addon ${p} failed to load: ${(e as Error).message}` });
    return undefined;
  }
}

const addon = load();
let timer: NodeJS.Timeout | undefined;

process.on('message', (raw: unknown) => {
  const m = validateParentMessage(raw);
  if (typeof m === 'string') return send({ type: 'error', message: `runtime child: ${m}` });
  if (!addon) return;
  if (m.type === 'cancel') { addon.cancel(); return; }
  if (m.type === 'discover') return send({ type: 'discovered', discovery: addon.discover({ dirs: m.dirs }) });
  if (m.options.backend === 'cuda') return send({ type: 'error', message: 'the CUDA backend does not execute programs yet; use the CPU backend' });
  let pending: Promise<NativeResult>;
  try {
    pending = addon.run(m.programs, m.options);
  } catch (e) {
    return send({ type: 'error', message: (e as Error).message });
  }
  timer = setInterval(() => { const p = addon.progress(); if (p) send({ type: 'progress', ranks: p }); }, 100);
  pending.then(
    (result) => { clearInterval(timer); send({ type: 'result', result }); },
    (e: Error) => { clearInterval(timer); send({ type: 'error', message: e.message }); },
  );
});
send({ type: 'ready' });
