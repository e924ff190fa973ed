// CommDebugMode's JSON dump (torch.distributed.tensor.debug): a module tree whose nodes carry the
// collectives each module issued in forward and backward. Flattened to counts per module.
import type { CommDebugModule } from './types';
import { canonicalOp } from './ops';

type Obj = Record<string, unknown>;

/** Whether a parsed JSON value looks like a CommDebugMode dump (a node with `fqn` and children or collectives). */
export function isCommDebugDump(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Obj).fqn === 'string';
}

function counts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (name: string, n: number): void => {
    const op = canonicalOp(name.replace(/^c10d_functional\.|^_c10d_functional\.|\.default$/g, ''));
    out[op] = (out[op] ?? 0) + n;
  };
  if (Array.isArray(v)) {
    for (const x of v) {
      if (typeof x === 'string') add(x, 1);
      else if (x && typeof x === 'object') add(String((x as Obj).name ?? (x as Obj).op ?? 'unknown'), Number((x as Obj).count ?? 1));
    }
  } else if (v && typeof v === 'object') {
    for (const [k, n] of Object.entries(v as Obj)) add(k, Number(n) || 0);
  }
  return out;
}

/** Every module of the dump, depth first, with its own collective counts. */
export function commDebugModules(root: unknown): CommDebugModule[] {
  const out: CommDebugModule[] = [];
  const walk = (node: Obj, depth: number): void => {
    out.push({
      fqn: String(node.fqn),
      depth,
      forward: counts(node.collectives_forward),
      backward: counts(node.collectives_backward),
    });
    if (Array.isArray(node.children)) for (const c of node.children) if (c && typeof c === 'object') walk(c as Obj, depth + 1);
  };
  walk(root as Obj, 0);
  return out;
}
