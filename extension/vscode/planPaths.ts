// Paths a plan names are read only inside the workspace or the Hugging Face cache, unless the user allows
// one: a plan from anywhere could otherwise make the editor read any file on the machine (or a device that
// never ends). Paths are compared after symbolic links are resolved, so a link in the workspace that
// points out of it counts as outside. Free of the editor API, so its rules are tested directly.
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';

import { hfCacheRoots } from '../core/models/hf-cache';

export { hfCacheRoots };

/** The path with every link resolved, or undefined when nothing is there. */
export function realPath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** Whether `path` is `root` or lies under it (both taken as they are: resolve links first). */
export function isInside(path: string, root: string): boolean {
  const r = relative(root, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Where the answers are kept: the workspace's own state, so each workspace remembers its answers. */
export interface AnswerStore {
  get(key: string): Record<string, boolean> | undefined;
  update(key: string, value: Record<string, boolean>): PromiseLike<void>;
}

export const ANSWERS_KEY = 'shardscope.planPathAnswers';

export interface PlanPathDeps {
  /** The workspace folders. */
  folders(): string[];
  store: AnswerStore;
  /** Asks the user whether the plan may read `path`; true: allow, false: refuse, undefined: dismissed. */
  ask(path: string, planFile: string): PromiseLike<boolean | undefined>;
  /** Called after an answer was stored, so plans are checked again. */
  answered(): void;
  env?: NodeJS.ProcessEnv;
}

export class PlanPathConsent {
  /** Paths asked about in this session: each is asked once, even when the dialog was dismissed. */
  private readonly asked = new Set<string>();

  constructor(private readonly deps: PlanPathDeps) {}

  /** The folders a plan's paths may be in: the workspace folders (or, for a plan outside all of them, the
   *  plan's own folder) and the Hugging Face caches. */
  roots(planFile: string): string[] {
    const folders = this.deps.folders().map((f) => realPath(f) ?? f);
    const plan = realPath(planFile) ?? planFile;
    const own = folders.some((f) => isInside(plan, f)) ? folders : [dirname(plan)];
    return [...own, ...hfCacheRoots(this.deps.env).map((r) => realPath(r) ?? r)];
  }

  /** Whether the plan may read `path` now; when not, and `ask` is set, asks the user once (the answer comes later). */
  allows(path: string, planFile: string, ask: boolean): boolean {
    const real = realPath(path);
    // Nothing there: nothing is read (the engine reports the reference as not found).
    if (real === undefined) return true;
    if (this.roots(planFile).some((r) => isInside(real, r))) return true;
    const answer = this.deps.store.get(ANSWERS_KEY)?.[real];
    if (answer !== undefined) return answer;
    if (ask && !this.asked.has(real)) {
      this.asked.add(real);
      void Promise.resolve(this.deps.ask(real, planFile)).then(async (yes) => {
        if (yes === undefined) return;
        await this.deps.store.update(ANSWERS_KEY, { ...this.deps.store.get(ANSWERS_KEY), [real]: yes });
        this.deps.answered();
      });
    }
    return false;
  }
}
