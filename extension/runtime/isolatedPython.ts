// Every Python we start runs isolated: an absolute interpreter path (never one found through a relative
// or empty PATH entry, which would mean the current folder), `-I` (neither the current folder nor
// PYTHON* variables reach sys.path, so a workspace's `json.py` or `transformers/` is never imported), and
// the system's temporary folder as working directory (a pyenv shim reads `.python-version` from there,
// not from the workspace).
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * The absolute path of a program: an absolute path as it is; a relative path with a folder part against
 * `base` (the workspace folder for a setting, the current folder for a variable the user set); a bare
 * name through the absolute entries of PATH. Undefined when no executable file is there.
 */
export function resolveProgram(program: string, o: { base?: string; env?: NodeJS.ProcessEnv } = {}): string | undefined {
  if (!program) return undefined;
  if (isAbsolute(program) || /[\\/]/.test(program)) {
    if (!isAbsolute(program) && !o.base) return undefined;
    const p = isAbsolute(program) ? program : resolve(o.base!, program);
    return isExecutableFile(p) ? p : undefined;
  }
  const dirs = ((o.env ?? process.env).PATH ?? '').split(delimiter).filter((d) => d && isAbsolute(d));
  return dirs.map((d) => join(d, program)).find(isExecutableFile);
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PythonCommand {
  file: string;
  args: string[];
  options: { cwd: string; timeout: number; env: NodeJS.ProcessEnv };
}

/** The command line that runs `code` with an interpreter already resolved to an absolute path. */
export function isolatedPythonCommand(python: string, code: string, o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): PythonCommand {
  if (!isAbsolute(python)) throw new Error(`isolatedPythonCommand: ${python} is not an absolute path`);
  return { file: python, args: ['-I', '-c', code], options: { cwd: tmpdir(), timeout: o.timeoutMs ?? 10000, env: o.env ?? process.env } };
}

/** Python source lines that put the user's own site-packages back on sys.path (`-I` leaves it out), so
 *  that a `pip install --user` transformers is still found; that folder is the user's, not the workspace's. */
export const USER_SITE_PRELUDE = 'import os, site\nu = site.getusersitepackages()\nif os.path.isdir(u): site.addsitedir(u)\n';

export type PythonAnswer = { ok: true; python: string; stdout: string } | { ok: false; python?: string; reason: string };

/** Runs `code` isolated with the interpreter `program` names (see resolveProgram); never throws. */
export function runIsolatedPython(program: string, code: string, o: { base?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<PythonAnswer> {
  const python = resolveProgram(program, o);
  if (!python) return Promise.resolve({ ok: false, reason: `${program}: no such executable${isAbsolute(program) ? '' : ' (looked in the absolute folders of PATH)'}` });
  const cmd = isolatedPythonCommand(python, code, o);
  return new Promise((done) => {
    execFile(cmd.file, cmd.args, cmd.options, (err, stdout) => {
      if (err) done({ ok: false, python, reason: err.message.split('\n')[0] });
      else done({ ok: true, python, stdout: String(stdout) });
    });
  });
}
