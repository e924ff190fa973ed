// A trace's entry opens only a workspace file (or the plan it was opened with), at a place that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { revealFile, revealPlace } from '../../../extension/vscode/revealGuard';

test('revealFile: inside the workspace (absolute or relative to a folder); outside, through a link, or missing: a reason', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'ss-reveal-')));
  const ws = join(root, 'ws');
  mkdirSync(join(ws, 'plans'), { recursive: true });
  writeFileSync(join(ws, 'plans/tp.shardplan.json'), '{}\n');
  writeFileSync(join(root, 'secret.txt'), 'x');
  symlinkSync(join(root, 'secret.txt'), join(ws, 'link.txt'));
  assert.deepEqual(revealFile({ file: join(ws, 'plans/tp.shardplan.json') }, [ws]), { file: join(ws, 'plans/tp.shardplan.json') });
  assert.deepEqual(revealFile({ file: 'plans/tp.shardplan.json' }, [ws]), { file: join(ws, 'plans/tp.shardplan.json') });
  assert.match((revealFile({ file: join(root, 'secret.txt') }, [ws]) as { message: string }).message, /secret\.txt is outside this workspace, so it is not opened/);
  assert.match((revealFile({ file: join(ws, '../secret.txt') }, [ws]) as { message: string }).message, /outside this workspace/);
  assert.match((revealFile({ file: join(ws, 'link.txt') }, [ws]) as { message: string }).message, /outside this workspace/);
  assert.match((revealFile({ file: '/etc/passwd' }, [ws]) as { message: string }).message, /outside this workspace/);
  assert.match((revealFile({ file: join(ws, 'none.json') }, [ws]) as { message: string }).message, /does not exist/);
  assert.match((revealFile({ file: 42 }, [ws]) as { message: string }).message, /names no file/);
  assert.match((revealFile({}, []) as { message: string }).message, /names no file/);
  // The plan the panel was opened with opens wherever it is.
  assert.deepEqual(revealFile({ file: join(root, 'secret.txt') }, [ws], [join(root, 'secret.txt')]), { file: join(root, 'secret.txt') });
});

test('revealPlace: a whole line within the document, or whole offsets within the text; anything else a reason', () => {
  assert.deepEqual(revealPlace({ line: 3 }, 10, 200), { line: 3 });
  assert.deepEqual(revealPlace({}, 10, 200), { line: 1 });
  assert.deepEqual(revealPlace({ line: null }, 10, 200), { line: 1 });
  assert.deepEqual(revealPlace({ line: 10 }, 10, 200), { line: 10 });
  assert.match((revealPlace({ line: 11 }, 10, 200) as { message: string }).message, /line 11 is not in the file \(it has 10 lines\)/);
  assert.match((revealPlace({ line: 0 }, 10, 200) as { message: string }).message, /line 0 is not in the file/);
  assert.match((revealPlace({ line: -4 }, 10, 200) as { message: string }).message, /not in the file/);
  for (const line of [2.5, NaN, Infinity, '3', 1e300]) assert.match((revealPlace({ line }, 10, 200) as { message: string }).message, /is not a whole number/, String(line));
  assert.deepEqual(revealPlace({ start: 5, end: 9 }, 10, 200), { start: 5, end: 9 });
  assert.deepEqual(revealPlace({ start: 5, line: 99 }, 10, 200), { start: 5, end: 5 });
  assert.match((revealPlace({ start: 5, end: 201 }, 10, 200) as { message: string }).message, /not within the file's 200 characters/);
  assert.match((revealPlace({ start: 9, end: 5 }, 10, 200) as { message: string }).message, /not within/);
  assert.match((revealPlace({ start: -1 }, 10, 200) as { message: string }).message, /not within/);
  assert.match((revealPlace({ start: 1.5, end: 3 }, 10, 200) as { message: string }).message, /not whole numbers/);
  assert.match((revealPlace({ end: 3 }, 10, 200) as { message: string }).message, /not whole numbers/);
});
