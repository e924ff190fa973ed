// The rehearsal's executor on the native addon: programs run in the runtime child process (CPU rank
// threads, or the CUDA backend), weights generated there rank by rank, events streamed back as they
// happen, and only the buffers the comparison needs copied back.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ProgramError, type OpEvent, type RankPrograms, type Routing } from '../core/lower';
import type { Executor, ExecuteRequest, ExecuteResult, GpuAvailability } from '../core/rehearse/executor';
import { defaultChildPath, discoverCuda, runPrograms, startRuntimeChild, RuntimeProgramError, type RuntimeChild } from './host';
import { toLinkTopology } from './topology';
import { addonCandidates, findAddon } from './addonPath';
import type { HangWait, NativeEvent, NativeResult, RoutingWire } from './protocol';

export interface NativeExecutorOptions {
  /** The bundled child script (default: runtime-child.js beside this bundle). */
  childPath?: string;
  /** Folders searched for the CUDA libraries (backend 'cuda'). */
  libraryDirs?: string[];
  /** Longest wait in one collective (default 30 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Start the first run's child at once, ahead of the run (default true). */
  prestart?: boolean;
  /** How long that child waits unused before it ends (default 30 s). */
  idleMs?: number;
}

/** Why the native executor cannot run here, or undefined when it can. */
export function nativeUnavailable(childPath = defaultChildPath()): string | undefined {
  if (!existsSync(childPath)) return `the runtime child ${childPath} is not built (npm run build)`;
  if (!findAddon(dirname(childPath))) return `the native addon is not built (looked in ${addonCandidates(dirname(childPath)).join(', ')}; npm install builds it)`;
  return undefined;
}

/** The topk ops that route tokens, by routingKey, with rank 0's output buffers. */
function routers(programs: RankPrograms): { key: string; idx: string; weights: string }[] {
  const out: { key: string; idx: string; weights: string }[] = [];
  for (const op of programs.ranks[0]?.ops ?? [])
    if (op.op === 'topk' && typeof op.attrs?.routingKey === 'string') out.push({ key: op.attrs.routingKey, idx: op.outs[0], weights: op.outs[1] });
  return out;
}

/** The op a native message points at ("rank R, op I (name): …"), for its plan label. */
function labelOf(programs: RankPrograms, rank?: number, op?: number, message?: string) {
  if ((rank === undefined || op === undefined) && message) {
    const m = /rank (\d+), op (\d+)/.exec(message);
    if (m) [rank, op] = [Number(m[1]), Number(m[2])];
  }
  return rank !== undefined && op !== undefined && op >= 0 ? programs.ranks.find((r) => r.rank === rank)?.ops[op]?.label : undefined;
}

function toOpEvent(programs: RankPrograms, e: NativeEvent): OpEvent {
  const op = programs.ranks.find((r) => r.rank === e.rank)?.ops[e.op];
  return { rank: e.rank, index: e.op, op: op?.op ?? 'op', startNs: e.startNs, endNs: e.endNs, bytes: e.bytes, group: e.members, seq: e.seq, label: op?.label ?? {} };
}

/** "rank 2 waits in all_reduce #0 of group 1 [0, 2] (o_proj) for rank 0": one wait of a hang. */
function waitLine(programs: RankPrograms, w: HangWait): string {
  const op = programs.ranks.find((r) => r.rank === w.rank)?.ops[w.op];
  const members = w.group >= 0 ? ` [${programs.groups[w.group]?.join(', ')}]` : '';
  const entry = op?.label?.entry ? ` (${op.label.entry})` : '';
  return `rank ${w.rank} waits in ${op?.op ?? 'a collective'} #${w.seq} of group ${w.group}${members}${entry} for ranks ${w.missing.join(', ')}`;
}

function failure(programs: RankPrograms, res: NativeResult): ProgramError {
  const r = res.report;
  if (r.kind === 'cancelled') return new ProgramError('cancelled');
  let message = r.message ?? `the run failed (${r.kind})`;
  if (r.kind === 'timeout' && r.missing?.length) message += `; ranks ${r.missing.join(', ')} never reached it`;
  // Every wait of the hang, each pointing at its collective's plan entry.
  if (r.kind === 'timeout' && r.waits && r.waits.length > 1) message += `\n${r.waits.map((w) => waitLine(programs, w)).join('\n')}`;
  if (r.kind === 'crash' && r.lastOutput) message += `\n${r.lastOutput.trim().split('\n').slice(-5).join('\n')}`;
  return new ProgramError(message, labelOf(programs, r.rank, r.op, r.message));
}

export function nativeExecutor(o: NativeExecutorOptions = {}): Executor {
  const childPath = o.childPath ?? defaultChildPath();
  const unavailable = nativeUnavailable(childPath);
  // The first run's child starts now, while the caller binds and lowers the plan: the process start and
  // the addon load are most of the time to the first event. Later runs fork their own.
  let spare: RuntimeChild | undefined = !unavailable && o.prestart !== false ? startRuntimeChild({ childPath, env: o.env, idleMs: o.idleMs }) : undefined;
  let gpus: Promise<GpuAvailability> | undefined;
  return {
    name: 'the native addon',
    unavailable,
    gpus() {
      gpus ??= discoverCuda(o.libraryDirs ?? [], { childPath, env: o.env }).then((d) => ({
        count: d.cuda ? d.devices : 0,
        reason: d.cuda ? undefined : d.reason,
        links: d.topology ? toLinkTopology(d.topology) : undefined,
      }));
      return gpus;
    },
    async execute(req: ExecuteRequest): Promise<ExecuteResult> {
      const child = spare;
      spare = undefined;
      const { programs } = req;
      const declared = programs.buffers.map((b) => `${b.rank}/${b.id}`);
      const wanted = new Set(req.outputs);
      const routes = req.routing ? [] : routers(programs);
      for (const r of routes) wanted.add(r.idx).add(r.weights);
      const outputs = declared.filter((k) => wanted.has(k.slice(k.indexOf('/') + 1)));
      let routing: Record<string, RoutingWire> | undefined;
      if (req.routing) routing = Object.fromEntries([...req.routing].map(([k, v]) => [k, { idx: v.idx, weights: v.weights }]));
      let res: NativeResult;
      try {
        res = await runPrograms(programs, {
          backend: req.backend,
          outputs,
          trace: req.trace,
          routing,
          signal: req.signal,
          childPath,
          libraryDirs: o.libraryDirs,
          timeoutMs: o.timeoutMs,
          env: o.env,
          child,
          onEvent: req.onEvent ? (e) => req.onEvent!(toOpEvent(programs, e)) : undefined,
          onProgress: req.onProgress ? (ranks) => req.onProgress!(ranks.reduce((a, r) => a + r.finished, 0), ranks.reduce((a, r) => a + r.ops, 0)) : undefined,
        });
      } catch (e) {
        if (req.signal?.aborted) throw new ProgramError('cancelled');
        const message = (e as Error).message;
        throw new ProgramError(message, e instanceof RuntimeProgramError ? labelOf(programs, undefined, undefined, message) : undefined);
      }
      // NCCL's log (kept by the CUDA backend): most useful when the run failed or hung.
      if (res.ncclLog && req.onLog) for (const line of res.ncclLog.split('\n')) if (line.trim()) req.onLog(`nccl: ${line}`);
      if (!res.report.ok) throw failure(programs, res);
      const buffers = Array.from({ length: programs.worldSize }, () => new Map<string, Float32Array>());
      for (const [k, v] of Object.entries(res.outputs)) {
        const slash = k.indexOf('/');
        buffers[Number(k.slice(0, slash))].set(k.slice(slash + 1), v instanceof Float32Array ? v : Float32Array.from(v));
      }
      const made: Routing = req.routing ?? new Map();
      for (const r of routes) {
        const idx = buffers[0].get(r.idx);
        const weights = buffers[0].get(r.weights);
        if (idx && weights) made.set(r.key, { idx, weights });
      }
      // The CUDA backend runs a few ops on the host between GPU ops: their times are CPU times.
      const notes = res.hostOps?.length ? [`on the GPUs, ${res.hostOps.join(', ')} ran on the host between GPU ops (their times are CPU times)`] : [];
      return { buffers, events: res.events.map((e) => toOpEvent(programs, e)), routing: made, notes };
    },
  };
}
