// One rehearsal at its default width, in a process of its own, so that its peak memory is its own:
// prints one JSON line with the verdict, the width scale, the estimate and the peak resident set (this
// process, and with the native executor the runtime child beside it, sampled together every 50 ms).
import { readFileSync, readdirSync } from 'node:fs';
import { rehearse } from '../extension/core/rehearse';
import { nativeExecutor } from '../extension/runtime';

/** Resident bytes of this process and its descendants now. */
function treeRss(): number {
  const statusOf = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return '';
    }
  };
  const parents = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const m = /PPid:\s+(\d+)/.exec(statusOf(Number(d)));
    if (m) parents.set(Number(d), Number(m[1]));
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) if (!mine.has(pid) && mine.has(ppid)) (mine.add(pid), (grew = true));
  }
  let kb = 0;
  for (const pid of mine) kb += Number(/VmRSS:\s+(\d+)/.exec(statusOf(pid))?.[1] ?? 0);
  return kb * 1024;
}

async function main() {
  const [plan, executor, options] = process.argv.slice(2);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, treeRss())), 50);
  const t0 = performance.now();
  const r = await rehearse(plan, { ...(options ? JSON.parse(options) : {}), executor: executor === 'native' ? nativeExecutor({ childPath: process.env.SHARDSCOPE_CHILD, timeoutMs: 600000 }) : undefined });
  clearInterval(timer);
  peak = Math.max(peak, treeRss());
  const own = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ plan, executor, verdict: r.verdict, error: r.error?.message, maxRelError: r.maxRelError, widthScale: r.widthScale, notes: r.notes, seconds: (performance.now() - t0) / 1000, peakBytes: Math.max(peak, own), ownMaxRss: own, declaredBytes: r.declaredBytes }));
}
void main();
