// `shardscope check`: the editor's diagnostics, as file:line:col: severity code: message (or JSON).
// The same engine as the editor (analyzeDocument), so a file checks the same in both places.
import { register } from './commands';
import { flag, optString, UsageError } from './args';
import { existsSync } from 'node:fs';
import { readInputText, tryReadInputText } from '../core/host/files';
import { resolve } from 'node:path';
import { parseMesh } from '../core/sharding';
import { loadModel } from '../core/models';
import { analyzeDocument, type EditingContext } from '../core/editing';
import { lineColumn } from '../core/util/json';
import { oneLine } from '../core/input-error';

export interface CheckDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

export interface CheckOptions {
  /** Mesh over the file's own, e.g. "tp=4". */
  mesh?: string;
  /** Model over the file's own: preset, config.json or checkpoint folder. */
  model?: string;
  /** The transformers version whose style names apply, e.g. "5.2.0" (else detected from the plan). */
  transformers?: string;
  /** GPU memory per rank in GiB, for the memory check. */
  gpuMemoryGiB?: number;
}

/** The files a plan's checks read beside it (a nearby config.json), bounded like every input. */
const readFile = (path: string) => tryReadInputText(path, 'config');

/** Check one plan file: *.shardplan.json, a config.json with plan keys, or Python. Lines and columns 1-based. */
export function checkFile(file: string, opts: CheckOptions = {}): CheckDiagnostic[] {
  const text = readInputText(file, 'plan');
  const ctx: EditingContext = { readFile, meshOverride: opts.mesh, modelOverride: opts.model, transformersVersion: opts.transformers, gpuMemoryGiB: opts.gpuMemoryGiB };
  const analysis = analyzeDocument(file, text, ctx);
  return analysis.diagnostics
    .map((d) => ({ file, ...lineColumn(text, d.range.start), severity: d.severity === 'hint' ? ('info' as const) : d.severity, code: d.code, message: d.message }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

register({
  name: 'check',
  summary: 'check plan files: file:line:col: severity code: message; exit 1 on errors',
  usage: 'shardscope check <files...> [--mesh tp=4] [--model <config.json | folder | preset>] [--transformers 5.2.0] [--gpu-memory <GiB>] [--json]',
  run(args, io) {
    if (!args.positional.length) throw new UsageError('give one or more plan files (*.shardplan.json, config.json, *.py)');
    const mesh = optString(args, 'mesh');
    if (mesh) {
      try {
        parseMesh(mesh);
      } catch (e) {
        throw new UsageError(`--mesh ${mesh}: ${(e as Error).message}`);
      }
    }
    const gpu = optString(args, 'gpu-memory');
    if (gpu !== undefined && !(Number(gpu) > 0)) throw new UsageError(`--gpu-memory ${gpu}: expected GiB per rank, e.g. 80`);
    // A --model path is relative to where the command runs; a preset name stays as it is.
    const modelArg = optString(args, 'model');
    const model = modelArg && existsSync(modelArg) ? resolve(modelArg) : modelArg;
    if (model) {
      try {
        loadModel(model, process.cwd());
      } catch (e) {
        throw new UsageError(`--model ${modelArg}: ${(e as Error).message}`);
      }
    }
    const opts: CheckOptions = { mesh, model, transformers: optString(args, 'transformers'), gpuMemoryGiB: gpu === undefined ? undefined : Number(gpu) };
    const all: CheckDiagnostic[] = [];
    for (const f of args.positional) all.push(...checkFile(f, opts));
    if (flag(args, 'json')) io.out(JSON.stringify({ diagnostics: all }));
    else {
      for (const d of all) io.out(oneLine(`${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`));
      const errors = all.filter((d) => d.severity === 'error').length;
      io.out(`${errors} error(s), ${all.filter((d) => d.severity === 'warning').length} warning(s) in ${args.positional.length} file(s)`);
    }
    return all.some((d) => d.severity === 'error') ? 1 : 0;
  },
});
