// Kineto import throughput against JSON.parse on the same uncompressed bytes, on a generated trace of
// at least 200 MB (bench/out/, kept between runs). Both sides decode UTF-8 and parse every event; the
// import also builds the trace model.
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { readKinetoFiles } from '../extension/core/trace/read';

const PATH = 'bench/out/kineto-200mb.json';
const MIN_BYTES = 200 * 1024 * 1024;

async function generate(): Promise<void> {
  const out = createWriteStream(PATH);
  const write = (s: string): Promise<void> => new Promise((r) => (out.write(s) ? r() : out.once('drain', () => r())));
  await write('{"schemaVersion": 1, "distributedInfo": {"backend": "nccl", "rank": 0, "world_size": 8}, "baseTimeNanoseconds": 1735689600000000000, "traceEvents": [\n');
  let bytes = 0, i = 0, ts = 0;
  while (bytes < MIN_BYTES + 1024 * 1024) {
    const parts: string[] = [];
    for (let k = 0; k < 1000; k++, i++) {
      ts += 3.25;
      const e = i % 10 === 0
        ? { ph: 'X', cat: 'kernel', name: 'ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)', pid: 0, tid: 20, ts, dur: 40.5, args: { 'External id': i, device: 0, stream: 20, correlation: i + 7, grid: [2, 1, 1], block: [512, 1, 1], 'Collective name': 'allreduce', dtype: 'BFloat16', 'In msg nelems': 4096, 'Out msg nelems': 4096, 'Group size': 8, 'Process Group Name': '0', 'Process Group Ranks': '[0, 1, 2, 3, 4, 5, 6, 7]', Seq: i / 10 } }
        : i % 3 === 0
          ? { ph: 'X', cat: 'cpu_op', name: 'aten::mm', pid: 4242, tid: 4242, ts, dur: 12.0, args: { 'External id': i, 'Record function id': 0, 'Ev Idx': i, 'Input Dims': [[8, 4096], [4096, 4096]], 'Input type': ['c10::BFloat16', 'c10::BFloat16'] } }
          : { ph: 'X', cat: 'kernel', name: 'sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1', pid: 0, tid: 7, ts, dur: 2.5, args: { 'External id': i, queued: 0, device: 0, context: 1, stream: 7, correlation: i + 9, 'registers per thread': 168, 'shared memory': 213504, 'blocks per SM': 0.12, 'warps per SM': 0.5, grid: [132, 1, 1], block: [384, 1, 1], 'est. achieved occupancy %': 6 } };
      parts.push(JSON.stringify(e));
    }
    const chunk = (i > 1000 ? ',\n' : '') + parts.join(',\n');
    bytes += chunk.length;
    await write(chunk);
  }
  await write('\n]}\n');
  await new Promise<void>((r) => out.end(() => r()));
}

export default async () => {
  if (!existsSync(PATH) || statSync(PATH).size < MIN_BYTES) await generate();
  const size = statSync(PATH).size;
  const mb = size / (1024 * 1024);
  const buf = readFileSync(PATH);
  // JSON.parse: best of 2 (decode + parse)
  let parseMs = Infinity;
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    const doc = JSON.parse(buf.toString('utf8'));
    parseMs = Math.min(parseMs, performance.now() - t);
    if (!doc.traceEvents.length) throw new Error('empty trace');
  }
  let importMs = Infinity, events = 0;
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    const trace = await readKinetoFiles([PATH]);
    importMs = Math.min(importMs, performance.now() - t);
    events = trace.events.length;
  }
  const parseRate = mb / (parseMs / 1000), importRate = mb / (importMs / 1000);
  return [
    { name: 'trace import: JSON.parse', value: parseRate, unit: 'MB/s', better: 'higher', note: `${mb.toFixed(0)} MB` },
    { name: 'trace import: streaming Kineto import', value: importRate, unit: 'MB/s', better: 'higher', note: `${events} events kept` },
    { name: 'trace import: import / JSON.parse', value: importRate / parseRate, unit: 'ratio', budget: 0.5, better: 'higher' },
  ];
};
