// Time to build a model graph from config values (uncached) and to read a checkpoint's headers.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeRuns } from './measure';
import { buildGraph, normalizeConfig, ARCHITECTURES, findPreset, readCheckpointFolder, convertCheckpoint } from '../extension/core/models';

/** Build without the graph cache: normalisation plus the full tree, params and flows. */
function build(preset: string) {
  const raw = findPreset(preset)!.config;
  return () => void buildGraph(ARCHITECTURES[raw.model_type as string], normalizeConfig(raw));
}

/** A Mixtral-8x7B-sized header set (per-expert tensors, 995 names) in 19 shards, data bytes omitted. */
function mixtralCheckpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-'));
  const names: [string, number[]][] = [['model.embed_tokens.weight', [32000, 4096]], ['model.norm.weight', [4096]], ['lm_head.weight', [32000, 4096]]];
  for (let l = 0; l < 32; l++) {
    const p = `model.layers.${l}`;
    for (const [n, s] of [['q_proj', [4096, 4096]], ['k_proj', [1024, 4096]], ['v_proj', [1024, 4096]], ['o_proj', [4096, 4096]]] as const) names.push([`${p}.self_attn.${n}.weight`, [...s]]);
    names.push([`${p}.input_layernorm.weight`, [4096]], [`${p}.post_attention_layernorm.weight`, [4096]], [`${p}.block_sparse_moe.gate.weight`, [8, 4096]]);
    for (let e = 0; e < 8; e++) for (const w of ['w1', 'w3', 'w2']) names.push([`${p}.block_sparse_moe.experts.${e}.${w}.weight`, w === 'w2' ? [4096, 14336] : [14336, 4096]]);
  }
  const weightMap: Record<string, string> = {};
  const shards = 19;
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-000${shards}.safetensors`;
    const header: Record<string, unknown> = {};
    names.filter((_, i) => i % shards === s).forEach(([n, shape]) => {
      header[n] = { dtype: 'BF16', shape, data_offsets: [0, 0] };
      weightMap[n] = file;
    });
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(dir, file), Buffer.concat([len, json]));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
  return dir;
}

export default async function () {
  const dir = mixtralCheckpoint();
  const ckpt = timeRuns(() => void convertCheckpoint(readCheckpointFolder(dir), 32), 5, 50).median;
  rmSync(dir, { recursive: true, force: true });
  return [
    { name: 'models: build DeepSeek-V3 graph (61 layers, uncached)', value: timeRuns(build('deepseek-v3')).median, unit: 'ms', budget: 2, better: 'lower' as const },
    { name: 'models: build Llama-3-8B graph (uncached)', value: timeRuns(build('llama-3-8b')).median, unit: 'ms', budget: 1, better: 'lower' as const },
    { name: 'models: build Qwen3-30B-A3B graph (uncached)', value: timeRuns(build('qwen3-30b-a3b')).median, unit: 'ms', budget: 1.5, better: 'lower' as const },
    { name: 'models: Mixtral-8x7B headers, 19 shards → fused names', value: ckpt, unit: 'ms', budget: 20, better: 'lower' as const, note: '995 tensors, headers only' },
  ];
}
