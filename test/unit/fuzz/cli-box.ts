// Runs the CLI's main() in a worker thread with a 1 GiB heap and a 10 s watchdog, so that a hang or a
// runaway allocation found by the fuzzer fails its case instead of killing the test runner. The worker
// is this same bundle (each test file is bundled whole), told apart by isMainThread.
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { main } from '../../../extension/cli/main';

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
  ms: number;
  /** main() rejected (an uncaught exception), or the worker died: out of memory, a hang past the limit. */
  crash?: string;
}

interface Request { id: number; argv: string[] }

/** In the worker: answer requests until the parent ends it. */
export function serveCli(): void {
  parentPort!.on('message', async (req: Request) => {
    const out: string[] = [];
    const err: string[] = [];
    const t0 = performance.now();
    let code = -1;
    let crash: string | undefined;
    try {
      code = await main(req.argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    } catch (e) {
      crash = `main() threw: ${(e as Error)?.stack ?? String(e)}`;
    }
    parentPort!.postMessage({ id: req.id, code, out, err, ms: performance.now() - t0, crash });
  });
}

export const HEAP_LIMIT_MB = 1024;
export const CASE_LIMIT_MS = 10_000;

/** In the parent: one worker, restarted after it is killed. */
export class CliBox {
  private worker?: Worker;
  private next = 0;

  constructor(private readonly file: string) {}

  private start(): Worker {
    if (!this.worker) {
      this.worker = new Worker(this.file, { resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB } });
      this.worker.unref();
    }
    return this.worker;
  }

  run(argv: string[]): Promise<CliResult> {
    const w = this.start();
    const id = this.next++;
    return new Promise((resolve) => {
      const t0 = performance.now();
      const done = (r: CliResult) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        resolve(r);
      };
      const dead = (why: string) => {
        this.worker = undefined;
        void w.terminate();
        done({ code: -1, out: [], err: [], ms: performance.now() - t0, crash: why });
      };
      const onMessage = (m: CliResult & { id: number }) => { if (m.id === id) done(m); };
      const onError = (e: Error) => dead(`the worker died: ${e.message}`);
      const onExit = (c: number) => dead(`the worker exited with ${c}`);
      const timer = setTimeout(() => dead(`no answer in ${CASE_LIMIT_MS} ms (a hang)`), CASE_LIMIT_MS);
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ id, argv } satisfies Request);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

export { isMainThread };
