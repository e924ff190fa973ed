// The table of subcommands. Each command lives in its own file and exports a CliCommand.
import type { ParsedArgs } from './args';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code. Throws UsageError for bad input. */
  run(args: ParsedArgs, io: CliIO): Promise<number> | number;
}

export const commands: CliCommand[] = [];

export function register(cmd: CliCommand): void {
  commands.push(cmd);
}
