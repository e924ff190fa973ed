// Event colours by kind: each collective its own hue, compute and memcpy fixed, readable on light and dark.
const FIXED: Record<string, string> = {
  compute: '#4e79a7', memcpy: '#9c755f', idle: '#8c8c8c', other: '#bab0ac',
  all_reduce: '#e15759', all_gather: '#59a14f', reduce_scatter: '#f28e2b', all_to_all: '#b07aa1',
  broadcast: '#76b7b2', send_recv: '#edc948', barrier: '#ff9da7',
};

export function kindColor(kind: string): string {
  if (FIXED[kind]) return FIXED[kind];
  let hash = 0;
  for (let i = 0; i < kind.length; i++) hash = (hash * 31 + kind.charCodeAt(i)) | 0;
  return `hsl(${Math.abs(hash) % 360}, 55%, 55%)`;
}
