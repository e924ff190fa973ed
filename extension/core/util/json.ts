// JSON (with comments) parsing that reports errors as file:line:col with what was expected. The nesting
// is bounded before any recursive parser or walker sees the value (LIMITS.nestingDepth).
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { InputError } from '../input-error';
import { LIMITS } from '../limits';

export class LocatedError extends InputError {
  constructor(message: string, file: string, line: number, column: number) {
    super(file, line, column, message);
  }
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

const EXPECT: Record<string, string> = {
  InvalidSymbol: 'a JSON value',
  InvalidNumberFormat: 'a number',
  PropertyNameExpected: 'a property name in double quotes',
  ValueExpected: 'a value',
  ColonExpected: "':'",
  CommaExpected: "','",
  CloseBraceExpected: "'}'",
  CloseBracketExpected: "']'",
  EndOfFileExpected: 'the end of the file',
  InvalidCommentToken: 'a comment',
  UnexpectedEndOfComment: "'*/'",
  UnexpectedEndOfString: 'a closing quote',
  UnexpectedEndOfNumber: 'a digit',
  InvalidUnicode: 'a unicode escape',
  InvalidEscapeCharacter: 'a valid escape',
  InvalidCharacter: 'a printable character',
};

/**
 * The offset of the first bracket of JSON (comments allowed) nested deeper than `limit`, or -1. One pass
 * over the characters, no recursion: deep input must never reach a recursive parser or walker.
 */
export function jsonNestingOffset(text: string, limit: number = LIMITS.nestingDepth): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34 || d === 10) break;
      }
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return i;
    } else if ((c === 125 /* } */ || c === 93) /* ] */ && depth > 0) depth--;
  }
  return -1;
}

export const nestingMessage = (limit: number = LIMITS.nestingDepth): string => `nested more than ${limit} deep (the limit for JSON values)`;

/** Refuses JSON nested deeper than the limit, located at the first bracket past it. */
export function checkJsonNesting(text: string, file: string, limit: number = LIMITS.nestingDepth): void {
  const at = jsonNestingOffset(text, limit);
  if (at < 0) return;
  const { line, column } = lineColumn(text, at);
  throw new LocatedError(nestingMessage(limit), file, line, column);
}

/** The first syntax error of strict JSON as our parser finds it: its offset and what was expected there. */
export function jsonSyntaxProblem(text: string, strict = true): { offset: number; expected: string } | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { allowTrailingComma: !strict, disallowComments: strict, allowEmptyContent: false });
  if (!errors.length) return text.trim() ? undefined : { offset: text.length, expected: EXPECT.ValueExpected };
  const code = printParseErrorCode(errors[0].error);
  return { offset: errors[0].offset, expected: EXPECT[code] ?? code };
}

function firstSyntaxError(text: string, file: string, strict: boolean): LocatedError | undefined {
  const p = jsonSyntaxProblem(text, strict);
  if (!p) return undefined;
  const { line, column } = lineColumn(text, p.offset);
  return new LocatedError(`malformed JSON: expected ${p.expected}`, file, line, column);
}

/** Parse JSON with comments and trailing commas; throws a LocatedError on the first syntax error. */
export function parseJsonLocated(text: string, file: string): unknown {
  checkJsonNesting(text, file);
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) throw firstSyntaxError(text, file, false)!;
  return value;
}

/**
 * Parse strict JSON (traces, safetensors headers) with V8's parser; a syntax error is located by
 * jsonc-parser's own offsets, never by reading positions out of the engine's message.
 */
export function parseJsonStrict(text: string, file: string): unknown {
  checkJsonNesting(text, file);
  try {
    return JSON.parse(text);
  } catch {
    throw firstSyntaxError(text, file, true) ?? new LocatedError('malformed JSON', file, 1, 1);
  }
}
