// Entry point of the `shardscope` binary.
import '../node-host/install';
import { main } from './main';
import type { CliIO } from './commands';

// `shardscope demo | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const io: CliIO = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };
main(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
