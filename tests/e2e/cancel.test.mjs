// Cancel: a large scrub stops at once (the worker is terminated), the page says so, and
// the next scrub runs on a fresh engine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setUp, openPage, chooseList, download, screenshot, FIXTURES } from './helpers.mjs';

// Big enough that the scrub is still running when the test clicks Cancel: 300,000 rows
// (12 MB) were, until the parallel read-once scrub took them in under a second, and
// 1,500,000 (62 MB) until session 19's engine finished them once, in a full run of the
// page tests, before the click (after the progress check and the screenshot). 3,000,000
// rows (124 MB) are still under the size a list is read once (ONE_READ_MAX_BYTES).
const ROWS = 3_000_000;

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** @type {string} */
let dir;
/** @type {string} */
let bigFile;

before(async () => {
  env = await setUp();
  dir = await mkdtemp(path.join(tmpdir(), 'phonescrub-big-'));
  bigFile = path.join(dir, 'big.csv');
  // 3M rows (124 MB) of GB mobile numbers in national format, with consent.
  const lines = ['id,name,mobile,consent'];
  for (let i = 0; i < ROWS; i++) {
    lines.push(`${i},Person ${i},07911 ${String(100000 + (i % 800000)).padStart(6, '0')},${i % 10 === 0 ? 'no' : 'yes'}`);
  }
  await writeFile(bigFile, lines.join('\n') + '\n');
});

after(async () => {
  await env?.tearDown();
  await rm(dir, { recursive: true, force: true });
});

test('cancel stops a large scrub at once; a new scrub then succeeds', async () => {
  const { page, server, pageErrors } = env;
  await openPage(page, server.url);
  await chooseList(page, bigFile);
  await page.locator('#step-review').waitFor();
  assert.match(await page.locator('#facts').innerText(), /about [\d,]+ rows/);
  await page.fill('#region', 'GB');
  assert.equal(await page.inputValue('#consent-column'), '3', 'the consent column is preselected');

  await page.getByRole('button', { name: 'Scrub list' }).click();
  // Wait until the engine reports progress: the scrub is really under way.
  await page.locator('#run-stats', { hasText: 'rows/s' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Scrub list' }).isDisabled(), true);
  const value = await page.locator('#progress').evaluate((p) => /** @type {HTMLProgressElement} */ (p).value);
  assert.ok(value > 0 && value < 1, `progress ${value}`);
  await screenshot(page, 'run');

  const clicked = Date.now();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#run-status', { hasText: 'Cancelled' }).waitFor({ timeout: 2000 });
  assert.ok(Date.now() - clicked < 2000, 'cancelled at once');
  assert.equal(await page.isHidden('#cancel-button'), true);
  assert.equal(await page.isHidden('#step-results'), true, 'no results from a cancelled run');
  assert.equal(await page.isEnabled('#scrub-button'), true);
  await screenshot(page, 'cancelled');

  // The next scrub runs on the fresh worker. (A small list keeps the suite quick; a full
  // run of this file takes seconds of wasm on this shared 2-core machine.)
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  const report = JSON.parse((await download(page, /report JSON/)).text);
  assert.equal(report.rowsRead, 6);
  assert.match(await page.locator('#run-status').innerText(), /Done/);
  assert.deepEqual(pageErrors, []);
});
