// The `shardscope` command line: one engine, the same answers as the editor.
import { parseArgs, UsageError } from './args';
import { commands, type CliIO } from './commands';
import { isInputFailure } from './input-failure';
import { oneLine } from '../core/input-error';
import { hostFiles } from '../core/host/files';
import './registry';

/**
 * An input error whose class carries no position (model, mesh and binding errors) is placed at the start
 * of the file it names first, else of the command's input: every input error reads file:line:col.
 */
function locatedAtFile(msg: string, input: string | undefined): string {
  if (/^\S+:\d+:\d+: /.test(msg)) return msg;
  const named = /^([^\s:]*[/.][^\s:]*): /.exec(msg) ?? /^(.+?): /.exec(msg);
  if (named && !named[1].startsWith('--') && (/[/.]/.test(named[1]) || hostFiles().stat(named[1]))) return `${named[1]}:1:1: ${msg.slice(named[0].length)}`;
  return input ? `${input}:1:1: ${msg}` : msg;
}

/** Exit code of a failure of ours (not the input's): the user is asked to report it. */
export const INTERNAL_ERROR_EXIT = 3;

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    io.out('usage: shardscope <command> [options]\n');
    for (const c of commands) io.out(`  ${c.name.padEnd(10)} ${c.summary}`);
    if (!name) io.err('shardscope: give a command (listed above)');
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`shardscope: unknown command '${oneLine(name)}' (expected one of: ${commands.map((c) => c.name).join(', ')})`);
    return 2;
  }
  let inputs: string[] = [];
  try {
    const args = parseArgs(rest);
    inputs = args.positional;
    if (args.options.has('help')) {
      io.out(cmd.usage);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    const msg = oneLine(e instanceof Error ? e.message : String(e));
    if (e instanceof UsageError) {
      // An argument error stays as it is; one about a file that is there is placed at the file's start.
      const named = /^(.+?): /.exec(msg);
      io.err(`shardscope ${name}: ${named && !/:\d+:\d+$/.test(named[1]) && hostFiles().stat(named[1]) ? locatedAtFile(msg, undefined) : msg}`);
      return e.exitCode;
    }
    const failure = isInputFailure(e);
    if (failure === 'located') io.err(msg);
    else if (failure === 'unlocated') io.err(`shardscope ${name}: ${locatedAtFile(msg, inputs[0])}`);
    else io.err(`shardscope ${name}: internal error, please report: ${msg} (input: ${oneLine(inputs.join(' ')) || 'none'}; SHARDSCOPE_DEBUG=1 shows the stack)`);
    if (process.env.SHARDSCOPE_DEBUG && e instanceof Error && !failure) io.err(e.stack ?? '');
    return failure ? 2 : INTERNAL_ERROR_EXIT;
  }
}
