// The one kind of error the user's input can cause: located (file:line:col, 1-based, from offsets our own
// readers counted), one line, exit 2 at the CLI. Anything else that escapes is an internal failure.

/** Control characters and newlines of the input never reach the user's terminal or the Problems view. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?');
}

export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${oneLine(file)}:${line}:${column}: ${oneLine(detail)}`);
  }
}
