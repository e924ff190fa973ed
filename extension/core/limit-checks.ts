// The checks of LIMITS that several readers share: a mesh, a model's configuration values, a
// rehearsal's size. Each returns what is wrong (naming the limit) or throws a located InputError, so
// the caller decides whether it becomes a diagnostic on the exact value or the CLI's one line.
import { InputError } from './input-error';
import { LIMITS } from './limits';
import { lineColumn } from './util/json';

/** What is wrong with a mesh's dims, or undefined: too many dims, a dim or the product of all over the limit. */
export function meshLimitProblem(dims: { name: string; size: number }[]): string | undefined {
  if (dims.length > LIMITS.meshDims) return `a mesh of ${dims.length} dims, over the limit of ${LIMITS.meshDims}`;
  let world = 1;
  for (const d of dims) {
    world *= d.size;
    if (d.size > LIMITS.worldSize || world > LIMITS.worldSize) {
      return `a mesh of ${dims.map((x) => `${x.name}=${x.size}`).join(',')} is ${world > LIMITS.worldSize ? 'over' : 'at'} ${LIMITS.worldSize} ranks, the limit for a mesh`;
    }
  }
  return undefined;
}

/** Expert parallelism names each mesh dim at most once. */
export function expertDimsProblem(names: string[]): string | undefined {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) return `expert parallelism names mesh dim '${n}' twice (each dim at most once)`;
    seen.add(n);
  }
  if (names.length > LIMITS.meshDims) return `expert parallelism names ${names.length} dims, over the limit of ${LIMITS.meshDims}`;
  return undefined;
}

const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers'];
const EXPERT_KEYS = ['num_local_experts', 'num_experts', 'n_routed_experts'];
const DIM_KEYS = ['hidden_size', 'intermediate_size', 'moe_intermediate_size', 'vocab_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'n_shared_experts', 'num_experts_per_tok', 'kv_lora_rank', 'q_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim'];

/** The configuration values over a limit: layers, experts, any tensor dimension (a composite's text_config and friends too). */
export function configLimitProblems(raw: Record<string, unknown>): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  const check = (values: Record<string, unknown>, prefix: string): void => {
    for (const [key, v] of Object.entries(values)) {
      if (typeof v !== 'number') continue;
      const limit = LAYER_KEYS.includes(key) ? LIMITS.layers : EXPERT_KEYS.includes(key) ? LIMITS.experts : DIM_KEYS.includes(key) ? LIMITS.tensorDim : undefined;
      const what = LAYER_KEYS.includes(key) ? 'layers' : EXPERT_KEYS.includes(key) ? 'experts' : 'a tensor dimension';
      if (limit !== undefined && v > limit) out.push({ path: prefix ? [prefix.slice(0, -1), key] : [key], message: `${prefix}${key} is ${v}, over the limit of ${limit} for ${what}` });
    }
  };
  check(raw, '');
  for (const [k, v] of Object.entries(raw)) if (v && typeof v === 'object' && !Array.isArray(v)) check(v as Record<string, unknown>, `${k}.`);
  return out;
}

/**
 * Refuses configuration values over the limits, located at the key in `text` when the values came from
 * it (its first occurrence as a JSON key), else at the file's start.
 */
export function checkConfigLimits(raw: Record<string, unknown>, where: string, text?: string): void {
  const [p] = configLimitProblems(raw);
  if (!p) return;
  const at = text?.indexOf(`"${p.path[p.path.length - 1]}"`) ?? -1;
  const { line, column } = at >= 0 && text ? lineColumn(text, at) : { line: 1, column: 1 };
  throw new InputError(where, line, column, p.message);
}

/** A rehearsal's tokens and ranks. */
export function rehearsalLimitProblem(tokens: number | undefined, ranks: number | undefined): string | undefined {
  if (tokens !== undefined && !(tokens <= LIMITS.tokens)) return `${tokens} tokens, over the limit of ${LIMITS.tokens} for a rehearsal`;
  if (ranks !== undefined && !(ranks <= LIMITS.rehearsalRanks)) return `${ranks} ranks, over the limit of ${LIMITS.rehearsalRanks} for a rehearsal`;
  return undefined;
}
