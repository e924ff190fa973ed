// CommDebugMode's JSON dump (torch.distributed.tensor.debug, `generate_json_dump`): a module tree rooted at
// "Global" whose nodes carry `module_type`, `parameters` as [name, placements] pairs, and the collectives
// issued in forward and backward as [op, count] pairs. CommDebugMode counts a collective for every module
// on the stack when it runs, so a module's counts include its submodules' and the root holds the totals.
// Flattened here to one row per module, depth first.
import type { CommDebugModule } from './types';
import { canonicalOp } from './ops';
import { asText, asNumber } from '../util/coerce';

type Obj = Record<string, unknown>;

/** Whether a parsed JSON value looks like a CommDebugMode dump (a node with `fqn` and children or collectives). */
export function isCommDebugDump(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Obj).fqn === 'string';
}

/** `c10d_functional.all_gather_into_tensor` (an op packet as PyTorch prints it) → `all_gather`. */
export function commDebugOp(name: string): string {
  return canonicalOp(name.replace(/^_?c10d_functional\.|^aten\.|\.default$/g, ''));
}

/**
 * Counts by canonical op. PyTorch writes a list of [op, count] pairs; a list of names (one each), of
 * {name, count} objects, or an {op: count} object are read too.
 */
function counts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (name: unknown, n: unknown): void => {
    const k = asNumber(n);
    if (typeof name !== 'string' || !Number.isFinite(k)) return;
    const op = commDebugOp(name);
    out[op] = (out[op] ?? 0) + k;
  };
  if (Array.isArray(v)) {
    for (const x of v) {
      if (typeof x === 'string') add(x, 1);
      else if (Array.isArray(x)) add(x[0], x[1]);
      else if (x && typeof x === 'object') add((x as Obj).name ?? (x as Obj).op, (x as Obj).count ?? 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, n] of Object.entries(v as Obj)) add(k, n);
  }
  return out;
}

/** `class 'torch.nn.modules.linear.Linear'` → `Linear`. */
function moduleType(v: unknown): string | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const m = /^class '(.*)'$/.exec(v);
  return (m ? m[1] : v).split('.').pop();
}

function parameters(v: unknown): { name: string; placements: string }[] | undefined {
  if (!Array.isArray(v) || !v.length) return undefined;
  const out: { name: string; placements: string }[] = [];
  for (const x of v) if (Array.isArray(x) && typeof x[0] === 'string') out.push({ name: x[0], placements: asText(x[1] ?? '') });
  return out.length ? out : undefined;
}

/**
 * Every module of the dump, depth first, with its counts (including its submodules', as CommDebugMode
 * counts). Walked with an explicit stack: a deep tree cannot exhaust the call stack.
 */
export function commDebugModules(root: unknown): CommDebugModule[] {
  const out: CommDebugModule[] = [];
  const todo: { node: Obj; depth: number }[] = [{ node: root as Obj, depth: 0 }];
  while (todo.length) {
    const { node, depth } = todo.pop()!;
    const m: CommDebugModule = {
      fqn: asText(node.fqn),
      depth,
      forward: counts(node.collectives_forward),
      backward: counts(node.collectives_backward),
    };
    const type = moduleType(node.module_type);
    if (type) m.moduleType = type;
    const params = parameters(node.parameters);
    if (params) m.parameters = params;
    out.push(m);
    const kids = Array.isArray(node.children) ? node.children.filter((c): c is Obj => !!c && typeof c === 'object') : [];
    for (let i = kids.length - 1; i >= 0; i--) todo.push({ node: kids[i], depth: depth + 1 }); // first child on top: depth-first order
  }
  return out;
}

/** Collectives per op over the whole dump, forward plus backward: the roots' counts, which include every module below them. */
export function commDebugTotals(mods: CommDebugModule[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of mods) {
    if (m.depth !== 0) continue;
    for (const pass of [m.forward, m.backward]) for (const [op, n] of Object.entries(pass)) out[op] = (out[op] ?? 0) + n;
  }
  return out;
}

/** A module's collectives as the engine predicts them, beside CommDebugMode's, both including submodules. */
export interface CommDebugBeside {
  fqn: string;
  ours: { forward: Record<string, number>; backward: Record<string, number> };
  /** Whether the two agree on every op and pass. */
  same: boolean;
}

/**
 * The module path a CommDebugMode fqn names in the model: the root ("Global") and the top module (named
 * by its class, `LlamaForCausalLM`) are the whole model; below them the fqn is the class name followed by
 * the attribute path (`LlamaForCausalLM.model.layers.0` → `model.layers.0`).
 */
export function commDebugModulePath(m: CommDebugModule): string {
  if (m.depth === 0) return '';
  const dot = m.fqn.indexOf('.');
  return dot < 0 ? '' : m.fqn.slice(dot + 1);
}

/** The engine's predicted collectives per CommDebugMode module, counted as CommDebugMode counts (submodules included). */
export function commDebugBeside(mods: CommDebugModule[], predicted: { module: string; pass: string; op: string; count: number }[]): CommDebugBeside[] {
  return mods.map((m) => {
    const path = commDebugModulePath(m);
    const ours = { forward: {} as Record<string, number>, backward: {} as Record<string, number> };
    for (const c of predicted) {
      if (c.pass !== 'forward' && c.pass !== 'backward') continue;
      if (path && c.module !== path && !c.module.startsWith(`${path}.`)) continue;
      const pass = ours[c.pass];
      pass[c.op] = (pass[c.op] ?? 0) + c.count;
    }
    const eq = (a: Record<string, number>, b: Record<string, number>): boolean =>
      Object.keys({ ...a, ...b }).every((k) => (a[k] ?? 0) === (b[k] ?? 0));
    return { fqn: m.fqn, ours, same: eq(ours.forward, m.forward) && eq(ours.backward, m.backward) };
  });
}
