// Streams the elements of a trace's `traceEvents` array without ever holding the file as one string:
// V8 caps a string near 512 MB and real Kineto traces pass that. The scanner only finds where each
// element ends (skipping string contents with Buffer.indexOf), then JSON.parse reads that slice.

export interface TraceStreamHandlers {
  /** One element of `traceEvents` (or of a bare top-level array). */
  event(e: unknown): void;
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

export class TraceEventStream {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private consumed = 0;
  private state: State = 'start';
  private key = '';
  private bareArray = false;
  /** How many events were delivered. */
  count = 0;

  constructor(private readonly handlers: TraceStreamHandlers) {}

  push(chunk: Buffer): void {
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
    } catch (err) {
      throw new TraceFormatError(`invalid JSON value: ${(err as Error).message}`, this.consumed + s);
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
