// Names of collectives as c10d, NCCL kernels and our own traces spell them, mapped onto one vocabulary,
// and the nccl-tests bus-bandwidth convention.

/** Canonical op from a c10d name (`_allgather_base`, `reduce_scatter_tensor_coalesced`, `nccl:all_reduce`, `send`). */
export function canonicalOp(name: string): string {
  const s = name.toLowerCase().replace(/^nccl:|^c10d::/, '').replace(/[^a-z]/g, '');
  if (s.includes('reducescatter')) return 'reduce_scatter';
  if (s.includes('allreduce')) return 'all_reduce';
  if (s.includes('allgather')) return 'all_gather';
  if (s.includes('alltoall')) return 'all_to_all';
  if (s.includes('broadcast')) return 'broadcast';
  if (s.includes('sendrecv') || s === 'send' || s === 'recv' || s.startsWith('send') || s.startsWith('recv')) return 'send_recv';
  if (s.includes('barrier')) return 'barrier';
  if (s.includes('scatter')) return 'scatter';
  if (s.includes('gather')) return 'gather';
  if (s.includes('reduce')) return 'reduce';
  return s || name;
}

const KERNEL = /^(?:nccl|rccl)(?:Dev)?Kernel_([A-Za-z]+)/;

/** Whether a GPU kernel is a communication kernel (HTA's rule, widened to NCCL ≥ 2.19 names). */
export function isCommKernel(name: string): boolean {
  return /^nccl|^rccl|^hccl|ncclKernel|ncclDevKernel/.test(name);
}

/** Op from a kernel name: `ncclKernel_AllReduce_RING_LL_Sum_float(...)`, `ncclDevKernel_ReduceScatter_Sum_f32_RING_LL(...)`. */
export function opFromKernel(name: string): string {
  const m = KERNEL.exec(name.split('(')[0]);
  if (!m) return 'nccl';
  if (m[1] === 'Generic') return 'nccl_generic';
  return canonicalOp(m[1]);
}

/** nccl-tests bus-bandwidth factor for n ranks. */
export function busBwFactor(op: string, n: number): number {
  if (n <= 1) return 1;
  switch (op) {
    case 'all_reduce': return (2 * (n - 1)) / n;
    case 'all_gather':
    case 'reduce_scatter':
    case 'all_to_all': return (n - 1) / n;
    default: return 1;
  }
}

/** Bus bandwidth in GB/s of `bytes` (nccl-tests S) moved in `durUs`. */
export function busBwGbps(op: string, bytes: number, durUs: number, groupSize: number): number {
  if (!(durUs > 0) || !(bytes > 0)) return 0;
  return (bytes / (durUs * 1e3)) * busBwFactor(op, groupSize);
}

/** nccl-tests' bus-bandwidth factor as written in its PERFORMANCE.md, per op. */
const BUS_FACTOR_TEXT: Record<string, string> = {
  all_reduce: '2(n−1)/n', all_gather: '(n−1)/n', reduce_scatter: '(n−1)/n', all_to_all: '(n−1)/n', broadcast: '1', reduce: '1', send_recv: '1',
};

/**
 * Bus bandwidth of one collective by the nccl-tests convention: S bytes over the measured time t, times the
 * op's factor for a group of n ranks; or why it cannot be known from what the trace says.
 */
export function busBandwidth(op: string, bytes: number, durUs: number, n: number): { gbps: number; formula: string } | { reason: string } {
  if (op === 'barrier') return { reason: 'a barrier moves no data' };
  if (!Number.isFinite(bytes)) return { reason: 'the trace gives no byte count for it' };
  if (!(bytes > 0)) return { reason: 'the trace gives 0 bytes for it' };
  if (!(durUs > 0)) return { reason: 'its measured duration is 0' };
  if (!(n >= 1)) return { reason: 'its group size is unknown' };
  const factor = BUS_FACTOR_TEXT[op];
  if (!factor) return { reason: `nccl-tests has no bus-bandwidth convention for ${op}` };
  if (n === 1 && factor !== '1') return { reason: 'a group of one rank moves nothing between ranks' };
  return { gbps: busBwGbps(op, bytes, durUs, n), formula: `S/t × ${factor}, n = ${n}` };
}

const DTYPE_BYTES: Record<string, number> = {
  float: 4, float32: 4, double: 8, float64: 8, half: 2, float16: 2, bfloat16: 2, long: 8, int64: 8, int: 4, int32: 4,
  short: 2, int16: 2, char: 1, int8: 1, byte: 1, uint8: 1, bool: 1, float8_e4m3fn: 1, float8_e5m2: 1,
};

/** Element size of a c10d dtype name (`Float`, `BFloat16`, `Long`); 0 when unknown. */
export function dtypeSize(dtype: unknown): number {
  return typeof dtype === 'string' ? DTYPE_BYTES[dtype.toLowerCase()] ?? 0 : 0;
}

/** nccl-tests S bytes from c10d element counts: all_gather counts its output, the rest their input. */
export function collectiveBytes(op: string, dtype: string | undefined, inElems: number, outElems: number): number | undefined {
  const size = dtypeSize(dtype);
  if (!size) return undefined;
  const elems = op === 'all_gather' ? outElems : op === 'send_recv' ? Math.max(inElems, outElems) : inElems;
  return elems > 0 ? elems * size : undefined;
}

/** Parses "[0, 1, 2]" or a list into ranks. */
export function parseRankList(v: unknown): number[] | undefined {
  if (Array.isArray(v)) return v.map(Number).filter(Number.isFinite);
  if (typeof v === 'string') {
    const nums = v.match(/-?\d+/g);
    return nums ? nums.map(Number) : undefined;
  }
  return undefined;
}
