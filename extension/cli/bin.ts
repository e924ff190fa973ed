// Entry point of the `shardscope` binary.
import { main } from './main';
import type { CliIO } from './commands';

const io: CliIO = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };
main(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
