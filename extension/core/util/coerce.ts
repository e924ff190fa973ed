// String() and Number() for values parsed from input: a JSON object with its own "toString" or "valueOf"
// key makes both throw ("Cannot convert object to primitive value"); here it reads as text or NaN.

export function asText(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '[object]';
  }
}

export function asNumber(v: unknown): number {
  try {
    return Number(v);
  } catch {
    return NaN;
  }
}
