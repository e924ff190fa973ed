// JSON (with comments) parsing that reports errors as file:line:col with what was expected.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

export class LocatedError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
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

/** Parse JSON with comments and trailing commas; throws a LocatedError on the first syntax error. */
export function parseJsonLocated(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const e = errors[0];
    const { line, column } = lineColumn(text, e.offset);
    const code = printParseErrorCode(e.error);
    throw new LocatedError(`malformed JSON: expected ${EXPECT[code] ?? code}`, file, line, column);
  }
  return value;
}
