// A small argument parser: positional arguments and --flag / --flag value / --flag=value options.

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

/** Options that never take a value. */
const BOOLEAN_FLAGS = new Set(['json', 'help', 'verbose', 'no-trace', 'ends']);

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options.set(a.slice(2, eq), a.slice(eq + 1));
      else {
        const name = a.slice(2);
        const next = argv[i + 1];
        if (!BOOLEAN_FLAGS.has(name) && next !== undefined && !next.startsWith('--')) {
          options.set(name, next);
          i++;
        } else options.set(name, true);
      }
    } else positional.push(a);
  }
  return { positional, options };
}

/** An error meant for the user: printed as one line on stderr, never as a stack trace. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export function optString(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function requireString(args: ParsedArgs, name: string): string {
  const v = optString(args, name);
  if (v === undefined) throw new UsageError(`missing --${name}`);
  return v;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.has(name);
}
