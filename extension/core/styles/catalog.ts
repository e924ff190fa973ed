// The catalog: every style name with the generations that accept it, and lookups over them.
import type { Generation, PlanKind, StyleEntry, StyleRef, StyleSemantics } from './types';
import type { CatalogEntry } from './entry';
import { defs } from './defs';
import { buildSemantics } from './define';
import { g1Entries } from './transformers-g1';
import { g2g4Entries } from './transformers-g2g4';
import { g3Entries, TPSTYLE_VALID, TPSTYLE_KINDS, TPSTYLE_COMMS, tpStyleString } from './transformers-g3';
import { torchEntries, resolveTorchCall } from './torch';

const ALL: CatalogEntry[] = [...g1Entries, ...g2g4Entries, ...g3Entries, ...torchEntries];

const byName = new Map<string, CatalogEntry[]>();
for (const e of ALL) {
  const list = byName.get(e.name) ?? [];
  list.push(e);
  byName.set(e.name, list);
}

const semanticsCache = new Map<string, StyleSemantics>();
function semanticsOf(e: CatalogEntry): StyleSemantics {
  let s = semanticsCache.get(e.id);
  if (!s) {
    s = buildSemantics(e.id, e.name, defs[e.def]);
    semanticsCache.set(e.id, s);
  }
  return s;
}

/** Every style a generation accepts (all generations when none is given), optionally for one plan kind. */
export function listStyles(generation?: Generation, planKind?: PlanKind): StyleEntry[] {
  return ALL.filter((e) => (!generation || e.generations.includes(generation)) && (!planKind || e.planKinds.includes(planKind)));
}

function findEntry(name: string, generation: Generation): CatalogEntry | undefined {
  return byName.get(name)?.find((e) => e.generations.includes(generation));
}

/** A style name as `generation` accepts it, with its semantics; undefined when that generation does not know it. */
export function lookupStyle(name: string, generation: Generation): { entry: StyleEntry; semantics: StyleSemantics } | undefined {
  const e = findEntry(name, generation);
  if (!e || e.generations.includes('torch')) return undefined;
  return { entry: e, semantics: semanticsOf(e) };
}

/** The generations in which a style name is valid (for "valid in transformers X" messages). */
export function styleGenerations(name: string): Generation[] {
  const gens = new Set<Generation>();
  for (const e of byName.get(name) ?? []) e.generations.forEach((g) => gens.add(g));
  return ORDER.filter((g) => gens.has(g));
}

const ORDER: Generation[] = ['g1', 'g2', 'g3', 'g4', 'torch'];

/** Damerau-free Levenshtein distance, small strings only. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest valid name in a generation, for "did you mean" and quick fixes; undefined when nothing is close. */
export function nearestStyle(name: string, generation: Generation): string | undefined {
  // A name of another generation maps to the name with the same behaviour here (rowwise_allreduce → rowwise).
  for (const other of byName.get(name) ?? []) {
    const same = ALL.find((e) => e.def === other.def && e.generations.includes(generation) && !e.aliasOf);
    if (same) return same.name;
  }
  let best: string | undefined;
  let bestD = Infinity;
  const seen = new Set<string>();
  for (const e of ALL) {
    if (!e.generations.includes(generation) || seen.has(e.name)) continue;
    seen.add(e.name);
    const d = editDistance(name.toLowerCase(), e.name.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = e.name;
    }
  }
  // Accept up to about a third of the name's length in edits.
  return bestD <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

/** Resolve any style reference a plan holds into semantics, or an error message saying what would be right. */
export function resolveStyleRef(ref: StyleRef, generation: Generation): StyleSemantics | { error: string } {
  if (ref.kind === 'torch') return resolveTorchCall(ref.call);
  if (ref.kind === 'tpstyle') {
    const valid = TPSTYLE_VALID[ref.styleKind];
    if (!valid) return { error: `Invalid TPStyle kind '${ref.styleKind}' (expected one of: ${TPSTYLE_KINDS.join(', ')})` };
    if (!TPSTYLE_COMMS.includes(ref.comm)) return { error: `Invalid TPStyle comm '${ref.comm}' (expected one of: ${TPSTYLE_COMMS.join(', ')})` };
    if (!valid.includes(ref.comm)) return { error: `Invalid TPStyle(kind, comm): ('${ref.styleKind}', '${ref.comm}'); '${ref.styleKind}' accepts comm ${valid.map((c) => `'${c}'`).join(', ')}` };
    let name = tpStyleString(ref.styleKind, ref.comm);
    if (ref.styleKind === 'activation' && ref.args?.sequence_dim === 2) name = 'activation_seq_dim_2';
    if (ref.styleKind === 'module' && ref.comm === 'allgather' && ref.args?.input_key === 'hidden_states') name = 'module_allgather_hidden_states';
    const e = findEntry(name, 'g3')!;
    return semanticsOf(e);
  }
  const hit = lookupStyle(ref.name, generation);
  if (hit) return hit.semantics;
  const gens = styleGenerations(ref.name).filter((g) => g !== 'torch');
  const near = nearestStyle(ref.name, generation);
  if (gens.length) return { error: `'${ref.name}' is not a style in ${generationLabel(generation)}; it is valid in ${gens.map(generationLabel).join(', ')}` + (near ? `; here the nearest is '${near}'` : '') };
  return { error: `unknown style '${ref.name}'` + (near ? `; did you mean '${near}'?` : '') };
}

/** A human label for a generation, using only ranges the sources state. */
export function generationLabel(g: Generation): string {
  switch (g) {
    case 'g1':
      return 'transformers 4.5x (≈ 4.55–4.57)';
    case 'g2':
      return 'transformers 5.x (v5 documentation listing)';
    case 'g3':
      return 'transformers TPStyle era (PR #45028/#45408 strings)';
    case 'g4':
      return 'transformers 5.x main (after PR #47579)';
    case 'torch':
      return 'PyTorch ParallelStyle';
  }
}

/**
 * Which generation a plan is written for: from a transformers version when known, else from the
 * vocabulary it uses (names only one generation accepts), else the newest.
 */
export function detectGeneration(styleNames: string[], hints: { transformersVersion?: string } = {}): Generation {
  const v = hints.transformersVersion?.match(/^(\d+)\.(\d+)/);
  if (v) {
    const major = Number(v[1]);
    if (major < 5) return 'g1';
    // The TPStyle-string vocabulary lived on main between PR #45028 and PR #47579; releases are g2/g4.
    return 'g4';
  }
  const score = new Map<Generation, number>();
  for (const name of new Set(styleNames)) {
    const gens = styleGenerations(name);
    if (gens.length === 0 || gens.length === ORDER.length) continue;
    for (const g of gens) score.set(g, (score.get(g) ?? 0) + 1 / gens.length);
  }
  let best: Generation = 'g4';
  let bestScore = 0;
  // Prefer the newest generation on ties.
  for (const g of ['g4', 'g2', 'g3', 'g1'] as Generation[]) {
    const s = score.get(g) ?? 0;
    if (s > bestScore + 1e-9) {
      best = g;
      bestScore = s;
    }
  }
  return best;
}

export { TPSTYLE_VALID, TPSTYLE_KINDS, TPSTYLE_COMMS, tpStyleString };
