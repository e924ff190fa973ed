// A rehearsal as the product runs it on GPUs: backend 'auto' finds the (stand-in) GPUs and takes them,
// the numbers agree with the unsharded reference, and NCCL's log reaches the rehearsal's log (the
// editor's output channel, the CLI's stderr).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearse } from '../../../extension/core/rehearse';
import { nativeExecutor } from '../../../extension/runtime';
import { childPath } from '../runtime/helpers';
import { target, REAL } from './target';

test('backend auto rehearses on the GPUs it finds, and NCCL\'s log reaches the rehearsal log', async (t) => {
  const gpus = await target({ gpus: 8, env: { NCCL_DEBUG: 'INFO' } });
  if (gpus.gpus < 8) return t.skip('needs 8 GPUs');
  const log: string[] = [];
  const r = await rehearse('examples/llama-3-8b/tp.shardplan.json', {
    layers: [0], tokens: 8, widthScale: 16, backend: 'auto',
    executor: nativeExecutor({ childPath: childPath(), libraryDirs: gpus.libraryDirs, env: gpus.env }),
    onLog: (l) => log.push(l),
  });
  assert.equal(r.backend, 'cuda', r.notes.join('\n'));
  assert.equal(r.verdict, 'match', JSON.stringify(r.firstMismatch ?? r.error));
  const nccl = log.filter((l) => l.startsWith('nccl: '));
  assert.ok(nccl.some((l) => /Init COMPLETE/.test(l)), `no NCCL init in the log:\n${log.join('\n')}`);
  if (!REAL) assert.ok(nccl.some((l) => /nranks 8/.test(l)), 'the communicator of the 8-rank group');
});
