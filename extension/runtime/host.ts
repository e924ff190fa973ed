// The parent side: forks the runtime child, sends one run, relays progress, and turns every way a run
// can end (result, bad program, collective timeout, cancel, crash, a child that stopped moving) into an answer.
import { fork, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RankPrograms } from '../core/lower/types';
import { validateChildMessage, type ChildMessage, type Discovery, type NativeEvent, type NativeResult, type RankProgress, type RuntimeBackend, type RunOptionsWire } from './protocol';

export interface RunProgramsOptions {
  backend?: RuntimeBackend;
  /** Longest wait in one collective while nothing it waits on moves (no op finishes, no running op reports
   *  work) before the run ends with a report of every wait involved (default 30 s). A long op never ends a run. */
  timeoutMs?: number;
  /** How long past timeoutMs the child may show no progress at all (no op started or finished, no work
   *  reported) before it is killed (default 10 s). */
  killGraceMs?: number;
  outputs?: string[];
  data?: RunOptionsWire['data'];
  onProgress?(ranks: RankProgress[]): void;
  /** Record events (default true). */
  trace?: boolean;
  /** Every event as the child streams it, per rank in op order; each event once, the rest at the end. */
  onEvent?(e: NativeEvent): void;
  /** Routing choices to reuse, by routingKey. */
  routing?: RunOptionsWire['routing'];
  /** Folders searched for the CUDA libraries (backend 'cuda'). */
  libraryDirs?: string[];
  signal?: AbortSignal;
  /** The bundled child script (default: runtime-child.js beside this bundle). */
  childPath?: string;
  env?: NodeJS.ProcessEnv;
  /** A child started ahead with startRuntimeChild() (used once; a fresh one is forked when it has died). */
  child?: RuntimeChild;
}

/** A program the addon refused before doing any work; the message names the op and the rank. */
export class RuntimeProgramError extends Error {}

/** The runtime child of this installation: beside this bundle, never looked for in the current folder
 *  (a folder being checked may hold a dist/ of its own). */
export function defaultChildPath(): string {
  return join(__dirname, 'runtime-child.js');
}

/** How the child is started: this Node binary (absolute), the child script, and the system's temporary
 *  folder as working directory, so nothing in the folder the user works in is where it starts. */
export function childForkSpec(opts: { childPath?: string; env?: NodeJS.ProcessEnv }) {
  return {
    modulePath: opts.childPath ? resolve(opts.childPath) : defaultChildPath(),
    options: {
      execPath: process.execPath,
      cwd: tmpdir(),
      // CUDA_VISIBLE_DEVICES and NCCL_* pass through with the rest of the environment.
      env: opts.env ?? process.env,
      serialization: 'advanced' as const,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[],
    },
  };
}

const LAST_OUTPUT_CHARS = 4000;
/** Extra time the child may show no progress beyond the collective timeout before it is killed (the
 * addon's watchdog answers first for a hang in collectives; this is for a child stuck elsewhere). */
const KILL_GRACE_MS = 10000;

/** A forked runtime child, ready (or getting ready) to take one run. */
export interface RuntimeChild {
  child: ChildProcess;
  output(): string;
  /** Whether its 'ready' message has come (the addon loaded). */
  ready(): boolean;
}

/**
 * Forks a runtime child ahead of its run, so that the process start and the addon load happen while the
 * caller still prepares the programs; pass it as `child` to runPrograms. Until then it does not keep the
 * parent alive, and it ends by itself after `idleMs` (30 s) unused.
 */
export function startRuntimeChild(opts: { childPath?: string; env?: NodeJS.ProcessEnv; idleMs?: number } = {}): RuntimeChild {
  const rc = startChild(opts);
  const handles = [rc.child, rc.child.channel, rc.child.stdout, rc.child.stderr] as ({ unref?(): void } | null | undefined)[];
  for (const h of handles) h?.unref?.();
  const idle = setTimeout(() => { if (!adopted.has(rc.child)) rc.child.kill(); }, opts.idleMs ?? 30000);
  idle.unref();
  return rc;
}

const adopted = new WeakSet<ChildProcess>();

function adopt(rc: RuntimeChild): void {
  adopted.add(rc.child);
  const handles = [rc.child, rc.child.channel, rc.child.stdout, rc.child.stderr] as ({ ref?(): void } | null | undefined)[];
  for (const h of handles) h?.ref?.();
}

function startChild(opts: { childPath?: string; env?: NodeJS.ProcessEnv }): RuntimeChild {
  let tail = '';
  let ready = false;
  const spec = childForkSpec(opts);
  const child = fork(spec.modulePath, [], spec.options);
  const keep = (b: Buffer) => { tail = (tail + b.toString()).slice(-LAST_OUTPUT_CHARS); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('message', (m: unknown) => { if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') ready = true; });
  return { child, output: () => tail, ready: () => ready };
}

export function runPrograms(programs: RankPrograms, opts: RunProgramsOptions = {}): Promise<NativeResult> {
  const timeoutMs = opts.timeoutMs ?? 30000;
  const silentMs = timeoutMs + (opts.killGraceMs ?? KILL_GRACE_MS);
  const wire: RunOptionsWire = { backend: opts.backend ?? 'cpu', timeoutMs, outputs: opts.outputs ?? [], data: opts.data };
  if (opts.trace === false) wire.trace = false;
  if (opts.routing) wire.routing = opts.routing;
  if (opts.libraryDirs) wire.libraryDirs = opts.libraryDirs;
  // Events already handed to onEvent, per rank (streamed events are per-rank prefixes in op order).
  const streamed = new Map<number, number>();
  const deliver = (events: NativeEvent[], fromResult: boolean) => {
    if (!opts.onEvent) return;
    const seen = new Map<number, number>();
    for (const e of events) {
      const k = seen.get(e.rank) ?? 0;
      seen.set(e.rank, k + 1);
      if (fromResult && k < (streamed.get(e.rank) ?? 0)) continue;
      if (!fromResult) streamed.set(e.rank, (streamed.get(e.rank) ?? 0) + 1);
      opts.onEvent(e);
    }
  };
  return new Promise((resolve, reject) => {
    const spare = opts.child && opts.child.child.exitCode === null && opts.child.child.signalCode === null && !adopted.has(opts.child.child) ? opts.child : undefined;
    if (spare) adopt(spare);
    const { child, output } = spare ?? startChild(opts);
    let done = false;
    let lastProgress: RankProgress[] = [];
    let cancelled = false;
    let killedSilent = false;
    let silence: NodeJS.Timeout | undefined;
    const armSilence = () => {
      clearTimeout(silence);
      silence = setTimeout(() => { killedSilent = true; child.kill('SIGKILL'); }, silentMs);
    };
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(silence);
      opts.signal?.removeEventListener('abort', onAbort);
      f();
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    const ranksFromProgress = () => lastProgress.map((p) => ({ rank: p.rank, ops: p.ops, lastStarted: p.started - 1, lastFinished: p.finished - 1 }));
    const onAbort = () => {
      cancelled = true;
      child.send({ type: 'cancel' });
      setTimeout(() => { if (!done) child.kill('SIGKILL'); }, 2000).unref();
    };
    if (opts.signal?.aborted) {
      child.kill();
      return reject(new Error('the run was cancelled before it started'));
    }
    opts.signal?.addEventListener('abort', onAbort);

    child.on('message', (raw: unknown) => {
      const m: ChildMessage | string = validateChildMessage(raw);
      if (typeof m === 'string') return finish(() => reject(new Error(`runtime child sent a malformed message: ${m}`)));
      if (m.type === 'ready') start();
      else if (m.type === 'progress') {
        const moved = JSON.stringify(m.ranks) !== JSON.stringify(lastProgress);
        lastProgress = m.ranks;
        if (moved) armSilence();
        opts.onProgress?.(m.ranks);
      } else if (m.type === 'events') {
        armSilence();
        deliver(m.events, false);
      } else if (m.type === 'result') finish(() => { deliver(m.result.events, true); resolve(m.result); });
      else if (m.type === 'error') finish(() => reject(new RuntimeProgramError(m.message)));
    });
    child.on('error', (e) => finish(() => reject(new Error(`runtime child: ${e.message}`))));
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      // send() serialises here, inside the message handler: a program that cannot be serialised must
      // reject this run, not throw into the emitter and leave the promise unsettled.
      try {
        child.send({ type: 'run', programs, options: wire }, (err) => { if (err) finish(() => reject(new RuntimeProgramError(`the programs could not be sent to the runtime: ${err.message}`))); });
      } catch (e) {
        return finish(() => reject(new RuntimeProgramError(`the programs cannot be serialised for the runtime: ${(e as Error).message}`)));
      }
      armSilence();
    };
    // A child started ahead may have said 'ready' already.
    if (spare?.ready()) start();
    child.on('exit', (code, signal) => {
      finish(() => {
        const kind = killedSilent ? 'killed' : cancelled ? 'cancelled' : 'crash';
        const message = killedSilent
          ? `the runtime made no progress for ${silentMs} ms (no op started or finished, no running op reported work) and was killed`
          : cancelled ? 'the run was cancelled' : `the runtime process ended with ${signal ?? `exit code ${code}`}`;
        resolve({
          events: [], outputs: {},
          report: { ok: false, kind, message, signal: signal ?? undefined, exitCode: code ?? undefined, lastOutput: output(), ranks: ranksFromProgress() },
        });
      });
    });
  });
}

/** Asks a short-lived child which CUDA libraries load and whether a GPU answers. */
export function discoverCuda(dirs: string[], opts: { childPath?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Discovery> {
  return new Promise((resolve, reject) => {
    const { child, output } = startChild(opts);
    let done = false;
    child.on('message', (raw: unknown) => {
      const m = validateChildMessage(raw);
      if (typeof m === 'string') return;
      if (m.type === 'ready') child.send({ type: 'discover', dirs });
      else if (m.type === 'discovered') { done = true; resolve(m.discovery); child.kill(); }
      else if (m.type === 'error') { done = true; reject(new Error(m.message)); child.kill(); }
    });
    child.on('exit', (code, signal) => { if (!done) reject(new Error(`discovery process ended with ${signal ?? code}: ${output()}`)); });
  });
}
