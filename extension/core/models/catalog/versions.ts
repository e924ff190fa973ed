// Which recorded transformers version answers for the version in use: the newest recorded version not
// newer than it, else the oldest; anything but an exact match comes with a note that names the choice.

/** The versions under data/, oldest first. Regenerate with scripts/gen-catalog.sh. */
export const RECORDED_VERSIONS = ['4.57.6', '5.17.0', '5.18.0'] as const;

export interface VersionChoice {
  version: string;
  /** Set when the recorded version is not the one asked for. */
  note?: string;
}

function parts(v: string): number[] | undefined {
  const m = v.trim().match(/^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/);
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
}

/** Negative when a < b, by major, minor, patch (pre-release suffixes are ignored). */
export function compareVersions(a: string, b: string): number {
  const x = parts(a) ?? [0, 0, 0];
  const y = parts(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** The recorded version for `requested` (undefined: the newest recorded, no note). */
export function pickVersion(requested: string | undefined, recorded: readonly string[] = RECORDED_VERSIONS): VersionChoice {
  const newest = recorded[recorded.length - 1];
  if (!requested) return { version: newest };
  if (!parts(requested)) return { version: newest, note: `transformers version "${requested}" is not a version number; using the catalog of ${newest}` };
  const exact = recorded.find((v) => compareVersions(v, requested) === 0);
  if (exact) return { version: exact };
  const older = recorded.filter((v) => compareVersions(v, requested) <= 0);
  if (older.length) {
    const v = older[older.length - 1];
    return { version: v, note: `transformers ${requested} is not recorded; using the catalog of ${v}, the newest recorded version not newer than it` };
  }
  return { version: recorded[0], note: `transformers ${requested} is older than every recorded version; using the catalog of ${recorded[0]}, the oldest` };
}
