// Bytes per element of the dtypes that appear in configs and checkpoints.
import type { DType } from '../models/types';

export function bytesOf(dtype: DType | string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'float64':
    case 'int64':
      return 8;
    case 'bfloat16':
    case 'float16':
      return 2;
    default:
      return 1;
  }
}

export function toDType(name: string | undefined, fallback: DType): DType {
  const map: Record<string, DType> = { float32: 'float32', fp32: 'float32', bfloat16: 'bfloat16', bf16: 'bfloat16', float16: 'float16', fp16: 'float16' };
  return (name && map[name]) || fallback;
}
