// Placements as PyTorch prints them and users write them: parse, format, normalise.
import type { Placement, ReduceOp } from './types';

export class PlacementSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

const REDUCE_OPS: ReduceOp[] = ['sum', 'avg', 'min', 'max', 'product', 'band', 'bor', 'bxor'];
const EXPECTED = 'expected Shard(d), S(d), Replicate(), R, Partial(op), P(op), or _StridedShard(d, split_factor=k)';

/** Parse one placement; `column` is where it starts in the original text (1-based, for errors). */
export function parsePlacement(text: string, column = 1): Placement {
  const t = text.trim();
  const lead = column + (text.length - text.trimStart().length);
  let m: RegExpMatchArray | null;
  if (/^(R|Replicate\(\s*\))$/.test(t)) return { kind: 'replicate' };
  if ((m = t.match(/^(?:Shard|S)\(\s*(?:dim\s*=\s*)?(-?\d+)\s*\)$/))) return { kind: 'shard', dim: Number(m[1]) };
  if ((m = t.match(/^(?:Partial|P)(?:\(\s*(?:reduce_op\s*=\s*)?['"]?(\w*)['"]?\s*\))?$/))) {
    const op = (m[1] || 'sum') as ReduceOp;
    if (!REDUCE_OPS.includes(op)) throw new PlacementSyntaxError(`unknown reduce op '${m[1]}' at column ${lead}: expected one of ${REDUCE_OPS.join(', ')}`, lead);
    return { kind: 'partial', op };
  }
  if ((m = t.match(/^(?:_StridedShard|_S)\(\s*(?:dim\s*=\s*)?(-?\d+)\s*,\s*(?:(?:sf|split_factor)\s*=\s*)?(\d+)\s*\)$/))) {
    const splitFactor = Number(m[2]);
    if (splitFactor < 1) throw new PlacementSyntaxError(`split_factor must be ≥ 1 at column ${lead}`, lead);
    return { kind: 'strided_shard', dim: Number(m[1]), splitFactor };
  }
  throw new PlacementSyntaxError(`unknown placement '${t}' at column ${lead}: ${EXPECTED}`, lead);
}

/** Parse a list: "Shard(0),Shard(0)", "[S(0), R]", "(Shard(dim=0), Replicate())". Commas inside parentheses are kept. */
export function parsePlacements(text: string): Placement[] {
  let body = text;
  let offset = 1;
  const trimmed = text.trim();
  if (/^[[(]/.test(trimmed) && /[\])]$/.test(trimmed) && !/^\(\s*\)$/.test(trimmed) && balancedOuter(trimmed)) {
    offset += text.indexOf(trimmed) + 1;
    body = trimmed.slice(1, -1);
  }
  const out: Placement[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    const ch = body[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if ((ch === ',' && depth === 0) || i === body.length) {
      const piece = body.slice(start, i);
      if (piece.trim().length === 0) {
        if (i === body.length && out.length > 0) break; // trailing comma
        throw new PlacementSyntaxError(`empty placement at column ${offset + start}: ${EXPECTED}`, offset + start);
      }
      out.push(parsePlacement(piece, offset + start));
      start = i + 1;
    }
  }
  return out;
}

/** True when the outer brackets of `t` enclose the whole text (so "(S(0)), (R)" is not unwrapped). */
function balancedOuter(t: string): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(' || t[i] === '[') depth++;
    else if (t[i] === ')' || t[i] === ']') depth--;
    if (depth === 0 && i < t.length - 1) return false;
  }
  return true;
}

/** PyTorch's repr: Shard(dim=0), Replicate(), Partial(sum), _StridedShard(dim=0, sf=2). */
export function placementRepr(p: Placement): string {
  switch (p.kind) {
    case 'shard':
      return `Shard(dim=${p.dim})`;
    case 'replicate':
      return 'Replicate()';
    case 'partial':
      return `Partial(${p.op})`;
    case 'strided_shard':
      return `_StridedShard(dim=${p.dim}, sf=${p.splitFactor})`;
  }
}

/** PyTorch's short str: S(0), R, P(sum), _S(0, 2). */
export function placementShort(p: Placement): string {
  switch (p.kind) {
    case 'shard':
      return `S(${p.dim})`;
    case 'replicate':
      return 'R';
    case 'partial':
      return `P(${p.op})`;
    case 'strided_shard':
      return `_S(${p.dim}, ${p.splitFactor})`;
  }
}

export function isShardLike(p: Placement): p is Extract<Placement, { kind: 'shard' | 'strided_shard' }> {
  return p.kind === 'shard' || p.kind === 'strided_shard';
}

export function samePlacement(a: Placement, b: Placement): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'shard' && b.kind === 'shard') return a.dim === b.dim;
  if (a.kind === 'strided_shard' && b.kind === 'strided_shard') return a.dim === b.dim && a.splitFactor === b.splitFactor;
  if (a.kind === 'partial' && b.kind === 'partial') return a.op === b.op;
  return true;
}

/** Resolve negative dims against a tensor rank; errors name the placement. */
export function normalizePlacement(p: Placement, ndim: number): Placement {
  if (!isShardLike(p)) return p;
  const dim = p.dim < 0 ? p.dim + ndim : p.dim;
  if (dim < 0 || dim >= ndim) throw new PlacementSyntaxError(`${placementRepr(p)} is out of range for a ${ndim}-d tensor`, 0);
  return dim === p.dim ? p : { ...p, dim };
}
