// The thin slice: choose a list, pick the country, scrub, download. Asserts the exact
// bytes of the cleaned and removed files.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setUp, openPage, chooseList, download, screenshot, FIXTURES } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

test('drop a list, scrub it, download exactly the cleaned and removed rows', async () => {
  const { page, server, pageErrors } = env;
  await openPage(page, server.url);
  await screenshot(page, 'upload');

  // The default country comes from the browser's language (en-US here).
  assert.equal(await page.inputValue('#region'), 'US');

  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  // The engine's profile is shown: encoding, separator, rows, every column with its role.
  const facts = await page.locator('#facts').innerText();
  assert.match(facts, /UTF-8/);
  assert.match(facts, /comma/);
  assert.match(facts, /6 rows/);
  assert.equal(await page.locator('#columns-body tr').count(), 4);
  assert.equal(await page.inputValue('#phone-column'), '1', 'the Phone column is preselected');
  // Data minimisation: Email and Notes are unticked by default, with the reason beside them.
  assert.equal(await page.isChecked('#keep-2'), false);
  assert.match(await page.locator('#why-2').innerText(), /data minimisation/);

  // Pick the default country by name, as a user would from the list.
  await page.fill('#region', 'United Kingdom');
  await page.locator('#region').press('Tab');
  assert.equal(await page.inputValue('#region'), 'GB');
  await screenshot(page, 'review');

  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  await page.locator('#preview-removed table').waitFor();
  await screenshot(page, 'results', '#step-results');
  await screenshot(page, 'results-page');

  const totals = await page.locator('#totals').innerText();
  assert.match(totals, /6\s+Rows read/);
  assert.match(totals, /4\s+Kept/);
  assert.match(totals, /2\s+Removed/);
  // One bar per reason that removed something.
  assert.equal(await page.locator('#chart svg .bar').count(), 2);

  const cleaned = await download(page, /cleaned CSV/);
  assert.equal(cleaned.suggested, 'contacts-cleaned.csv');
  // E.164 numbers (written as they are even when formula-safe: +digits cannot run), the duplicate
  // written another way (+44 (0)121 …) and the invalid number gone, Email and Notes left out.
  assert.equal(
    cleaned.text,
    [
      '"Name","Phone"',
      `"Ann Archer","+441212941091"`,
      `"Bob Baker","+447911123456"`,
      `"Cara Cole","+12015550123"`,
      `"Fay Ford","+4930901820"`,
      '',
    ].join('\n'),
  );

  const removed = await download(page, /removed rows CSV/);
  assert.equal(
    removed.text,
    [
      '"Name","Phone","line","reasons"',
      `"Dan Dale","+441212941091","5","duplicate"`,
      '"Eve East","12345","6","invalid_number"',
      '',
    ].join('\n'),
  );

  const report = JSON.parse((await download(page, /report JSON/)).text);
  assert.equal(report.rowsRead, 6);
  assert.equal(report.rowsKept + report.rowsRemoved, report.rowsRead);
  assert.equal(report.reasons.duplicate, 1);
  assert.equal(report.reasons.invalid_number, 1);
  assert.deepEqual(report.columnsDropped, ['Email', 'Notes']);
  assert.equal(report.policy.defaultRegion, 'GB');
  assert.match(report.inputSha256, /^[0-9a-f]{64}$/);

  const receipt = await download(page, /printable receipt/);
  assert.match(receipt.text, /<h1>Scrub receipt<\/h1>/);
  assert.ok(receipt.text.includes(report.inputSha256), 'the receipt carries the input digest');
  assert.ok(receipt.text.includes(`engine ${report.engineVersion}`));

  // Only the policy is remembered, never a row of the list.
  const stored = await page.evaluate(() => JSON.stringify(localStorage));
  assert.match(stored, /phoneColumn/);
  assert.doesNotMatch(stored, /Ann Archer|1212941091|example\.org/);

  assert.deepEqual(pageErrors, []);
});

test('the last policy is remembered across visits; column choices only for the same header', async () => {
  const { page, server } = env;
  await page.evaluate(() => localStorage.clear());
  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'consent.csv'));
  await page.locator('#step-review').waitFor();
  await page.fill('#region', 'DE');
  await page.uncheck('#keep-2'); // Country
  await page.uncheck('#dedupe');
  await page.check('input[name=mode][value=flag]');
  await page.selectOption('#phone-format', 'national');
  await page.fill('#retention-days', '365');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  // Flag mode: every row stays in the cleaned file, with its status.
  assert.match(await page.locator('#totals').innerText(), /8\s+Rows in the cleaned file/);
  assert.match(await page.locator('#totals').innerText(), /Flagged/);
  assert.match(await page.locator('#preview-cleaned thead').innerText(), /scrub_status/i);

  await page.reload();
  await page.locator('#engine-version').filter({ hasText: /engine/ }).waitFor();
  assert.equal(await page.inputValue('#region'), 'DE');
  assert.equal(await page.isChecked('#dedupe'), false);
  assert.equal(await page.isChecked('input[name=mode][value=flag]'), true);
  assert.equal(await page.inputValue('#phone-format'), 'national');
  assert.equal(await page.inputValue('#retention-days'), '365');

  await chooseList(page, path.join(FIXTURES, 'consent.csv'));
  await page.locator('#step-review').waitFor();
  assert.equal(await page.isChecked('#keep-2'), false, 'the same header: the column choice comes back');

  // A different header: the profile's defaults decide the columns; the rules stay.
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#columns-body tr').first().waitFor();
  await page.locator('#facts', { hasText: 'contacts.csv' }).waitFor();
  assert.equal(await page.isChecked('#keep-0'), true);
  assert.equal(await page.isChecked('#dedupe'), false);
});
