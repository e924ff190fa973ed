// The streaming traceEvents tokenizer gives what JSON.parse gives, however the bytes are split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TraceEventStream, TraceFormatError } from '../../../extension/core/trace/json-stream';

function run(bytes: Buffer, cuts: number[]) {
  const events: unknown[] = [];
  const top: Record<string, unknown> = {};
  const s = new TraceEventStream({ event: (e) => events.push(e), topLevel: (k, v) => (top[k] = v) });
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const end = Math.min(c, bytes.length);
    if (end > at) s.push(bytes.subarray(at, end));
    at = Math.max(at, end);
  }
  if (at < bytes.length) s.push(bytes.subarray(at));
  s.end();
  return { events, top };
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const event = fc.record({ name: fc.string({ unit: 'grapheme' }), ph: fc.constantFrom('X', 'M', 'i'), ts: fc.double({ noNaN: true, noDefaultInfinity: true }), args: fc.dictionary(fc.string(), jsonValue, { maxKeys: 4 }) });

test('any events, any top-level keys, any chunking: the same as JSON.parse', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 20 }), fc.dictionary(fc.string().filter((k) => k !== 'traceEvents'), jsonValue, { maxKeys: 3 }), fc.array(fc.nat(4000), { maxLength: 12 }), fc.boolean(), (evs, extra, cuts, pretty) => {
      const doc = { ...extra, traceEvents: evs, tail: 'end"\\' };
      const text = pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc);
      const expected = JSON.parse(text);
      const got = run(Buffer.from(text), cuts);
      assert.deepEqual(got.events, expected.traceEvents);
      for (const k of Object.keys(expected)) if (k !== 'traceEvents') assert.deepEqual(got.top[k], expected[k]);
    }),
    { numRuns: 300 },
  );
});

test('a bare array of events is a trace too; a multi-byte character split across chunks survives', () => {
  const text = '[{"name":"ü→😀","ts":1},{"name":"b","ts":2}]';
  const bytes = Buffer.from(text);
  for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(run(bytes, [cut]).events, JSON.parse(text));
});

test('truncated and malformed traces: errors with the byte offset', () => {
  assert.throws(() => run(Buffer.from('{"traceEvents": [{"ts": 1}'), []), (e: Error) => e instanceof TraceFormatError && /ends before/.test(e.message));
  assert.throws(() => run(Buffer.from('  x'), []), (e: Error) => e instanceof TraceFormatError && e.offset === 2);
  assert.throws(() => run(Buffer.from('{"a" 1}'), []), (e: Error) => e instanceof TraceFormatError && /expected ":"/.test(e.message) && e.offset === 5);
});
