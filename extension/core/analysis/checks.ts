// Static checks over the bound parameters: divisibility of the dims that are sharded, packed weights,
// experts no entry shards, the lm_head, unknown styles and keys that match nothing.
import type { ModelGraph } from '../models/types';
import type { Generation } from '../styles/types';
import { nearestStyle, editDistance } from '../styles';
import { placementRepr } from '../sharding';
import type { BoundParam, Finding } from './types';
import { wildcardName, type PlanTable } from './match';
import { graphIndex } from './graph-index';
import { bytesOf } from './dtype';

export function formatBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(b) >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return `${i === 0 ? b.toFixed(0) : b.toFixed(b >= 100 ? 0 : b >= 10 ? 1 : 2)} ${units[i]}`;
}

export interface CheckContext {
  graph: ModelGraph;
  table: PlanTable;
  params: BoundParam[];
  tpSize: number;
  epSize: number;
  generation: Generation;
  seqLen: number;
  sequenceSharded: boolean;
  findings: Finding[];
}

export function runChecks(c: CheckContext): void {
  const { graph, findings } = c;
  const cfg = graph.config;
  // Unknown styles and keys that match nothing.
  const { paths: allPaths, wildPaths: wild } = graphIndex(graph);
  for (const b of c.table.byKey.values()) {
    if (b.error) {
      const name = b.entry.style.kind === 'name' ? b.entry.style.name : undefined;
      const near = name ? nearestStyle(name, c.generation) : undefined;
      findings.push({ code: 'SS101', slug: 'unknown-style', severity: 'error', message: b.error, target: b.rootKey, entry: b.entry, suggestion: near });
      continue;
    }
    if (!b.used && !wild.has(b.rootKey) && !allPaths.has(b.rootKey)) {
      let best = '';
      let bestD = Infinity;
      for (const w of wild) {
        const d = editDistance(b.rootKey, w);
        if (d < bestD) {
          bestD = d;
          best = w;
        }
      }
      const indexed = /\.\d+(\.|$)/.test(b.entry.key) && wild.has(wildcardName(b.rootKey));
      const shown = best.startsWith(graph.basePrefix + '.') && !b.entry.key.startsWith(graph.basePrefix + '.') ? best.slice(graph.basePrefix.length + 1) : best;
      findings.push(
        indexed
          ? { code: 'SS102', slug: 'pattern-matches-nothing', severity: 'warning', message: `'${b.entry.key}' matches no module of this ${cfg.modelType} model`, target: b.rootKey, entry: b.entry }
          : { code: 'SS102', slug: 'pattern-matches-nothing', severity: 'warning', message: `'${b.entry.key}' matches no module or parameter of this ${cfg.modelType} model${best ? `; the nearest real path is '${shown}'` : ''}`, target: b.rootKey, entry: b.entry, suggestion: shown || undefined },
      );
    }
  }
  // Keys that can never be used.
  for (const b of c.table.byKey.values()) {
    // Before the newest matcher, transformers looked up only the wildcard form of a name.
    if ((c.generation === 'g1' || c.generation === 'g2') && /\.\d+(\.|$)/.test(b.rootKey)) {
      findings.push({ code: 'SS107', slug: 'indexed-key-unused', severity: 'warning', message: `'${b.entry.key}' names a layer index, but ${c.generation === 'g1' ? 'transformers 4.5x' : 'transformers 5.x before the newest matcher'} normalises names to '${wildcardName(b.rootKey).replace(/^model\./, '')}' before the lookup: this key is never used`, target: b.rootKey, entry: b.entry });
    }
    // A parameter key wins over its module key for that parameter.
    const m = b.rootKey.match(/^(.*)\.(weight|bias)$/);
    const moduleEntry = m ? c.table.byKey.get(m[1]) : undefined;
    if (moduleEntry && moduleEntry.semantics && b.semantics && moduleEntry.entry.styleText !== b.entry.styleText) {
      findings.push({ code: 'SS108', slug: 'param-key-hides-module-key', severity: 'warning', message: `'${b.entry.key}' (${b.entry.styleText}) takes precedence over '${moduleEntry.entry.key}' (${moduleEntry.entry.styleText}) for the ${m![2]}: the two disagree on how it is placed`, target: b.rootKey, entry: b.entry });
    }
  }
  const n = c.tpSize;
  const byName = new Map(c.params.map((p) => [p.name, p]));
  const seenKeys = new Set<string>();
  const once = (key: string, f: Finding) => {
    if (seenKeys.has(key)) return;
    seenKeys.add(key);
    findings.push(f);
  };
  for (const p of c.params) {
    if (p.placements.length === 0) continue;
    const owner = graph.modules.get(p.name.slice(0, p.name.lastIndexOf('.')));
    const generic = wildcardName(p.name);
    p.placements.forEach((pl, meshDim) => {
      if (pl.kind !== 'shard' && pl.kind !== 'strided_shard') return;
      const dim = pl.dim < 0 ? pl.dim + p.globalShape.length : pl.dim;
      const size = p.globalShape[dim];
      const shards = p.expertParallel ? c.epSize : n;
      const perHalf = pl.kind === 'strided_shard' ? size / pl.splitFactor : size;
      const headDim = Number(owner?.attrs?.head_dim ?? 0);
      const local = p.name.slice(p.name.lastIndexOf('.') + 1);
      if (p.expertParallel && dim === 0) {
        if (size % shards) once(`experts:${generic}`, { code: 'SS204', slug: 'experts-not-divisible', severity: 'error', message: `${size} experts are not divisible by the expert-parallel size ${shards}: transformers refuses to load ("num_experts must be divisible by ep_size")`, target: generic, entry: p.entry });
        return;
      }
      if (headDim && owner?.kind === 'linear' && dim === 0 && local === 'weight') {
        const heads = size / headDim;
        const isKv = /\.(k_proj|v_proj)$/.test(owner.path);
        if (heads % shards) {
          once(`heads:${generic}`, {
            code: isKv ? 'SS202' : 'SS201',
            slug: isKv ? 'kv-heads-not-divisible' : 'heads-not-divisible',
            severity: 'error',
            message: isKv
              ? `${heads} key/value heads are not divisible by tp=${shards}${shards > heads ? ': a TP degree above the KV-head count loads, then crashes in the first forward (shape [..., -1, ' + headDim + '] is invalid); transformers has no KV-head replication' : ': heads would be split mid-head'}`
              : `${heads} attention heads are not divisible by tp=${shards}: heads would be split mid-head and the attention reshape fails`,
            target: generic,
            entry: p.entry,
          });
        }
        return;
      }
      if (perHalf % shards) {
        const isVocab = (owner?.kind === 'embedding' || owner?.path === 'lm_head') && size === cfg.vocabSize;
        const lmGather = owner?.path === 'lm_head' && p.entry && /gather|_rep$|allgather/.test(p.entry.styleText);
        once(`div:${generic}:${dim}`, {
          code: isVocab ? 'SS205' : 'SS203',
          slug: isVocab ? 'vocab-not-divisible' : 'not-divisible',
          severity: lmGather ? 'error' : 'warning',
          message: lmGather
            ? `The output size of lm_head (${size}) must be divisible by the tensor parallel size (${shards}) when gathering a colwise output: transformers refuses to load`
            : `${generic} dim ${dim} (${size}${pl.kind === 'strided_shard' ? `, ${pl.splitFactor} packed halves of ${perHalf}` : ''}) is not divisible by ${shards}: shards are uneven (torch.chunk gives [${[...Array(shards)].map((_, r) => Math.max(0, Math.min(Math.ceil(perHalf / shards), perHalf - Math.ceil(perHalf / shards) * r))).join(', ')}]) and collectives pad to the largest`,
          target: generic,
          entry: p.entry,
        });
      }
    });
    // A fused [gate; up] weight split with plain Shard pairs the wrong halves.
    if (owner?.attrs?.packed === 2 && /gate_up_proj$/.test(p.name) && !owner.attrs.interleaved && n > 1) {
      const pl = p.placements.find((x) => x.kind === 'shard' && !p.expertParallel);
      const dim = pl && pl.kind === 'shard' ? (pl.dim < 0 ? pl.dim + p.globalShape.length : pl.dim) : -1;
      if (pl && dim === p.globalShape.length - 2) {
        once(`packed:${generic}`, { code: 'SS105', slug: 'packed-needs-packed-colwise', severity: 'error', message: `${generic} is a fused [gate; up] weight: ${placementRepr(pl)} gives rank 0 only gate rows and the last rank only up rows, so each rank multiplies the wrong halves; use packed_colwise (_StridedShard(dim=${dim}, sf=2))`, target: generic, entry: p.entry, suggestion: 'packed_colwise' });
      }
    }
  }
  // Experts that no entry shards are replicated on every rank.
  const expertMods = [...graph.modules.values()].filter((m) => m.kind === 'experts');
  if (expertMods.length && (n > 1 || c.epSize > 1)) {
    const unsharded = expertMods.filter((m) => m.params.every((p) => (byName.get(p.name)?.placements.length ?? 0) === 0 || byName.get(p.name)!.placements.every((x) => x.kind === 'replicate')));
    if (unsharded.length) {
      const bytes = unsharded.reduce((a, m) => a + m.params.reduce((s, p) => s + p.shape.reduce((x, y) => x * y, 1) * bytesOf(p.dtype), 0), 0);
      findings.push({ code: 'SS401', slug: 'experts-replicated', severity: 'warning', message: `No entry shards the experts of ${unsharded.length} MoE layer(s): they are silently replicated, ${formatBytes(bytes)} of expert weights on every rank (add packed_colwise / rowwise / moe_tp_experts, or an EP plan with grouped_gemm)`, target: wildcardName(unsharded[0].path) });
    }
  }
  // lm_head: no entry, or a gathered output over an unsharded weight (N× vocabulary logits).
  const head = byName.get('lm_head.weight');
  if (head && n > 1) {
    const emb = byName.get(`${graph.basePrefix}.embed_tokens.weight`);
    if (head.placements.length === 0 && !head.entry) {
      findings.push({ code: 'SS311', slug: 'lm-head-no-entry', severity: 'warning', message: `lm_head has no entry: its ${formatBytes(head.globalShape.reduce((a, b) => a * b, 1) * bytesOf(head.dtype))} weight is replicated on every rank and the logits are computed in full everywhere (transformers' own plan uses colwise_gather_output)`, target: 'lm_head', suggestion: 'colwise_gather_output' });
    }
    // transformers checks a gathering lm_head's vocabulary at load, whether or not the weight ends up sharded
    // (a tied lm_head is re-tied to the embedding afterwards), so the refusal does not depend on placements.
    const vocab = head.globalShape[0];
    if (head.entry && /gather|_rep$|allgather/.test(head.entry.styleText) && vocab % n && !findings.some((f) => f.code === 'SS205' && f.severity === 'error')) {
      findings.push({ code: 'SS205', slug: 'vocab-not-divisible', severity: 'error', message: `The output size of lm_head (${vocab}) must be divisible by the tensor parallel size (${n}) when gathering a colwise output: transformers refuses to load`, target: 'lm_head', entry: head.entry });
    }
    const gathers = head.entry && /gather_output|_rep$|allgather/.test(head.entry.styleText);
    if (gathers && cfg.tieWordEmbeddings && emb && emb.placements.every((x) => x.kind !== 'shard')) {
      findings.push({ code: 'SS312', slug: 'lm-head-n-times-vocab', severity: 'error', message: `lm_head gathers a colwise output, but its weight is tied to an unsharded embed_tokens: every rank computes all ${cfg.vocabSize} logits and the all-gather returns ${n}× the vocabulary`, target: 'lm_head', entry: head.entry });
    }
  }
  if (c.sequenceSharded && c.seqLen % n) {
    findings.push({ code: 'SS303', slug: 'sequence-not-divisible', severity: 'error', message: `sequence length ${c.seqLen} is not divisible by tp=${n}: sequence-parallel shards are uneven`, target: 'run.seq_len' });
  }
}
