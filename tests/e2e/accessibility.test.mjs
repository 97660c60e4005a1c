// Accessibility: axe-core finds no serious or critical problem on the upload step, the
// review and rules steps, and the results step; and the flow works from the keyboard.
//
// axe is evaluated through the DevTools protocol (page.evaluate), which the page's CSP
// does not govern, so the page keeps its real policy during the test.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setUp, openPage, chooseList, FIXTURES, ROOT } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** @type {string} */
let axeSource;

before(async () => {
  env = await setUp();
  axeSource = await readFile(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
});

after(async () => {
  await env?.tearDown();
});

/**
 * Runs axe on the page and returns the serious and critical violations, readably.
 * @param {import('playwright-core').Page} page
 */
async function seriousViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    /** @type {any} */ (window).axe.run(document, { resultTypes: ['violations'] }),
  );
  return results.violations
    .filter((/** @type {any} */ v) => v.impact === 'serious' || v.impact === 'critical')
    .map((/** @type {any} */ v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).join('\n  ')}`);
}

test('no serious or critical axe violations on the upload, review and results steps', async () => {
  const { page, server } = env;
  await openPage(page, server.url);
  assert.deepEqual(await seriousViolations(page), [], 'upload step');

  await chooseList(page, path.join(FIXTURES, 'consent.csv'));
  await page.locator('#step-review').waitFor();
  await page.locator('#optout-details summary').click();
  assert.deepEqual(await seriousViolations(page), [], 'review and rules steps');

  await page.fill('#region', 'GB');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  await page.locator('#preview-removed table').waitFor();
  assert.deepEqual(await seriousViolations(page), [], 'results step');
});

test('the whole flow works from the keyboard, with focus where it should be', async () => {
  const { page, server } = env;
  await openPage(page, server.url);
  // The file input is the first control after the skip link.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'list-input');

  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  // Every control in the review and rules steps has an accessible name.
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('#step-review input, #step-review select, #step-rules input, #step-rules select, #step-rules button')]
      .filter((el) => !(/** @type {HTMLElement} */ (el).hidden) && /** @type {any} */ (el).labels?.length === 0 && !el.getAttribute('aria-label') && el.tagName !== 'BUTTON')
      .map((el) => el.id || el.outerHTML),
  );
  assert.deepEqual(unnamed, []);

  await page.fill('#region', 'GB');
  await page.focus('#scrub-button');
  await page.keyboard.press('Enter');
  await page.locator('#step-results').waitFor();
  // Focus moves to the results heading, so a keyboard or screen-reader user lands there.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'h-results');
  // The run's outcome is in a polite live region.
  const status = page.locator('#run-status');
  assert.equal(await status.getAttribute('aria-live'), 'polite');
  assert.match(await status.innerText(), /Done: 4 rows kept, 2 removed/);
});
