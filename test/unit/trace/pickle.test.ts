// The safe pickle reader against Python's own pickles in every protocol (test/oracle/pickles.py), and
// its refusal of a pickle that would call code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readPickle, PickleError, type PickleValue } from '../../../extension/core/trace/pickle';

const F = 'test/fixtures/trace/pickle';
const load = (name: string) => readPickle(new Uint8Array(readFileSync(`${F}/${name}`)));
/** Bytes as lists of numbers, as the JSON twin writes them. */
const plain = (v: PickleValue): unknown => v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

test('plain data in pickle protocols 0 to 5 reads as Python wrote it', () => {
  const expected = JSON.parse(readFileSync(`${F}/values.json`, 'utf8'));
  for (let p = 0; p <= 5; p++) {
    const v = load(`values_p${p}.pkl`) as Record<string, PickleValue>;
    assert.deepEqual(plain(v), expected, `protocol ${p}`);
    // a "__proto__" key is data, never the object's prototype
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // the 64-bit timestamp reads as the nearest double, as JSON.parse reads the JSON dump
    assert.equal((v.ints as number[])[11], 1795599330599711340);
    assert.equal((v.strings as string[])[2], 'ünïcödé ✓');
  }
});

test('bytes and sets (protocols 4 and 5)', () => {
  const expected = JSON.parse(readFileSync(`${F}/extra.json`, 'utf8'));
  for (const p of [4, 5]) {
    const v = load(`extra_p${p}.pkl`) as Record<string, PickleValue>;
    assert.ok(v.bytes instanceof Uint8Array);
    assert.deepEqual(plain(v), expected);
  }
});

test('a pickle that would import and call code is refused, with the byte where reading stopped', () => {
  assert.throws(() => load('refused_reduce.pkl'), (e: Error) => e instanceof PickleError && /^refused opcode GLOBAL: .* would import or call code at byte \d+$/.test(e.message));
  // STACK_GLOBAL (protocol 4) and REDUCE on their own
  assert.throws(() => readPickle(new Uint8Array([0x80, 4, 0x8c, 1, 0x6f, 0x8c, 1, 0x73, 0x93, 0x2e])), /refused opcode STACK_GLOBAL.*at byte 8/);
  assert.throws(() => readPickle(new Uint8Array([0x80, 2, 0x4e, 0x29, 0x52, 0x2e])), /refused opcode REDUCE.*at byte 4/);
});

test('truncated and malformed pickles: located errors', () => {
  const whole = new Uint8Array(readFileSync(`${F}/values_p4.pkl`));
  assert.throws(() => readPickle(whole.subarray(0, 100)), (e: Error) => e instanceof PickleError && /ends early|empty|expected/.test(e.message));
  assert.throws(() => readPickle(new Uint8Array([0x80, 2, 0xff])), /unknown pickle opcode 0xff at byte 2/);
  assert.throws(() => readPickle(new Uint8Array([0x80, 2, 0x4e, 0x4e, 0x2e])), /stops with more than one value/);
  assert.throws(() => readPickle(new Uint8Array([0x80, 2, 0x68, 5, 0x2e])), /memo entry 5 was never stored at byte 2/);
  // the memo can make a list hold itself: refused (plain data has no cycles, and every walker after the reader would loop)
  assert.throws(() => readPickle(new Uint8Array([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e])), (e: Error) => e instanceof PickleError && /holds itself \(a cycle\)/.test(e.message) && e.offset === 8);
  // a shared list (the memo again, without a cycle) is fine
  const shared = readPickle(new Uint8Array([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x86, 0x2e])) as PickleValue[];
  assert.equal(shared[0], shared[1]);
});
