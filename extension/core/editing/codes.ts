// Stable diagnostic codes: the editor, the CLI and the README share this table.
import type { Severity } from '../plan/types';

export interface CodeInfo {
  code: string;
  slug: string;
  severity: Severity;
  summary: string;
}

export const CODES: CodeInfo[] = [
  { code: 'SS001', slug: 'syntax', severity: 'error', summary: 'the plan source does not parse' },
  { code: 'SS002', slug: 'bad-mesh', severity: 'error', summary: 'a mesh dim that is not a positive integer' },
  { code: 'SS003', slug: 'no-plan', severity: 'warning', summary: 'a *.shardplan.json with no plan' },
  { code: 'SS004', slug: 'no-model', severity: 'warning', summary: 'no model to check the plan against' },
  { code: 'SS005', slug: 'over-limit', severity: 'error', summary: 'a mesh, an expert-parallel choice or a configuration value over the input limits (README, Limits)' },
  { code: 'SS006', slug: 'not-read', severity: 'info', summary: 'a plan entry (or plan) written as code that cannot be evaluated without running it' },
  { code: 'SS011', slug: 'model-not-checked', severity: 'info', summary: 'an architecture the transformers version in use does not record: patterns and collectives not checked' },
  { code: 'SS012', slug: 'collectives-not-computed', severity: 'info', summary: 'a model whose layers are not the standard decoder flow: patterns checked, collectives not computed' },
  { code: 'SS013', slug: 'transformers-version-substituted', severity: 'info', summary: 'the transformers version in use is not recorded: the nearest recorded version answers' },
  { code: 'SS101', slug: 'unknown-style', severity: 'error', summary: 'a style the transformers generation in use does not know' },
  { code: 'SS102', slug: 'pattern-matches-nothing', severity: 'warning', summary: 'a key that matches no module or parameter' },
  { code: 'SS103', slug: 'duplicate-key', severity: 'warning', summary: 'a key given twice' },
  { code: 'SS104', slug: 'invalid-placement', severity: 'error', summary: 'a placement that does not fit the parameter' },
  { code: 'SS105', slug: 'packed-needs-packed-colwise', severity: 'error', summary: 'a fused gate_up_proj split with plain colwise' },
  { code: 'SS106', slug: 'sp-not-wired', severity: 'warning', summary: 'a sequence-parallel plan on a transformers version that does not wire SP' },
  { code: 'SS107', slug: 'indexed-key-unused', severity: 'warning', summary: 'an indexed key the generation in use normalises away' },
  { code: 'SS108', slug: 'param-key-hides-module-key', severity: 'warning', summary: 'a parameter key overriding its module key with a different style' },
  { code: 'SS109', slug: 'ep-plan-unused', severity: 'warning', summary: 'an ep_plan that is never applied (no expert_parallel dims)' },
  { code: 'SS201', slug: 'heads-not-divisible', severity: 'error', summary: 'attention heads not divisible by tp' },
  { code: 'SS202', slug: 'kv-heads-not-divisible', severity: 'error', summary: 'KV heads not divisible by tp' },
  { code: 'SS203', slug: 'not-divisible', severity: 'warning', summary: 'a sharded dim not divisible by its shards (uneven)' },
  { code: 'SS204', slug: 'experts-not-divisible', severity: 'error', summary: 'experts not divisible by the expert-parallel size' },
  { code: 'SS205', slug: 'vocab-not-divisible', severity: 'warning', summary: 'a vocabulary not divisible by tp' },
  { code: 'SS301', slug: 'colwise-not-paired', severity: 'error', summary: 'a colwise output that no rowwise consumes' },
  { code: 'SS302', slug: 'rowwise-input-replicated', severity: 'error', summary: 'a rowwise layer fed a replicated input' },
  { code: 'SS303', slug: 'sequence-not-divisible', severity: 'error', summary: 'sequence length not divisible by tp under SP' },
  { code: 'SS304', slug: 'sequence-not-gathered', severity: 'error', summary: 'a sequence-sharded activation that nothing gathers' },
  { code: 'SS305', slug: 'sequence-not-scattered', severity: 'error', summary: 'a replicated activation taken as sequence-sharded' },
  { code: 'SS306', slug: 'partial-not-reduced', severity: 'error', summary: 'a partial sum never reduced' },
  { code: 'SS307', slug: 'norm-on-sharded-hidden', severity: 'error', summary: 'a norm over a sharded hidden dim' },
  { code: 'SS308', slug: 'heads-layout-mismatch', severity: 'error', summary: 'queries and keys/values laid out differently' },
  { code: 'SS309', slug: 'layout-mismatch', severity: 'error', summary: 'tensors combined with different layouts' },
  { code: 'SS310', slug: 'experts-output-not-reduced', severity: 'error', summary: 'sharded experts whose outputs nothing combines' },
  { code: 'SS311', slug: 'lm-head-no-entry', severity: 'warning', summary: 'an lm_head with no entry' },
  { code: 'SS312', slug: 'lm-head-n-times-vocab', severity: 'error', summary: 'an lm_head returning N× the vocabulary' },
  { code: 'SS401', slug: 'experts-replicated', severity: 'warning', summary: 'MoE experts no entry shards' },
  { code: 'SS402', slug: 'memory-over-gpu', severity: 'error', summary: 'per-rank memory above the GPU memory' },
];

export const CODE_BY_ID = new Map(CODES.map((c) => [c.code, c]));
