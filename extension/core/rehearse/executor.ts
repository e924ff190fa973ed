// Where a rehearsal's programs run. The product's runs go through the native addon in the runtime child
// process (extension/runtime's nativeExecutor(), passed in by the CLI and the editor: core never imports
// the runtime); the JS interpreter is the fallback when no addon is at hand, and the verdict says so.
import { interpret, type OpEvent, type RankPrograms, type Routing } from '../lower';

export interface ExecuteRequest {
  programs: RankPrograms;
  backend: 'cpu' | 'cuda';
  /** Buffer ids whose final contents come back, from every rank that declares them. */
  outputs: string[];
  /** Routing choices to reuse by topk routingKey (the reference's, for the sharded run). */
  routing?: Routing;
  /** Record events. */
  trace: boolean;
  signal?: AbortSignal;
  /** Every event as it happens (the first marks the start of the run). */
  onEvent?: (e: OpEvent) => void;
}

export interface ExecuteResult {
  /** Per rank, the requested buffers. */
  buffers: Map<string, Float32Array>[];
  events: OpEvent[];
  /** The routing the run used: the one given, else the choices it made. */
  routing: Routing;
}

export interface Executor {
  /** What ran the programs, for the verdict's notes. */
  name: string;
  /** Why this executor cannot run here (the rehearsal falls back to the JS interpreter and says why). */
  unavailable?: string;
  /** Runs the programs. A bad program, a failed or cancelled run rejects with a ProgramError (labelled with the op's plan entry where one is known). */
  execute(req: ExecuteRequest): Promise<ExecuteResult>;
}

/** The pure-JS interpreter, in the calling process. */
export const interpreterExecutor: Executor = {
  name: 'the JS interpreter',
  async execute(req) {
    // Times from the start of the run, as the native runtime gives them.
    const t0 = Number(process.hrtime.bigint());
    const rebase = (e: OpEvent): OpEvent => ({ ...e, startNs: e.startNs - t0, endNs: e.endNs - t0 });
    const r = interpret(req.programs, { routing: req.routing, trace: req.trace, signal: req.signal, onEvent: req.onEvent ? (e) => req.onEvent!(rebase(e)) : undefined });
    return { buffers: r.buffers, events: r.events.map(rebase), routing: r.routing };
  },
};
