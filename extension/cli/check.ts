// `shardscope check`: the plan checks, as file:line:col: severity code: message.
import { register } from './commands';
import { flag, optString, UsageError } from './args';
import { readPlanDocument } from './workspace';
import { loadModel, ModelLoadError, findPreset } from '../core/models';
import { parseMesh, meshFromRecord } from '../core/sharding';
import { dirname, resolve, join } from 'node:path';
import { existsSync } from 'node:fs';
import { bindPlan, planInputsFromDocument } from '../core/analysis';
import { lineColumn } from '../core/util/json';
import type { PlanDocument } from '../core/plan';

export interface CheckDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

/** Check one plan file; the model comes from the document, --model, a config.json beside it, or the file itself. */
export function checkFile(file: string, opts: { mesh?: string; model?: string }): CheckDiagnostic[] {
  const { doc, text } = readPlanDocument(file);
  const at = (offset: number) => lineColumn(text, offset);
  const out: CheckDiagnostic[] = doc.diagnostics.map((d) => ({ file, ...at(d.range.start), severity: d.severity === 'hint' ? 'info' : d.severity, code: d.code, message: d.message }));
  const modelRef = opts.model ?? (doc.model?.ref as string | Record<string, unknown> | undefined) ?? besideConfig(file, doc);
  if (!modelRef) {
    out.push({ file, line: 1, column: 1, severity: 'warning', code: 'SS004', message: 'no model to check against: give --model, a "model" key, or a config.json beside the file' });
    return out;
  }
  const graph = loadModel(modelRef, dirname(resolve(file)));
  const meshRec = opts.mesh ? undefined : doc.mesh ? Object.fromEntries(doc.mesh.dims.map((d) => [d.name, d.size])) : undefined;
  const mesh = opts.mesh ? parseMesh(opts.mesh) : meshRec ? meshFromRecord(meshRec) : parseMesh('tp=8');
  const plans = planInputsFromDocument(doc, graph, {});
  const s = bindPlan(graph, plans, mesh, {
    expertParallel: doc.expertParallel?.length ? doc.expertParallel : undefined,
    run: { batch: doc.run?.batch ?? 1, seqLen: doc.run?.seqLen ?? 4096, mode: doc.run?.mode ?? 'inference', dtype: doc.run?.dtype },
    gpuMemoryBytes: doc.run?.gpuMemoryGiB ? doc.run.gpuMemoryGiB * 2 ** 30 : undefined,
  });
  for (const f of s.findings) {
    const range = f.entry && f.entry.keyRange.end > 0 ? (f.code === 'SS101' || f.code === 'SS105' ? f.entry.valueRange : f.entry.keyRange) : doc.plans[0]?.range ?? { start: 0, end: 0 };
    out.push({ file, ...at(range.start), severity: f.severity, code: f.code, message: f.message });
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

function besideConfig(file: string, doc: PlanDocument): string | Record<string, unknown> | undefined {
  if (doc.format === 'config-json' && doc.configValues?.model_type) return doc.configValues;
  if (doc.configValues?.model_type && findPreset(String(doc.configValues.model_type))) return undefined;
  const cfg = join(dirname(resolve(file)), 'config.json');
  return existsSync(cfg) ? cfg : undefined;
}

register({
  name: 'check',
  summary: 'check plan files: file:line:col: severity code: message; exit 1 on errors',
  usage: 'shardscope check <files...> [--mesh tp=4] [--model <config.json | preset>] [--json]',
  run(args, io) {
    if (!args.positional.length) throw new UsageError('give one or more plan files (*.shardplan.json, config.json, *.py)');
    const all: CheckDiagnostic[] = [];
    for (const f of args.positional) {
      try {
        all.push(...checkFile(f, { mesh: optString(args, 'mesh'), model: optString(args, 'model') }));
      } catch (e) {
        if (e instanceof ModelLoadError) throw new UsageError(e.message);
        throw e;
      }
    }
    if (flag(args, 'json')) io.out(JSON.stringify({ diagnostics: all }));
    else {
      for (const d of all) io.out(`${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`);
      const errors = all.filter((d) => d.severity === 'error').length;
      io.out(`${errors} error(s), ${all.filter((d) => d.severity === 'warning').length} warning(s) in ${args.positional.length} file(s)`);
    }
    return all.some((d) => d.severity === 'error') ? 1 : 0;
  },
});
