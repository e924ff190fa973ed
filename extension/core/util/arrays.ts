// Array helpers that never spread an input-sized array into arguments: `f(...xs)` with a few hundred
// thousand elements overflows the call stack ("Maximum call stack size exceeded").

export function maxOf(xs: Iterable<number>, empty = -Infinity): number {
  let m = empty;
  let any = false;
  for (const x of xs) {
    if (!any || x > m) m = x;
    any = true;
  }
  return m;
}

export function minOf(xs: Iterable<number>, empty = Infinity): number {
  let m = empty;
  let any = false;
  for (const x of xs) {
    if (!any || x < m) m = x;
    any = true;
  }
  return m;
}

export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const x of items) target.push(x);
  return target;
}
