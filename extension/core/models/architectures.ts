// Every architecture with a descriptor (one file each under arch/), by model_type.
import type { Architecture } from './arch/descriptor';
import { llama } from './arch/llama';
import { mistral } from './arch/mistral';
import { qwen2 } from './arch/qwen2';
import { qwen3 } from './arch/qwen3';
import { mixtral } from './arch/mixtral';
import { qwen3_moe } from './arch/qwen3_moe';
import { deepseek_v3 } from './arch/deepseek_v3';
import { gpt_oss } from './arch/gpt_oss';

export type { Architecture };

// No prototype: a model_type such as "constructor" or "__proto__" from a config.json must find nothing.
export const ARCHITECTURES: Record<string, Architecture> = Object.assign(Object.create(null) as Record<string, Architecture>, { llama, mistral, qwen2, qwen3, mixtral, qwen3_moe, deepseek_v3, gpt_oss });
