// `npm start`: Shardscope in a local VS Code (code-server) with examples/ open.
import { startServer, ROOT } from './harness.mjs';
import { join } from 'node:path';

const port = Number(process.env.PORT ?? 8080);
const server = await startServer({ workspace: join(ROOT, 'examples'), port });
console.log(`\nShardscope is running in VS Code at ${server.url}/?folder=${encodeURIComponent(join(ROOT, 'examples'))}\nOpen it in a browser on this machine (or forward the port). Ctrl+C stops it.\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
