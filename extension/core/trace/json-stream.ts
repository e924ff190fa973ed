// Streams the elements of a trace's `traceEvents` array without ever holding the file as one string:
// V8 caps a string near 512 MB and real Kineto traces pass that. The scanner only finds where each
// element ends (skipping string contents with Buffer.indexOf), then JSON.parse reads that slice.
import { jsonSyntaxProblem } from '../util/json';
import { LIMITS, formatBytes } from '../limits';

export interface TraceStreamHandlers {
  /** One element of `traceEvents` (or of a bare top-level array). */
  event(e: unknown): void;
  /**
   * Whether an element is worth parsing, from its top-level "cat" and "name" string values (undefined
   * when absent, not a string, or holding escapes; the name is read only when asked for): elements it
   * refuses are skipped unparsed. Absent: every element is parsed.
   */
  wants?(cat: string | undefined, name: () => string | undefined): boolean;
  /** Any other top-level key of the trace object, parsed whole. */
  /** `raw` is the value's JSON text: integers past 2^53 (baseTimeNanoseconds) keep every digit there. */
  topLevel?(key: string, value: unknown, raw: string): void;
}

export class TraceFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d,
  COMMA = 0x2c, COLON = 0x3a;

type State = 'start' | 'key' | 'colon' | 'value' | 'events' | 'done';

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index just past the closing quote of the string whose opening quote is at `open`, or -1 if not in `buf` yet. */
function stringEnd(buf: Buffer, open: number): number {
  let j = buf.indexOf(QUOTE, open + 1);
  while (j !== -1) {
    let k = j - 1, slashes = 0;
    while (buf[k] === BACKSLASH) { slashes++; k--; }
    if ((slashes & 1) === 0) return j + 1;
    j = buf.indexOf(QUOTE, j + 1);
  }
  return -1;
}

/** Index just past the JSON value starting at `start`, or -1 when the buffer ends first. */
function valueEnd(buf: Buffer, start: number, final: boolean): number {
  const c = buf[start];
  if (c === QUOTE) return stringEnd(buf, start);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    let i = start;
    const n = buf.length;
    while (i < n) {
      const b = buf[i];
      if (b === QUOTE) {
        const e = stringEnd(buf, i);
        if (e < 0) return -1;
        i = e;
        continue;
      }
      if (b === LBRACE || b === LBRACKET) depth++;
      else if (b === RBRACE || b === RBRACKET) {
        if (--depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // number, true, false, null: up to the next delimiter
  let i = start;
  while (i < buf.length) {
    const b = buf[i];
    if (b === COMMA || b === RBRACE || b === RBRACKET || isSpace(b)) return i;
    i++;
  }
  return final ? i : -1;
}

/** Where the top-level "cat" and "name" string values of an object lie (byte ranges inside the quotes), found while finding its end. */
interface Peek {
  catS: number; catE: number; nameS: number; nameE: number;
}

const CAT = Buffer.from('"cat"'), NAME = Buffer.from('"name"');

function isKey(buf: Buffer, s: number, e: number, key: Buffer): boolean {
  if (e - s !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[s + k] !== key[k]) return false;
  return true;
}

/** valueEnd for an object, also noting its top-level "cat" and "name" string values in `peek` (-1 when absent). */
function objectEnd(buf: Buffer, start: number, peek: Peek): number {
  peek.catS = peek.catE = peek.nameS = peek.nameE = -1;
  let depth = 0;
  let i = start;
  const n = buf.length;
  // At depth 1: the next string is a key (after "{" or ","), else a value (after ":").
  let expectKey = false;
  let lastKey = 0; // 1: "cat", 2: "name", 0: another key
  while (i < n) {
    const b = buf[i];
    if (b === QUOTE) {
      const e = stringEnd(buf, i);
      if (e < 0) return -1;
      if (depth === 1) {
        if (expectKey) {
          lastKey = isKey(buf, i, e, CAT) ? 1 : isKey(buf, i, e, NAME) ? 2 : 0;
          expectKey = false;
        } else if (lastKey === 1) { peek.catS = i + 1; peek.catE = e - 1; lastKey = 0; }
        else if (lastKey === 2) { peek.nameS = i + 1; peek.nameE = e - 1; lastKey = 0; }
      }
      i = e;
      continue;
    }
    if (b === LBRACE || b === LBRACKET) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (b === RBRACE || b === RBRACKET) {
      if (--depth === 0) return i + 1;
    } else if (depth === 1) {
      if (b === COMMA) { expectKey = true; lastKey = 0; }
      else if (b !== COLON && !isSpace(b)) lastKey = 0; // a number, true, false or null value
    }
    i++;
  }
  return -1;
}

/** The text of a string value's bytes, or undefined when it is absent or holds escapes (parsed the slow way). */
function peekText(buf: Buffer, s: number, e: number): string | undefined {
  if (s < 0) return undefined;
  for (let k = s; k < e; k++) if (buf[k] === BACKSLASH || buf[k] > 0x7e) return undefined;
  return buf.toString('latin1', s, e);
}

export class TraceEventStream {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private consumed = 0;
  private state: State = 'start';
  private key = '';
  private bareArray = false;
  private readonly peek: Peek = { catS: -1, catE: -1, nameS: -1, nameE: -1 };
  /** How many elements were read (delivered, or skipped as unwanted). */
  count = 0;

  constructor(private readonly handlers: TraceStreamHandlers) {}

  push(chunk: Buffer): void {
    // One element (or top-level value) still unfinished past the limit: a damaged or hostile file, refused
    // before it is held whole (memory stays at the limit, not the file's decompressed size).
    if (this.buf.length - this.pos > LIMITS.traceElementBytes) {
      throw new TraceFormatError(`one element is over ${formatBytes(LIMITS.traceElementBytes)} and has not ended (the limit for one trace element)`, this.consumed + this.pos);
    }
    if (this.pos < this.buf.length) {
      this.buf = this.pos === 0 ? Buffer.concat([this.buf, chunk]) : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    } else this.buf = chunk;
    this.consumed += this.pos;
    this.pos = 0;
    this.scan(false);
  }

  end(): void {
    this.scan(true);
    if (this.state !== 'done') {
      throw new TraceFormatError(
        this.state === 'start' ? 'expected a JSON object with "traceEvents" or an array of events' : 'the trace ends before its JSON is complete',
        this.consumed + this.pos,
      );
    }
  }

  private fail(expected: string, at: number): never {
    const found = at < this.buf.length ? JSON.stringify(String.fromCharCode(this.buf[at])) : 'the end';
    throw new TraceFormatError(`expected ${expected}, found ${found}`, this.consumed + at);
  }

  private parseSlice(s: number, e: number): unknown {
    const text = this.buf.toString('utf8', s, e);
    try {
      return JSON.parse(text);
    } catch {
      // Located by our parser's offset inside the slice, never by the engine's message (which quotes the input).
      const p = jsonSyntaxProblem(text);
      throw new TraceFormatError(`invalid JSON: expected ${p?.expected ?? 'a JSON value'}`, this.consumed + s + (p ? Buffer.byteLength(text.slice(0, p.offset)) : 0));
    }
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    let i = this.pos;
    const n = buf.length;
    while (i < n && this.state !== 'done') {
      const c = buf[i];
      if (isSpace(c)) { i++; continue; }
      switch (this.state) {
        case 'start':
          if (c === LBRACE) { this.state = 'key'; i++; }
          else if (c === LBRACKET) { this.state = 'events'; this.bareArray = true; i++; }
          else this.fail('"{" or "[" at the start of a trace', i);
          break;
        case 'key': {
          if (c === COMMA) { i++; break; }
          if (c === RBRACE) { this.state = 'done'; i++; break; }
          if (c !== QUOTE) this.fail('a key string', i);
          const e = stringEnd(buf, i);
          if (e < 0) { this.pos = i; return; }
          this.key = this.parseSlice(i, e) as string;
          this.state = 'colon';
          i = e;
          break;
        }
        case 'colon':
          if (c !== COLON) this.fail('":"', i);
          this.state = 'value';
          i++;
          break;
        case 'value': {
          if (this.key === 'traceEvents' && c === LBRACKET) { this.state = 'events'; i++; break; }
          const e = valueEnd(buf, i, final);
          if (e < 0) { this.pos = i; return; }
          const v = this.parseSlice(i, e);
          this.handlers.topLevel?.(this.key, v, this.buf.toString('utf8', i, e));
          this.state = 'key';
          i = e;
          break;
        }
        case 'events': {
          if (c === COMMA) { i++; break; }
          if (c === RBRACKET) { this.state = this.bareArray ? 'done' : 'key'; i++; break; }
          const wants = this.handlers.wants;
          if (wants && c === LBRACE) {
            // Elements the handler refuses by their "cat" and "name" are skipped without parsing (most
            // of a profiler trace is CPU-side events an import drops).
            const e = objectEnd(buf, i, this.peek);
            if (e < 0) { this.pos = i; return; }
            const p = this.peek;
            if (wants(peekText(buf, p.catS, p.catE), () => peekText(buf, p.nameS, p.nameE))) this.handlers.event(this.parseSlice(i, e));
            this.count++;
            i = e;
            break;
          }
          const e = valueEnd(buf, i, final);
          if (e < 0) { this.pos = i; return; }
          this.handlers.event(this.parseSlice(i, e));
          this.count++;
          i = e;
          break;
        }
      }
    }
    this.pos = i;
  }
}

/** Feeds a byte stream (already decompressed) through a TraceEventStream. */
export async function streamTraceEvents(source: AsyncIterable<Buffer | string>, handlers: TraceStreamHandlers): Promise<number> {
  const s = new TraceEventStream(handlers);
  for await (const chunk of source) s.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  s.end();
  return s.count;
}
