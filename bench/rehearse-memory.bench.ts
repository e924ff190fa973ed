// Peak memory of a real rehearsal of every example at its default width (real widths wherever the
// estimate fits 8 GiB), each in a process of its own: the resident set of that process and the runtime
// child beside it, sampled together (bench/rehearse-memory-child.ts). Budget: 8 GiB. The estimate the
// width was chosen from is in the note, beside the time the rehearsal took.
import { buildSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const GiB = 2 ** 30;

interface Measured {
  plan: string;
  executor: string;
  verdict: string;
  error?: string;
  maxRelError: number;
  widthScale: number;
  notes: string[];
  seconds: number;
  peakBytes: number;
}

/** The estimate the width was chosen from, as the verdict's note says it. */
function estimateOf(notes: string[]): string | undefined {
  for (const n of notes) {
    const real = /^real widths: (\S+ [GMK]iB) estimated peak/.exec(n);
    if (real) return real[1];
    const scaled = /(\S+ [GMK]iB) at 1\/\d+\)/.exec(n);
    if (scaled) return scaled[1];
  }
  return undefined;
}

export default async function () {
  const out = resolve('bench/out');
  const child = join(out, 'rehearse-memory-child.cjs');
  const runtimeChild = join(out, 'runtime-child.js');
  buildSync({ entryPoints: ['bench/rehearse-memory-child.ts'], outfile: child, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', logLevel: 'warning', inject: ['extension/node-host/install.ts'] });
  buildSync({ entryPoints: ['extension/runtime/child.ts'], outfile: runtimeChild, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', mainFields: ['module', 'main'] });
  const executor = existsSync('native/build/Release/shardscope_native.node') ? 'native' : 'interpreter';
  const plans = readdirSync('examples').flatMap((d) => readdirSync(join('examples', d)).filter((f) => f.endsWith('.shardplan.json')).map((f) => join('examples', d, f))).sort();
  const rows = [];
  for (const plan of plans) {
    let m: Measured;
    try {
      const text = execFileSync(process.execPath, [child, plan, executor], { env: { ...process.env, SHARDSCOPE_CHILD: runtimeChild }, encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 24 });
      m = JSON.parse(text.trim().split('\n').pop()!);
    } catch (e) {
      rows.push({ name: `peak memory: ${plan}`, value: NaN, unit: 'GiB', budget: 8, note: `failed: ${String((e as Error).message).slice(0, 200)}` });
      continue;
    }
    const width = m.widthScale === 1 ? 'real widths' : `1/${m.widthScale} width`;
    const ranOn = m.notes.some((n) => n.includes('JS interpreter')) ? 'JS interpreter' : m.executor;
    const estimate = estimateOf(m.notes);
    rows.push({
      name: `peak memory: ${plan.replace(/^examples\//, '')} (${width})`,
      value: m.peakBytes / GiB,
      unit: 'GiB',
      budget: 8,
      better: 'lower' as const,
      note: `${m.verdict}${m.error ? `: ${m.error}` : ''}, rel. error ${m.maxRelError.toExponential(1)}, ${m.seconds.toFixed(0)} s on the ${ranOn}${estimate ? `, estimate ${estimate}` : ''}`,
    });
  }
  return rows;
}
