// The engine (extension/core) reaches files only through the host interface its faces install
// (core/host/files.ts), and never VS Code: no file under it imports Node's fs or vscode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no file in extension/core imports fs or vscode', () => {
  const bad = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](?:node:)?(?:fs|fs\/promises|vscode)['"]/;
  const files = sources('extension/core');
  assert.ok(files.length > 50);
  const offenders = files.filter((f) => bad.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});
