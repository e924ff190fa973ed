// A safe reader for Python pickles of plain data, as PyTorch's Flight Recorder dumps them by default
// (`_dump_fr_trace`): dicts, lists, tuples, strings, bytes, ints, floats, bools and None. Opcodes that
// would import a name, call it or build an object (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ,
// NEWOBJ, EXT*, PERSID, out-of-band buffers) are refused: nothing in a pickle is ever executed here.
// Tuples and sets read as arrays, dicts as objects (keys as strings), ints beyond 2^53 as the nearest
// number (as JSON.parse would read them).

import { pushAll } from '../util/arrays';
import { LIMITS } from '../limits';

/** A pickle this reader will not read, with the byte offset where it stopped. */
export class PickleError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export type PickleValue = null | boolean | number | string | Uint8Array | PickleValue[] | { [key: string]: PickleValue };

/** Opcodes that import or call code, by byte, for the refusal message. */
const REFUSED: Record<number, string> = {
  0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x52: 'REDUCE', 0x62: 'BUILD', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x50: 'PERSID', 0x51: 'BINPERSID',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

/** An own, enumerable property even for keys like "__proto__": a pickle never reaches a prototype. */
function setKey(obj: { [key: string]: PickleValue }, key: PickleValue, value: PickleValue): void {
  Object.defineProperty(obj, String(key), { value, enumerable: true, writable: true, configurable: true });
}

/** Reads one pickle (protocols 0-5) of plain data. */
export function readPickle(bytes: Uint8Array): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  const latin1 = new TextDecoder('latin1');
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  let at = 0;
  const fail = (msg: string): never => {
    throw new PickleError(`${msg} at byte ${at}`, at);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail('the pickle ends early');
  };
  const u8 = (): number => { need(1); return bytes[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => { need(8); const v = Number(view.getBigUint64(pos, true)); pos += 8; return v; };
  const take = (n: number): Uint8Array => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text argument has no end of line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  /** Two's-complement little-endian integer of any length (LONG1, LONG4). */
  const long = (b: Uint8Array): number => {
    if (!b.length) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined) fail('the stack is empty');
    if (v === MARK) fail('a value was expected, found a mark');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('a value was expected');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('no mark to pop to');
    return stack.splice(m!) as PickleValue[];
  };
  const asList = (v: PickleValue): PickleValue[] => (Array.isArray(v) ? v : fail('a list was expected'));
  const asDict = (v: PickleValue): { [key: string]: PickleValue } =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? v : fail('a dict was expected');
  for (;;) {
    at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail('the pickle stops with more than one value');
        const shape = shapeProblem(top());
        if (shape) fail(shape);
        return pop();
      }
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x49: { // INT (text; "I01"/"I00" are protocol 0 bools)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4c: stack.push(Number(line().replace(/L$/, ''))); break; // LONG (text)
      case 0x8a: stack.push(long(take(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative length'); stack.push(long(take(n))); break; } // LONG4
      case 0x46: stack.push(Number(line())); break; // FLOAT (text)
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(take(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)))); break; // UNICODE
      case 0x53: { // STRING (a quoted Python 2 str)
        const s = line();
        stack.push(s.replace(/^(['"])(.*)\1$/, '$2'));
        break;
      }
      case 0x54: { const n = i32(); if (n < 0) fail('negative length'); stack.push(latin1.decode(take(n))); break; } // BINSTRING
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x7d: stack.push({}); break; // EMPTY_DICT
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x6c: case 0x74: case 0x91: { // LIST, TUPLE, FROZENSET
        const items = popMark();
        items.shift();
        stack.push(items);
        break;
      }
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x61: { const v = pop(); asList(top()).push(v); break; } // APPEND
      case 0x65: case 0x90: { // APPENDS, ADDITEMS
        const items = popMark();
        items.shift();
        pushAll(asList(top()), items);
        break;
      }
      case 0x64: { // DICT
        const items = popMark();
        items.shift();
        const d: { [key: string]: PickleValue } = {};
        for (let i = 0; i + 1 < items.length; i += 2) setKey(d, items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: { const v = pop(), k = pop(); setKey(asDict(top()), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        items.shift();
        const d = asDict(top());
        for (let i = 0; i + 1 < items.length; i += 2) setKey(d, items[i], items[i + 1]);
        break;
      }
      case 0x30: { // POP
        if (stack[stack.length - 1] === MARK) { stack.pop(); marks.pop(); } else pop();
        break;
      }
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET, BINGET, LONG_BINGET
        const k = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo entry ${k} was never stored`);
        stack.push(memo.get(k)!);
        break;
      }
      default:
        if (REFUSED[op]) fail(`refused opcode ${REFUSED[op]}: a Flight Recorder dump holds plain data only, and this pickle would import or call code`);
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

type Container = PickleValue[] | { [key: string]: PickleValue };

function childrenOf(v: PickleValue): PickleValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.values(v);
  return undefined;
}

/**
 * Why a read value is not plain data a walker can take, or undefined: memo references let a pickle put a
 * container inside itself (a cycle) or nest past LIMITS.nestingDepth. Heights are computed once per
 * container (shared ones are fine), iteratively, so neither the check nor the input can exhaust the stack.
 */
function shapeProblem(root: PickleValue): string | undefined {
  const height = new Map<Container, number>(); // finished containers
  const open = new Set<Container>(); // containers on the current path
  const stack: { node: Container; kids: PickleValue[]; next: number; h: number }[] = [];
  const enter = (v: PickleValue): string | undefined => {
    const kids = childrenOf(v);
    if (!kids) return undefined;
    const node = v as Container;
    if (open.has(node)) return 'a container holds itself (a cycle), which plain data cannot';
    if (height.has(node)) return undefined;
    open.add(node);
    stack.push({ node, kids, next: 0, h: 1 });
    if (stack.length > LIMITS.nestingDepth) return `nested more than ${LIMITS.nestingDepth} deep (the limit for pickled data)`;
    return undefined;
  };
  const first = enter(root);
  if (first) return first;
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.next < f.kids.length) {
      const kid = f.kids[f.next++];
      const problem = enter(kid);
      if (problem) return problem;
      const done = childrenOf(kid) ? height.get(kid as Container) : undefined;
      if (done !== undefined) {
        if (done + 1 > f.h) f.h = done + 1;
        if (f.h + stack.length - 1 > LIMITS.nestingDepth) return `nested more than ${LIMITS.nestingDepth} deep (the limit for pickled data)`;
      }
      continue;
    }
    stack.pop();
    open.delete(f.node);
    height.set(f.node, f.h);
    const parent = stack[stack.length - 1];
    if (parent && f.h + 1 > parent.h) parent.h = f.h + 1;
  }
  return undefined;
}
