// The streaming traceEvents tokenizer gives what JSON.parse gives, however the bytes are split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TraceEventStream, TraceFormatError } from '../../../extension/core/trace/json-stream';

/** Pushes `bytes` cut at `cuts` (any order, any positions), then ends the stream. */
function feed(s: TraceEventStream, bytes: Buffer, cuts: number[]): void {
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const end = Math.min(c, bytes.length);
    if (end > at) s.push(bytes.subarray(at, end));
    at = Math.max(at, end);
  }
  if (at < bytes.length) s.push(bytes.subarray(at));
  s.end();
}

function run(bytes: Buffer, cuts: number[]) {
  const events: unknown[] = [];
  const top: Record<string, unknown> = {};
  feed(new TraceEventStream({ event: (e) => events.push(e), topLevel: (k, v) => (top[k] = v) }), bytes, cuts);
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

/** Events a `wants` filter lets through, with the (cat, name) it was asked about. */
function runWanting(bytes: Buffer, cuts: number[], wants: (cat: string | undefined, name: string | undefined) => boolean) {
  const events: unknown[] = [];
  const asked: [string | undefined, string | undefined][] = [];
  const s = new TraceEventStream({
    event: (e) => events.push(e),
    wants: (cat, name) => {
      const n = name();
      asked.push([cat, n]);
      return wants(cat, n);
    },
  });
  feed(s, bytes, cuts);
  return { events, asked, count: s.count };
}

test('a wants filter sees each element\'s top-level cat and name, however they are written and the bytes are split, and skips what it refuses', () => {
  const catOrName = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('kernel', 'cpu_op', 'a"b', 'x\\y'));
  const ev = fc.record({
    cat: fc.option(catOrName, { nil: undefined }),
    name: fc.option(fc.oneof(catOrName, fc.integer()), { nil: undefined }),
    ts: fc.integer(),
    // Nested "cat" and "name" keys never count: only the event's own.
    args: fc.option(fc.record({ cat: fc.string({ maxLength: 3 }), name: fc.string({ maxLength: 3 }), grid: fc.array(fc.integer(), { maxLength: 3 }) }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(ev, { maxLength: 15 }), fc.array(fc.nat(3000), { maxLength: 10 }), fc.boolean(), (evs, cuts, pretty) => {
      const text = pretty ? JSON.stringify({ traceEvents: evs }, null, 2) : JSON.stringify({ traceEvents: evs });
      const expected = (JSON.parse(text) as { traceEvents: { cat?: unknown; name?: unknown }[] }).traceEvents;
      const keep = (cat: string | undefined) => cat !== 'cpu_op';
      const got = runWanting(Buffer.from(text), cuts, keep);
      assert.equal(got.count, expected.length);
      // What the filter was told: the plain value, or undefined for anything it cannot read without parsing.
      const plain = (v: unknown) => (typeof v === 'string' && /^[\x20-\x7e]*$/.test(v) && !/["\\]/.test(v) ? v : undefined);
      assert.deepEqual(got.asked, expected.map((e) => [plain(e.cat), plain(e.name)]));
      assert.deepEqual(got.events, expected.filter((e) => keep(plain(e.cat))));
    }),
    { numRuns: 300 },
  );
});
