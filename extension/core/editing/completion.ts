// Completion: style names of the generation in use (with their docs), module patterns segment by
// segment from the real model graph, shardplan keys and mesh dims.
import type { ModuleKind } from '../models/types';
import { listStyles, lookupStyle, styleMarkdown, generationLabel } from '../styles';
import { wildcardName, rootKeyOf } from '../analysis';
import type { TextRange } from '../plan/types';
import { analysisFor, type Analysis } from './analyze';
import { cursorPlace } from './cursor';
import { PRESETS } from '../models';

export interface CompletionItem {
  label: string;
  kind: 'style' | 'module' | 'parameter' | 'key' | 'value';
  detail?: string;
  documentation?: string;
  /** Text to insert in place of `range`. */
  insertText: string;
  range: TextRange;
  sortText?: string;
  /** Ask for completion again after inserting (a segment ending in "."). */
  retrigger?: boolean;
}

const SHARDPLAN_KEYS: Record<string, string> = {
  model: 'a config.json path, a checkpoint folder, a preset name (llama-3-8b, mixtral-8x7b, ...) or an inline config object',
  mesh: 'the dense device mesh as named dims whose product is the world size, e.g. {"dp": 2, "tp": 4}',
  expert_parallel: 'mesh dims the experts are spread over (transformers: ["tp"], ep = tp)',
  plan: 'pattern → style, keys relative to the base model as in base_model_tp_plan ("layers.*.self_attn.q_proj"), or "auto"',
  ep_plan: 'pattern → style applied when expert parallelism is on (grouped_gemm, ep_router, moe_tp_experts)',
  sequence_parallel: 'true when the plan shards activations along the sequence',
  run: 'rehearsal and estimate settings: batch, seq_len, dtype, layers, ranks, backend, mode, gpu_memory_gib',
};
const RUN_KEYS: Record<string, string> = {
  batch: 'micro-batch per data-parallel replica',
  seq_len: 'sequence length',
  dtype: 'bfloat16 | float32 | float16',
  layers: 'layer indices to rehearse, e.g. [0, 3]',
  ranks: 'how many ranks to rehearse on (default: the mesh, or a representative sub-mesh)',
  backend: 'auto | cpu | cuda',
  mode: 'training | inference',
  gpu_memory_gib: 'GPU memory per rank, for the memory check',
};
const MESH_DIMS: Record<string, string> = { tp: 'tensor parallel', dp: 'data parallel', dp_shard: 'FSDP sharding', dp_replicate: 'data-parallel replicas', cp: 'context parallel', ep: 'expert parallel', pp: 'pipeline parallel' };

export function complete(whole: Analysis, offset: number): CompletionItem[] {
  // The model of the plan being edited (a file can hold several config classes).
  const a = analysisFor(whole, offset);
  const place = cursorPlace(a, offset);
  if (place.kind === 'plan-value') {
    const moduleKind = place.entry ? kindOfKey(a, place.entry.key, place.plan.scope) : undefined;
    const planKind = place.plan.kind === 'pp' ? undefined : place.plan.kind;
    return listStyles(a.generation, planKind === 'ep' ? 'ep' : undefined).map((e) => {
      const sem = lookupStyle(e.name, a.generation)?.semantics;
      const fits = moduleKind && sem ? sem.appliesTo.includes(moduleKind) : true;
      return {
        label: e.name,
        kind: 'style',
        detail: `${generationLabel(a.generation)}${e.aliasOf ? ` · alias of ${e.aliasOf}` : ''}`,
        documentation: styleMarkdown(e.name, e.doc, e.source, sem, moduleKind),
        insertText: e.name,
        range: place.range,
        sortText: `${fits ? '0' : '1'}${e.name}`,
      };
    });
  }
  if (place.kind === 'plan-key') return completePattern(a, place.typed, place.range, place.plan.scope);
  if (place.kind === 'shardplan-key') {
    const [top] = place.path;
    const table = top === undefined ? SHARDPLAN_KEYS : top === 'run' ? RUN_KEYS : top === 'mesh' ? MESH_DIMS : undefined;
    if (!table) return [];
    return Object.entries(table).map(([k, doc]) => ({ label: k, kind: 'key', documentation: doc, insertText: k, range: place.range }));
  }
  if (place.kind === 'shardplan-value') {
    const [top, sub] = place.path;
    const values: Record<string, string> =
      top === 'expert_parallel'
        ? Object.fromEntries(a.mesh.dims.map((d) => [d.name, `mesh dim of size ${d.size}`]))
        : top === 'run' && sub === 'dtype' ? { bfloat16: '2 bytes', float16: '2 bytes', float32: '4 bytes' }
        : top === 'run' && sub === 'backend' ? { auto: 'CUDA when a GPU is there, else CPU', cpu: 'ranks as threads on the CPU', cuda: 'one GPU per rank, NCCL collectives' }
        : top === 'run' && sub === 'mode' ? { inference: 'forward only', training: 'forward and backward' }
        : top === 'model' ? Object.fromEntries(PRESETS.map((p) => [p.name, `preset: ${p.repo}`]))
        : {};
    return Object.entries(values).map(([k, doc]) => ({ label: k, kind: 'value', documentation: doc, insertText: k, range: place.range }));
  }
  return [];
}

function kindOfKey(a: Analysis, key: string, scope: 'base' | 'root' | 'class'): ModuleKind | undefined {
  if (!a.graph) return undefined;
  const root = rootKeyOf(key, scope, a.graph);
  for (const m of a.graph.modules.values()) if (wildcardName(m.path) === root || m.path === root) return m.kind;
  if (a.graph.params.some((p) => wildcardName(p.name) === root)) return 'experts';
  return undefined;
}

interface PatternIndex {
  /** Wildcard paths relative to the plan's scope: modules and parameters. */
  paths: Map<string, { kind: 'module' | 'parameter'; detail: string }>;
}
const patternCache = new WeakMap<object, Map<string, PatternIndex>>();

function patternIndex(a: Analysis, scope: string): PatternIndex {
  const g = a.graph!;
  let byScope = patternCache.get(g);
  if (!byScope) patternCache.set(g, (byScope = new Map()));
  const hit = byScope.get(scope);
  if (hit) return hit;
  const paths = new Map<string, { kind: 'module' | 'parameter'; detail: string }>();
  const rel = (p: string) => (scope === 'base' && g.basePrefix && p.startsWith(g.basePrefix + '.') ? p.slice(g.basePrefix.length + 1) : p);
  for (const m of g.modules.values()) {
    if (!m.path || (scope === 'base' && m.path === g.basePrefix)) continue;
    const w = rel(wildcardName(m.path));
    if (!paths.has(w)) paths.set(w, { kind: 'module', detail: `${m.className}${m.params.length ? ' · ' + m.params.map((p) => `${p.local} [${p.shape.join(', ')}]`).join(', ') : ''}` });
  }
  for (const p of g.params) {
    const w = rel(wildcardName(p.name));
    if (!paths.has(w) && p.shape.length === 3) paths.set(w, { kind: 'parameter', detail: `[${p.shape.join(', ')}] ${p.dtype}` });
  }
  const idx = { paths };
  byScope.set(scope, idx);
  return idx;
}

function completePattern(a: Analysis, typed: string, range: TextRange, scope: 'base' | 'root' | 'class'): CompletionItem[] {
  if (!a.graph) return [];
  const idx = patternIndex(a, scope);
  const cut = typed.lastIndexOf('.') + 1;
  const done = typed.slice(0, cut);
  const segRange = { start: range.start + cut, end: range.end };
  const next = new Map<string, CompletionItem>();
  for (const [path, info] of idx.paths) {
    if (!path.startsWith(done)) continue;
    const rest = path.slice(done.length);
    const dot = rest.indexOf('.');
    const seg = dot < 0 ? rest : rest.slice(0, dot);
    if (!seg) continue;
    // "layers.*." goes in one step: the wildcard is the only useful choice after "layers".
    const wild = dot >= 0 && rest.slice(dot + 1).startsWith('*.');
    const label = wild ? `${seg}.*.` : dot >= 0 ? `${seg}.` : seg;
    const leaf = dot < 0;
    if (next.has(label) && !leaf) continue;
    next.set(label, {
      label,
      kind: leaf ? info.kind : 'module',
      detail: leaf ? info.detail : idx.paths.get(done + seg)?.detail,
      insertText: label,
      range: segRange,
      retrigger: !leaf,
      sortText: label,
    });
  }
  return [...next.values()];
}
