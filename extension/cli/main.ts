// The `shardscope` command line: one engine, the same answers as the editor.
import { parseArgs, UsageError } from './args';
import { commands, type CliIO } from './commands';
import './registry';

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    io.out('usage: shardscope <command> [options]\n');
    for (const c of commands) io.out(`  ${c.name.padEnd(10)} ${c.summary}`);
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`shardscope: unknown command '${name}' (expected one of: ${commands.map((c) => c.name).join(', ')})`);
    return 2;
  }
  try {
    const args = parseArgs(rest);
    if (args.options.has('help')) {
      io.out(cmd.usage);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`shardscope ${name}: ${e.message}`);
      return e.exitCode;
    }
    // Anything else is still one line for the user; the stack only with SHARDSCOPE_DEBUG.
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`shardscope ${name}: ${msg}`);
    if (process.env.SHARDSCOPE_DEBUG && e instanceof Error) io.err(e.stack ?? '');
    return 2;
  }
}
