// extensionTestsPath entry: the Restricted Mode suite, in an untrusted workspace that plants code.
import { runSuite } from './mocha-run';

export function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return runSuite(() => require('./restricted'));
}
