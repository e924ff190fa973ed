// extensionTestsPath entry: the main suite, in a trusted workspace.
import { runSuite } from './mocha-run';

export function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return runSuite(() => require('./suite'));
}
