// The Python environment the oracle scripts run in (made by scripts/python-env.sh), for tests that make
// their ground truth with real PyTorch at test time; where it is absent they say why and skip.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** The environment's python with torch importable, or why there is none. */
export function oraclePython(): { python: string } | { skip: string } {
  const dir = process.env.SHARDSCOPE_PYENV || join(homedir(), '.cache', 'shardscope', 'pyenv');
  const python = [join(dir, 'bin', 'python'), join(dir, 'venv', 'bin', 'python')].find((p) => existsSync(p));
  if (!python) return { skip: `no Python environment at ${dir} (scripts/python-env.sh makes it; SHARDSCOPE_PYENV points elsewhere)` };
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120000 });
  if (probe.status !== 0) return { skip: `${python} cannot import torch: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}` };
  return { python };
}
