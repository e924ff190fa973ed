// shardscope run: rehearse a plan on the CPU rank threads (or GPUs), check its numbers against the
// unsharded reference, print the verdict and a per-collective summary, optionally write the trace.
import { writeFileSync } from 'node:fs';
import { hostFiles, readInputText } from '../core/host/files';
import { register } from './commands';
import { UsageError, optString, flag, type ParsedArgs } from './args';
import { rehearse, chromeTrace, RehearsalError, type RehearsalResult } from '../core/rehearse';
import { nativeExecutor, cudaLibraryDirs, pythonSitePackages } from '../runtime';
import { detectedCostModel } from '../runtime/calibrate';
import { CalibrationError, readCalibration, applyCalibration, defaultCostModel, type CostModel } from '../core/lower';
import { summarizeCollectives as traceSummary } from '../core/trace';
import { LIMITS } from '../core/limits';
import { rehearsalLimitProblem } from '../core/limit-checks';

/** --calibration f.json (written by `shardscope calibrate`): the collectives' α and bandwidth for the predicted timeline. */
function calibrationOpt(args: ParsedArgs, backend: 'cpu' | 'cuda', ranks: number | undefined): { model: CostModel; note: string } | undefined {
  const file = optString(args, 'calibration');
  if (file === undefined) return undefined;
  if (!hostFiles().stat(file)) throw new UsageError(`${file}: no such file (write one with shardscope calibrate --out ${file})`);
  const c = readCalibration(readInputText(file, 'calibration'), file);
  const fits = c.fits.map((f) => `${f.op} on ${f.ranks} ranks: ${f.busGBps.toFixed(2)} GB/s, α ${f.alphaUs.toFixed(1)} µs`).join('; ');
  return { model: applyCalibration(defaultCostModel(backend), c, ranks), note: `collectives predicted from ${file} (${fits})` };
}

function intOpt(args: ParsedArgs, name: string): number | undefined {
  const v = optString(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: expected a positive integer, got ${v}`);
  return n;
}

function layersOpt(args: ParsedArgs): number[] | undefined {
  const v = optString(args, 'layers');
  if (v === undefined) return undefined;
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--layers: expected indices like 0,3 or 0-2, got ${part}`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (b - a >= LIMITS.layers || out.length + b - a >= LIMITS.layers) throw new UsageError(`--layers: more than ${LIMITS.layers} layers, the limit for a model`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** --width-scale N: divide widths by N (a power of two); 1 runs the model's real widths. */
function widthOpt(args: ParsedArgs): number | undefined {
  const n = intOpt(args, 'width-scale');
  if (n !== undefined && (n & (n - 1)) !== 0) throw new UsageError(`--width-scale: expected a power of two (1 for real widths), got ${n}`);
  return n;
}

/** --memory-budget G: the peak the rehearsal may use, in GiB (default 8); the widths are scaled to fit it. */
function memoryOpt(args: ParsedArgs): number | undefined {
  const v = optString(args, 'memory-budget');
  if (v === undefined) return undefined;
  const g = Number(v);
  if (!Number.isFinite(g) || g <= 0) throw new UsageError(`--memory-budget: expected a size in GiB such as 8 or 0.5, got ${v}`);
  return g * 2 ** 30;
}

function us(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`;
}

export function verdictLines(r: RehearsalResult): string[] {
  const lines: string[] = [];
  if (r.verdict === 'match') lines.push(`numbers agree: ‖out − ref‖/‖ref‖ = ${r.maxRelError.toExponential(2)} (≤ ${r.tolerance}) on ${r.ranks} rank${r.ranks > 1 ? 's' : ''} (${r.backend}), layers ${r.layers.join(', ')}, ${r.tokens} tokens`);
  else if (r.verdict === 'mismatch') {
    const m = r.firstMismatch!;
    const at = m.file ? `${m.file}:${m.line}: ` : '';
    lines.push(`${at}numbers differ: first at ${m.module} (‖out − ref‖/‖ref‖ = ${m.relError.toExponential(2)})${m.planEntry ? `, plan entry "${m.planEntry}"` : ''}`);
  } else {
    const e = r.error!;
    const at = e.file ? `${e.file}:${e.line ?? 1}:${e.column ?? 1}: ` : '';
    // Only the reason: the notes tell how a run went (the backend it ran on, the widths), and a plan that
    // cannot run had none of that, so they would read as a run that happened.
    return [`${at}${e.code ? `${e.code}: ` : ''}the plan cannot run: ${e.message}`];
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines;
}

register({
  name: 'run',
  summary: 'rehearse a plan: run its layers sharded, compare with the unsharded reference, summarise collectives; exit 1 when the numbers disagree or the plan cannot run',
  usage: 'shardscope run <plan file> [--ranks N] [--backend cpu|cuda] [--layers 0,3] [--tokens N] [--width-scale 1|2|4...] [--memory-budget GiB] [--out trace.json] [--nccl-tests <log>] [--calibration <f.json>] [--ends] [--verbose] [--json]',
  async run(args, io) {
    const file = args.positional[0];
    if (!file) throw new UsageError('give a plan file (*.shardplan.json or a Python file with a plan)');
    for (const [name, problem] of [['tokens', rehearsalLimitProblem(intOpt(args, 'tokens'), undefined)], ['ranks', rehearsalLimitProblem(undefined, intOpt(args, 'ranks'))]]) {
      if (problem) throw new UsageError(`--${name}: ${problem}`);
    }
    const backend = optString(args, 'backend');
    if (backend && backend !== 'cpu' && backend !== 'cuda') throw new UsageError(`--backend: expected cpu or cuda, got ${backend}`);
    let r: RehearsalResult;
    let calibration: { model: CostModel; note: string } | undefined;
    try {
      // Calibrated collectives when given; on GPUs, else the NVLink or PCIe defaults of the detected topology.
      calibration = calibrationOpt(args, backend === 'cuda' ? 'cuda' : 'cpu', intOpt(args, 'ranks')) ?? (backend === 'cuda' ? await detectedCostModel(intOpt(args, 'ranks')) : undefined);
      // The CUDA libraries may come with the Python environment's PyTorch (nvidia/*/lib); asked only when GPUs may be used.
      const sitePackages = backend === 'cpu' ? [] : await pythonSitePackages(process.env.SHARDSCOPE_PYTHON || 'python3');
      r = await rehearse(file, { onLog: flag(args, 'verbose') ? (line) => io.err(line) : undefined, executor: nativeExecutor({ libraryDirs: cudaLibraryDirs({ sitePackages }) }), costModel: calibration?.model, ranks: intOpt(args, 'ranks'), backend: backend as 'cpu' | 'cuda' | undefined, layers: layersOpt(args), tokens: intOpt(args, 'tokens'), trace: !flag(args, 'no-trace'), ncclTestsLog: optString(args, 'nccl-tests'), tail: args.options.has('ends'), widthScale: widthOpt(args), budgetBytes: memoryOpt(args) });
    } catch (e) {
      if (e instanceof RehearsalError || e instanceof CalibrationError) throw new UsageError(e.message, 1);
      throw e;
    }
    if (optString(args, 'calibration')) r.notes.push(calibrationOpt(args, r.backend, r.ranks)!.note);
    else if (calibration && r.backend === 'cuda') r.notes.push(calibration.note);
    const out = optString(args, 'out');
    if (out) writeFileSync(out, JSON.stringify(chromeTrace(r.trace)));
    if (flag(args, 'json')) {
      const fm = r.firstMismatch ?? (r.error ? { module: r.error.module ?? null, plan_entry: r.error.planEntry ?? null, file: r.error.file ?? null, line: r.error.line ?? null } : null);
      io.out(
        JSON.stringify({
          backend: r.backend,
          ranks: r.ranks,
          verdict: r.verdict === 'match' ? 'match' : 'mismatch',
          max_rel_error: Number.isFinite(r.maxRelError) ? r.maxRelError : null,
          first_mismatch: fm && 'relError' in fm ? { module: fm.module, plan_entry: fm.planEntry ?? null, file: fm.file ?? null, line: fm.line ?? null } : fm,
          error: r.error?.message ?? null,
          notes: r.notes,
          collectives: jsonCollectives(r),
        }),
      );
    } else {
      for (const l of verdictLines(r)) (r.verdict === 'match' ? io.out : io.err)(l);
      if (r.collectives.some((c) => c.measured)) {
        // measured: last member in → first member out; wait: first member in → last member in.
        io.out('collective       group              count  bytes/op     measured   predicted        wait  busbw');
        for (const c of r.collectives)
          io.out(`${c.op.padEnd(16)} [${c.group.join(',')}]`.padEnd(36) + `${String(c.count).padStart(5)}  ${String(c.bytes).padStart(9)}  ${us(c.measuredUs).padStart(10)}  ${us(c.predictedUs).padStart(10)}  ${us(c.waitUs).padStart(10)}  ${c.busGBps.toFixed(2)} GB/s`);
      } else if (r.collectives.length) {
        // Nothing was timed (--no-trace): the prediction alone, with no column that would read as a measurement of 0.
        io.out('collective       group              count  bytes/op   predicted');
        for (const c of r.collectives) io.out(`${c.op.padEnd(16)} [${c.group.join(',')}]`.padEnd(36) + `${String(c.count).padStart(5)}  ${String(c.bytes).padStart(9)}  ${us(c.predictedUs).padStart(10)}`);
      }
      const ratios = Object.entries(r.predictedOverMeasured);
      if (ratios.length) io.out(`predicted ÷ measured: ${ratios.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
      if (out) io.out(`trace: ${out}`);
    }
    return r.verdict === 'match' ? 0 : 1;
  },
});

/**
 * `collectives` of `shardscope run --json`: the rows of `shardscope trace summary` (count per rank, total
 * time per rank, mean bus bandwidth, worst skew) over the measured events, with the rehearsal's own
 * reading beside them: the collectives' time once every member was in, the wait for late members, and
 * the prediction, each a per-rank total in µs.
 */
function jsonCollectives(r: RehearsalResult) {
  const own = new Map<string, { measured: number; wait: number; predicted: number; timed: boolean }>();
  for (const c of r.collectives) {
    const o = own.get(c.op) ?? { measured: 0, wait: 0, predicted: 0, timed: false };
    o.timed ||= c.measured;
    o.measured += c.measuredUs * c.count;
    o.wait += c.waitUs * c.count;
    o.predicted += c.predictedUs * c.count;
    own.set(c.op, o);
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return traceSummary(r.trace).collectives.map((row) => {
    const o = own.get(row.op);
    return { ...row, ...(o ? { ...(o.timed ? { own_us: round(o.measured), wait_us: round(o.wait) } : {}), predicted_us: round(o.predicted) } : {}) };
  });
}
