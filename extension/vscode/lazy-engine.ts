// Loads dist/engine.js the first time a feature needs it.
type Engine = typeof import('./engine');
let loaded: Engine | undefined;

export function engine(): Engine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('./engine.js') as Engine);
}
