// Where a rehearsal's programs run. The product's runs go through the native addon in the runtime child
// process (extension/runtime's nativeExecutor(), passed in by the CLI and the editor: core never imports
// the runtime); the JS interpreter is the fallback when no addon is at hand, and the verdict says so.
import { interpret, type OpEvent, type RankPrograms, type Routing, type LinkTopology } from '../lower';

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
  /** The backend's own log, a line at a time (NCCL's on GPUs), whether the run succeeds or fails. */
  onLog?: (line: string) => void;
  /** Ops finished so far over all ranks, out of `total`, as the runtime reports them (a few times a second). */
  onProgress?: (finished: number, total: number) => void;
}

export interface ExecuteResult {
  /** Per rank, the requested buffers. */
  buffers: Map<string, Float32Array>[];
  events: OpEvent[];
  /** The routing the run used: the one given, else the choices it made. */
  routing: Routing;
  /** What the verdict should also say about this run (ops the backend ran on the host, ...). */
  notes?: string[];
}

export interface GpuAvailability {
  count: number;
  /** Why no GPU can be used (the library or call that failed). */
  reason?: string;
  /** How each pair of GPUs is joined, for the cost model. */
  links?: LinkTopology;
}

export interface Executor {
  /** What ran the programs, for the verdict's notes. */
  name: string;
  /** Why this executor cannot run here (the rehearsal falls back to the JS interpreter and says why). */
  unavailable?: string;
  /** The GPUs this executor could run on, for backend 'auto' (absent: none can be used). */
  gpus?(): Promise<GpuAvailability>;
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
