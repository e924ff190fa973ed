// The runtime child process: the only place the native addon is loaded, so a native crash takes down
// this process and never the extension host. Talks to the parent through protocol.ts messages.
import '../node-host/install';
import { addonCandidates, findAddon } from './addonPath';
import { validateParentMessage, type ChildMessage, type NativeResult, type NativeEvent, type Discovery, type RankProgress, type RunOptionsWire } from './protocol';
import type { RankPrograms } from '../core/lower/types';

interface Addon {
  run(programs: RankPrograms, options: Omit<RunOptionsWire, 'backend'> & { backend?: RunOptionsWire['backend'] }): Promise<NativeResult>;
  cancel(): boolean;
  progress(): RankProgress[] | null;
  /** Events finished since the last call (absent from addons built before streaming). */
  drainEvents?(): NativeEvent[] | null;
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
  if (m.options.backend === 'cuda') {
    // Discovery says which library or call is missing; where everything loads, the backend itself answers.
    const d = addon.discover({ dirs: m.options.libraryDirs ?? [] });
    if (!d.cuda) return send({ type: 'error', message: `the CUDA backend cannot run here: ${d.reason ?? 'no GPU found'}` });
  }
  let pending: Promise<NativeResult>;
  try {
    pending = addon.run(m.programs, m.options);
  } catch (e) {
    return send({ type: 'error', message: (e as Error).message });
  }
  // Finished events go to the parent as they happen: the first within 10 ms, then in batches every 50 ms
  // (each wake-up of this thread takes a core from the rank threads; ranks often outnumber cores).
  let sentAny = false;
  const drain = () => {
    const events = addon.drainEvents?.();
    if (events && events.length) { sentAny = true; send({ type: 'events', events }); }
  };
  let lastProgress = Date.now();
  const poll = () => {
    drain();
    if (Date.now() - lastProgress >= 100) {
      lastProgress = Date.now();
      const p = addon.progress();
      if (p) send({ type: 'progress', ranks: p });
    }
    timer = setTimeout(poll, sentAny ? 50 : 10);
  };
  if (m.options.trace !== false && addon.drainEvents) poll();
  else timer = setInterval(() => { const p = addon.progress(); if (p) send({ type: 'progress', ranks: p }); }, 100);
  const stop = () => { clearTimeout(timer); clearInterval(timer); };
  pending.then(
    (result) => { stop(); send({ type: 'result', result }); },
    (e: Error) => { stop(); send({ type: 'error', message: e.message }); },
  );
});
send({ type: 'ready' });
