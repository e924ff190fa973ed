// Where the Hugging Face hub keeps downloaded repositories. Its own file, free of the rest of the engine, so
// the extension's trust rules (loaded at activation) can use it without loading the engine.
import { join } from 'node:path';

/** The hub caches a repo id may resolve into (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). */
export function hfCacheRoots(env: Record<string, string | undefined> = process.env): string[] {
  return [env.HF_HUB_CACHE, env.HF_HOME && join(env.HF_HOME, 'hub'), env.HOME && join(env.HOME, '.cache/huggingface/hub')].filter((x): x is string => !!x);
}
