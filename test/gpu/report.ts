// The last step of test/gpu/run.sh: one results.json from the steps' status (steps.tsv), the native
// suite's TAP, and every part (parts/*.json), with the addon's figures beside PyTorch's: GEMM
// throughput (mark: ≥ 0.9 of torch.matmul), each kernel's bandwidth against a device-to-device copy,
// NCCL all-reduce per call, and each layer's time. Prints the side-by-side table and exits 1 when a
// step failed or (on real GPUs) a mark was missed, naming them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main, outDir } from './target';

const GEMM_MARK = 0.9;

type Json = Record<string, any>;  // eslint-disable-line @typescript-eslint/no-explicit-any

function part(out: string, name: string): Json | undefined {
  const p = join(out, 'parts', `${name}.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : undefined;
}

function steps(out: string) {
  const p = join(out, 'steps.tsv');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [name, status, seconds, detail] = l.split('\t');
    return { name, status, seconds: Number(seconds), detail: detail || undefined };
  });
}

/** Top-level results of node --test's TAP reporter. */
export function nativeSuite(tap: string) {
  const tests: { name: string; status: 'pass' | 'fail' | 'skip'; reason?: string }[] = [];
  for (const line of tap.split('\n')) {
    const m = /^(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)(?: (.*))?)?$/.exec(line);
    if (!m) continue;
    tests.push({ name: m[2], status: m[1] === 'not ok' ? 'fail' : m[3] === 'SKIP' ? 'skip' : 'pass', reason: m[4] });
  }
  const count = (s: string) => tests.filter((t) => t.status === s).length;
  return { pass: count('pass'), fail: count('fail'), skipped: count('skip'), failed: tests.filter((t) => t.status === 'fail').map((t) => t.name), skips: tests.filter((t) => t.status === 'skip').map((t) => ({ name: t.name, reason: t.reason ?? '' })) };
}

/** A section's rows, or none when it failed (its error is kept in the part itself). */
const rowsOf = (x: unknown): Json[] => (Array.isArray(x) ? x : []);

function sideBySide(addon: Json | undefined, torch: Json | undefined) {
  if (!addon) return undefined;
  const tg = rowsOf(torch?.gemm);
  const gemm = rowsOf(addon.gemm).map((a: Json, i: number) => {
    const t = tg[i];
    const ratio = t ? a.tflops / t.tflops : NaN;
    return { shape: a.shape, dtype: a.dtype, addonTflops: a.tflops, torchTflops: t?.tflops, ratio, mark: GEMM_MARK, meets: ratio >= GEMM_MARK };
  });
  const tk = rowsOf(torch?.kernels);
  // PyTorch's times over the addon's byte counts: the same traffic, so the bandwidths compare.
  const torchGBps = (a: Json | undefined) => {
    const t = a && tk.find((k: Json) => k.kernel === a.kernel);
    return a && t ? { t, gbps: a.bytes / t.us / 1e3 } : undefined;
  };
  const torchCopy = torchGBps(rowsOf(addon.kernels).find((k: Json) => k.kernel === 'device-to-device copy'));
  const kernels = rowsOf(addon.kernels).map((a: Json) => {
    const t = torchGBps(a);
    return {
      kernel: a.kernel, bytes: a.bytes, addonUs: a.us, addonGBps: a.gbps, addonOverCopy: a.ratio,
      torchOp: t?.t.torch, torchUs: t?.t.us, torchGBps: t?.gbps, torchOverCopy: t && torchCopy ? t.gbps / torchCopy.gbps : undefined,
      addonTimeOverTorch: t ? a.us / t.t.us : undefined,
    };
  });
  const ta = rowsOf(torch?.all_reduce);
  const allReduce = rowsOf(addon.allReduce).map((a: Json, i: number) => {
    const t = ta[i];
    if (a.status) return { what: a.what, status: a.status };
    return a.perCallUs !== undefined
      ? { what: a.what, addonPerCallUs: a.perCallUs, addonEventUs: a.eventUs, torchPerCallUs: t?.perCallUs, torchEventUs: t?.eventUs, addonOverTorch: t ? a.perCallUs / t.perCallUs : undefined }
      : { what: a.what, addonBusGBps: a.busGBps, torchBusGBps: t?.busGBps, addonOverTorch: t ? a.busGBps / t.busGBps : undefined };
  });
  const tl = rowsOf(torch?.layers);
  const layers = rowsOf(addon.layers).flatMap((a: Json) => {
    const t = tl.find((x: Json) => x.file === a.file);
    return rowsOf(a.times).map((x: Json) => {
      const tr = t?.layers?.find((y: Json) => y.layer === x.layer);
      const torchUs = tr ? (x.pass === 'backward' ? tr.backwardUs : tr.forwardUs) : undefined;
      return {
        file: a.file, layer: x.layer, pass: x.pass, ranks: a.ranks, widthScale: a.widthScale, tokens: a.tokens,
        addonSpanUs: x.spanUs, addonOpsUs: x.opsUs, torchUs, torchFirstForwardUs: x.pass === 'forward' ? tr?.forwardFirstUs : undefined, torchClass: tr?.class,
        addonOverTorch: torchUs ? x.spanUs / torchUs : undefined,
        note: a.ranks > 1 ? `the rehearsal's ${a.ranks} ranks against the unsharded layer on one GPU` : undefined,
      };
    });
  });
  return { gemm, kernels, allReduce, layers };
}

const f = (v: unknown, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');

main('report', async () => {
  const out = outDir();
  const st = steps(out);
  const tapFile = join(out, 'native.tap');
  const native = existsSync(tapFile) ? nativeSuite(readFileSync(tapFile, 'utf8')) : undefined;
  const addon = part(out, 'addon');
  const torch = part(out, 'torch');
  const sbs = sideBySide(addon, torch);
  const mode = addon?.mode ?? part(out, 'examples')?.mode;
  const missed = mode !== 'real' ? [] : sbs?.gemm.length
    ? sbs.gemm.filter((g: Json) => !g.meets).map((g: Json) => `cuBLAS bf16 GEMM ${g.shape.join('×')} at ${f(g.ratio)}× torch.matmul (mark ≥ ${GEMM_MARK})`)
    : ['cuBLAS bf16 GEMM against torch.matmul: no figures to judge'];
  const failed = st.filter((s) => s.status !== 'ok' && !s.status.startsWith('not run'));
  const results = {
    written: new Date().toISOString(),
    mode,
    marks: mode === 'real' ? { gemmVsTorch: GEMM_MARK, missed } : { judged: false, why: 'the stand-in library runs kernels on the CPU: its times prove the plumbing, not the speed' },
    steps: st,
    failedSteps: failed.map((s) => s.name),
    native,
    examples: part(out, 'examples'),
    bench: part(out, 'bench'),
    sideBySide: sbs,
    addon,
    torch,
  };
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  if (sbs) {
    console.log('cuBLAS bf16 GEMM (TFLOP/s): addon | torch.matmul | ratio');
    for (const g of sbs.gemm) console.log(`  ${g.shape.join('×').padEnd(18)} ${f(g.addonTflops, 1).padStart(8)} ${f(g.torchTflops, 1).padStart(8)} ${f(g.ratio).padStart(6)}${mode === 'real' ? (g.meets ? '  ok' : '  BELOW') : ''}`);
    console.log('kernels (GB/s): addon | ÷ copy | torch | ÷ torch copy');
    for (const k of sbs.kernels) console.log(`  ${k.kernel.padEnd(22)} ${f(k.addonGBps, 1).padStart(8)} ${f(k.addonOverCopy, 3).padStart(7)} ${f(k.torchGBps, 1).padStart(8)} ${f(k.torchOverCopy, 3).padStart(7)}`);
    console.log('NCCL all-reduce:');
    for (const a of sbs.allReduce) console.log(`  ${a.what}: ${a.status ?? (a.addonPerCallUs !== undefined ? `addon ${f(a.addonPerCallUs)} µs, torch ${f(a.torchPerCallUs)} µs per call` : `addon ${f(a.addonBusGBps, 1)} GB/s, torch ${f(a.torchBusGBps, 1)} GB/s`)}`);
    console.log('layers (µs): rehearsal span | torch | ratio');
    for (const l of sbs.layers) console.log(`  ${l.file} layer ${l.layer} ${l.pass}: ${f(l.addonSpanUs, 0)} | ${f(l.torchUs, 0)} | ${f(l.addonOverTorch)}`);
  }
  if (native) console.log(`native suite: ${native.pass} passed, ${native.fail} failed, ${native.skipped} skipped`);
  console.log(`results: ${join(out, 'results.json')}`);
  for (const s of failed) console.error(`FAILED step ${s.name}: ${s.status}${s.detail ? ` (${s.detail})` : ''}`);
  for (const m of missed) console.error(`MISSED mark: ${m}`);
  return failed.length || missed.length ? 1 : 0;
});
