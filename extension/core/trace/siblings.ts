// The other ranks' files of the job a picked Kineto file belongs to: in the same folder, named like it with
// another rank number (rank3, rank_3, worker3; other numbers such as a pid or a time may differ), or whose
// distributedInfo says the same job (backend, world size, process groups) for another rank.
import { basename, dirname, join } from 'node:path';
import { hostFiles } from '../host/files';
import { head, TRACE_FILE } from './read';

export interface SiblingFile {
  path: string;
  rank: number;
  /** How it was recognised: by its name, or by its distributedInfo. */
  by: 'name' | 'distributedInfo';
}

/** How many files of a folder are looked into (their first 64 KiB each). */
const MAX_CANDIDATES = 256;

interface Info { rank?: number; job?: string }

/** The distributedInfo object in a Kineto file's head (it comes before traceEvents), as rank and job key. */
export function distributedInfoOf(text: string): Info {
  const at = /"distributedInfo"\s*:\s*\{/.exec(text);
  if (!at) return {};
  let depth = 0, end = -1, inStr = false;
  for (let i = at.index + at[0].length - 1; i < text.length; i++) {
    const c = text[i];
    if (inStr) { if (c === '\\') i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) { end = i + 1; break; }
  }
  if (end < 0) return {};
  try {
    const info = JSON.parse(text.slice(at.index + at[0].length - 1, end)) as Record<string, unknown>;
    const { rank, pg_status: _s, nccl_version: _v, ...rest } = info;
    return { rank: typeof rank === 'number' ? rank : undefined, job: JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]])) };
  } catch {
    return {};
  }
}

/** A name's rank number and its pattern: the rank as "#", every other number as "*". */
export function rankPattern(name: string): { rank: number; pattern: string; numbers: string[] } | undefined {
  const m = /(rank|worker)([-_]?)(\d+)/i.exec(name);
  if (!m) return undefined;
  const before = name.slice(0, m.index), after = name.slice(m.index + m[0].length);
  const wild = (s: string) => s.replace(/\d+/g, '*');
  return { rank: Number(m[3]), pattern: `${wild(before)}${m[1].toLowerCase()}${m[2]}#${wild(after)}`, numbers: `${before}${after}`.match(/\d+/g) ?? [] };
}

/** Files of other ranks beside `picked`, one per rank (the one whose other numbers match most), by rank. */
export async function siblingRankFiles(picked: string): Promise<SiblingFile[]> {
  const host = hostFiles();
  const dir = dirname(picked), name = basename(picked);
  const names = host.list(dir).filter((f) => f !== name && TRACE_FILE.test(f)).sort().slice(0, MAX_CANDIDATES);
  const infoOf = async (p: string): Promise<Info> => {
    try { return distributedInfoOf(Buffer.from(await head(p)).toString('utf8')); } catch { return {}; }
  };
  const mine = await infoOf(picked);
  const pat = rankPattern(name);
  const myRank = mine.rank ?? pat?.rank;
  const best = new Map<number, SiblingFile & { score: number }>();
  for (const f of names) {
    const path = join(dir, f);
    if (host.stat(path)?.kind !== 'file') continue;
    const info = await infoOf(path);
    // A file of another job is never a sibling, whatever its name.
    if (mine.job && info.job && info.job !== mine.job) continue;
    const p = rankPattern(f);
    let hit: SiblingFile | undefined;
    if (mine.job && info.job === mine.job && info.rank !== undefined) hit = { path, rank: info.rank, by: 'distributedInfo' };
    else if (pat && p && p.pattern === pat.pattern) hit = { path, rank: info.rank ?? p.rank, by: 'name' };
    if (!hit || hit.rank === myRank) continue;
    const score = p && pat ? p.numbers.filter((n, i) => n === pat.numbers[i]).length : 0;
    const prev = best.get(hit.rank);
    if (!prev || score > prev.score) best.set(hit.rank, { ...hit, score });
  }
  return [...best.values()].sort((a, b) => a.rank - b.rank).map(({ score: _score, ...s }) => s);
}
