// Timing shared by the benches: warm up, then time each run and report median and p90 (milliseconds).
export function timeRuns(fn: () => void, warmup = 20, runs = 200): { median: number; p90: number } {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(runs / 2)], p90: t[Math.floor(runs * 0.9)] };
}

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
