// Driving the VS Code workbench from playwright: the gestures the UI tests share.
import assert from 'node:assert/strict';

/** F1 then a quick-open query (":line:col" moves the cursor; ">" runs a command). */
export async function quickOpen(page, query) {
  const input = page.locator('.quick-input-widget input');
  // ":line:col" needs an active text editor; right after a file opens there may be none yet, and the
  // widget then says "Open a text editor first" and Enter does nothing: ask again until it offers the line.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(query);
    if (!query.startsWith(':')) {
      await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
      break;
    }
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: /go to line/i }).first().waitFor({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt >= 4) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
  // Focus returns to the editor only once the widget is gone; keys pressed before that go nowhere.
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Press `keys` until `target` shows (a chord can race the editor regaining focus); says what it saw. */
export async function pressUntil(page, keys, target, what) {
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press(keys);
    try {
      await target.waitFor({ timeout: 10000 });
      return;
    } catch {}
  }
  const seen = await page.locator('.monaco-editor .view-line').allInnerTexts();
  assert.fail(`${what} did not appear after ${keys} three times; the editor shows:\n${seen.join('\n')}`);
}
