// Fuzzing every input kind and the command line through the CLI's main(): whatever the bytes, the answer
// is an exit code and lines, never an uncaught exception, a hang past 10 s or a heap past 1 GiB (each case
// runs in a worker with those limits); bad input is exit 2 with one located line (or `check`'s located
// diagnostics and exit 1); internal errors (exit 3) fail; no input file is ever changed. Bounded: a fixed
// number of cases per kind and a time cap, about a minute in all.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync, statSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliBox, isMainThread, serveCli, type CliResult } from './cli-box';
import { oneLine } from '../../../extension/core/input-error';
import { jsonInput, maybeGzip, pickle, pythonPlan, safetensors, byteMutations, cliArgs } from './gen';

/** A location as the CLI prints it: path:line:col: (1-based). */
const LOCATED = /:\d+:\d+: /;
/** Argument errors name the option or the command, not a file. */
const ARGUMENT = /^shardscope( \w+)?: (.*--[\w-]+|unknown command|give |missing --|expected |trace [\w-]+ needs)/;
const INTERNAL = /internal error, please report/;
/** A fixed seed keeps CI repeatable; FUZZ_SEED=<n> explores others (a failure prints its seed and the shrunk case). */
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);

if (!isMainThread) serveCli();
else registerTests();

function registerTests(): void {
  const box = new CliBox(__filename);
  after(() => box.close());
  const root = mkdtempSync(join(tmpdir(), 'ss-fuzz-'));
  // FUZZ_KEEP=1 keeps every case's files for reproducing a failure (the message names the case's folder).
  after(() => (process.env.FUZZ_KEEP ? console.log(`fuzz cases kept in ${root}`) : rmSync(root, { recursive: true, force: true })));
  let n = 0;
  const caseDir = (): string => {
    const d = join(root, String(n++));
    mkdirSync(d);
    return d;
  };

  const snapshot = (dir: string): Map<string, string> => {
    const m = new Map<string, string>();
    const walk = (d: string): void => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) m.set(p, createHash('sha1').update(readFileSync(p)).digest('hex'));
      }
    };
    walk(dir);
    return m;
  };

  /** The one contract every case is held to. */
  const holds = (r: CliResult, argv: string[], before: Map<string, string>, dir: string): void => {
    const what = `shardscope ${argv.join(' ')}`;
    assert.equal(r.crash, undefined, `${what}: ${r.crash}`);
    assert.ok(r.ms < 10_000, `${what}: took ${r.ms} ms`);
    assert.ok(!r.err.some((l) => INTERNAL.test(l)), `${what}: ${r.err.join(' | ')}`);
    assert.ok([0, 1, 2].includes(r.code), `${what}: exit ${r.code}: ${r.err.join(' | ')}`);
    for (const l of r.err) assert.ok(!/[\r\n\u2028\u2029]/.test(l), `${what}: an error line holds a raw line break: ${JSON.stringify(l)}`);
    // (stdout is the commands' own text: tables and reports span lines by design)
    if (r.code === 2) {
      assert.equal(r.err.length, 1, `${what}: exit 2 with ${r.err.length} lines on stderr: ${r.err.join(' | ')}`);
      assert.ok(!r.err[0].includes('\n'), `${what}: the error spans lines: ${JSON.stringify(r.err[0])}`);
      // Located in a file, or naming the option or argument at fault.
      const named = /^shardscope \w+: (.*?): /.exec(r.err[0]);
      const namesArgument = !!named && argv.some((a) => oneLine(a) === named[1] || resolve(a) === named[1]);
      assert.ok(LOCATED.test(r.err[0]) || ARGUMENT.test(r.err[0]) || namesArgument, `${what}: not located: ${r.err[0]}`);
    }
    assert.deepEqual(snapshot(dir), before, `${what}: an input file was changed`);
  };

  /** Writes the case's files, runs each command line, checks the contract. */
  const fuzz = (name: string, runs: number, inputs: fc.Arbitrary<{ files: Record<string, Uint8Array | string>; argv: (dir: string) => string[][] }>) =>
    test(`fuzz: ${name}`, async () => {
      await fc.assert(
        fc.asyncProperty(inputs, async ({ files, argv }) => {
          const dir = caseDir();
          for (const [f, bytes] of Object.entries(files)) {
            mkdirSync(join(dir, f, '..'), { recursive: true });
            writeFileSync(join(dir, f), bytes);
          }
          const before = snapshot(dir);
          for (const a of argv(dir)) holds(await box.run(a), a, before, dir);
        }),
        { numRuns: runs, interruptAfterTimeLimit: 12_000, markInterruptAsFailure: false, seed: SEED, endOnFailure: true },
      );
    });

  const text = (p: string): string => readFileSync(p, 'utf8');
  const bytes = (p: string): Uint8Array => readFileSync(p);
  const llamaConfig = text('examples/llama-3-8b/config.json');
  const mixtralConfig = text('examples/mixtral-8x7b/config.json');

  fuzz('*.shardplan.json (check, shapes, comms)', 80, fc.tuple(fc.constantFrom('examples/llama-3-8b/tp-sp.shardplan.json', 'examples/mixtral-8x7b/ep.shardplan.json', 'examples/deepseek-v3/ep.shardplan.json').chain((p) => jsonInput(text(p))), fc.constantFrom(llamaConfig, mixtralConfig)).map(([plan, cfg]) => ({
    files: { 'p.shardplan.json': plan, 'config.json': cfg },
    argv: (d: string) => [['check', join(d, 'p.shardplan.json')], ['shapes', join(d, 'p.shardplan.json')], ['comms', join(d, 'p.shardplan.json'), '--mesh', 'tp=2']],
  })));

  fuzz('config.json (shapes, check)', 60, fc.constantFrom(llamaConfig, mixtralConfig, text('examples/deepseek-v3/config.json')).chain(jsonInput).map((cfg) => ({
    files: { 'm/config.json': cfg },
    argv: (d: string) => [['shapes', join(d, 'm/config.json'), '--mesh', 'tp=2', '--plan', 'auto'], ['check', join(d, 'm/config.json')]],
  })));

  fuzz('Python plans (check)', 80, fc.oneof(pythonPlan, fc.constantFrom('examples/qwen3-30b-a3b/serve_tp.py', 'examples/mixtral-8x7b/train_tp.py', 'examples/deepseek-v3/serve_ep.py').chain((p) => byteMutations(bytes(p))).map((b) => Buffer.from(b).toString('utf8'))).map((py) => ({
    files: { 'plan.py': py, 'config.json': llamaConfig },
    argv: (d: string) => [['check', join(d, 'plan.py')]],
  })));

  const traceCase = (seed: string, name: string) => maybeGzip(jsonInput(text(seed))).map(({ bytes: b, gz }) => ({
    files: { [gz ? `${name}.gz` : name]: b },
    argv: (d: string) => [['trace', 'summary', join(d, gz ? `${name}.gz` : name)], ['trace', 'summary', '--json', d]],
  }));
  fuzz('Kineto and Shardscope traces, gzip (trace summary)', 60, fc.oneof(traceCase('test/fixtures/trace/kineto-new/rank0.json', 'rank0.json'), traceCase('test/fixtures/trace/shardscope-2rank.json', 'trace.json')));
  fuzz('CommDebugMode dumps (trace summary)', 30, traceCase('test/fixtures/trace/comm_debug_mode_llama_tp2.json', 'cdm.json'));
  const frJson = JSON.parse(text('test/fixtures/trace/flight-recorder/nccl_trace_rank_0.json'));
  fuzz('Flight Recorder dumps, JSON and pickled (trace summary)', 60, fc.oneof(
    traceCase('test/fixtures/trace/flight-recorder/nccl_trace_rank_0.json', 'nccl_trace_rank_0.json'),
    jsonInput(JSON.stringify(frJson)).chain((t) => {
      let v: unknown;
      try { v = JSON.parse(Buffer.from(t).toString('utf8')); } catch { v = frJson; }
      return fc.oneof(fc.constant(pickle(v)), byteMutations(pickle(v)));
    }).map((b) => ({ files: { 'nccl_trace_rank_1': b }, argv: (d: string) => [['trace', 'summary', join(d, 'nccl_trace_rank_1')]] })),
  ));

  fuzz('safetensors checkpoints (shapes)', 40, fc.tuple(safetensors, fc.option(jsonInput(JSON.stringify({ weight_map: { 'model.embed_tokens.weight': 'model.safetensors' } })))).map(([st, index]) => ({
    files: { 'ckpt/model.safetensors': st, ...(index ? { 'ckpt/model.safetensors.index.json': index } : {}) },
    argv: (d: string) => [['shapes', join(d, 'ckpt'), '--mesh', 'tp=2']],
  })));

  // Arguments over a pool of real and special files: the examples, a folder, a FIFO, /dev/zero.
  const pool = caseDir();
  writeFileSync(join(pool, 'broken.shardplan.json'), '{"model": "./config.json", "mesh": {"tp": 2},');
  writeFileSync(join(pool, 'config.json'), llamaConfig);
  mkdirSync(join(pool, 'folder'));
  try { execFileSync('mkfifo', [join(pool, 'fifo.json')]); } catch { /* no mkfifo: the pool has no FIFO */ }
  const files = ['examples/llama-3-8b/tp.shardplan.json', 'examples/llama-3-8b/config.json', 'test/fixtures/trace/kineto-new/rank0.json', join(pool, 'broken.shardplan.json'), join(pool, 'folder'), join(pool, 'fifo.json'), '/dev/zero', join(pool, 'missing.json')];
  test('fuzz: command-line arguments', async () => {
    const before = snapshot(pool);
    await fc.assert(
      fc.asyncProperty(cliArgs(files), async (argv) => {
        // A rehearsal that starts for real is no argument test: run only ever gets files that fail before it.
        if (argv[0] === 'run' && argv.slice(1).some((a) => a.startsWith('examples/'))) return;
        holds(await box.run(argv), argv, before, pool);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 12_000, markInterruptAsFailure: false, seed: SEED, endOnFailure: true },
    );
  });
}
