// A file the engine cannot read: the engine's own message is shown, and the page keeps
// working for the next file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setUp, openPage, chooseList, download, screenshot, FIXTURES, ROOT } from './helpers.mjs';

const SHEET_FIXTURES = path.join(ROOT, 'tests/fixtures/sheets');

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

test('a PDF named list.csv shows the engine error, then a good file still scrubs', async () => {
  const { page, server, pageErrors } = env;
  await openPage(page, server.url);

  await chooseList(page, {
    name: 'list.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n', 'latin1'),
  });
  const error = page.locator('#file-error');
  await error.waitFor();
  const text = await error.innerText();
  assert.match(text, /list\.csv cannot be read as a contact list/);
  // The engine's words, passed through: it says what the file is and what to do.
  assert.match(text, /looks like a PDF document/);
  assert.match(text, /Export or save it as CSV/);
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.equal(await page.isHidden('#step-review'), true, 'no review of an unreadable file');
  await screenshot(page, 'error');

  // An input error tied to a line names it (a cell over the engine's 1 MiB limit).
  await chooseList(page, {
    name: 'huge-cell.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`name,phone\nAnn,+441212941091\nBob,"${'x'.repeat(1_100_000)}"\n`),
  });
  await page.locator('#file-error', { hasText: 'huge-cell.csv' }).waitFor();
  assert.match(await error.innerText(), /Line 3: a field of 1100000 bytes is larger than the 1 MiB limit/);

  // An empty file is refused the same way.
  await chooseList(page, { name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
  await page.locator('#file-error', { hasText: 'empty.csv' }).waitFor();
  assert.match(await error.innerText(), /the file is empty/i);

  // A damaged .xls (made by the fuzzer) traps calamine's record reader in the engine: the
  // page names the file as damaged, not the engine as broken, and a fresh engine takes over.
  await chooseList(page, path.join(FIXTURES, 'damaged.xls'));
  await page.locator('#file-error', { hasText: 'damaged.xls' }).waitFor();
  assert.match(await error.innerText(), /this \.xls file is damaged/i);
  assert.match(await error.innerText(), /save it again as \.xlsx or CSV/);

  // A 5 KB .xlsx with one cell far from the others (XFD1048576): its cells span 17
  // billion, which the sheet reader once allocated (a trap); now an input error that says so.
  await chooseList(page, path.join(SHEET_FIXTURES, 'far-cell.xlsx'));
  await page.locator('#file-error', { hasText: 'far-cell.xlsx' }).waitFor();
  assert.match(await error.innerText(), /cells span 1048576 rows and 16384 columns/);

  // The page is still usable: the next, good file profiles and scrubs.
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  assert.equal(await error.isHidden(), true, 'the old error is cleared');
  await page.fill('#region', 'GB');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  const cleaned = await download(page, /cleaned CSV/);
  assert.equal(cleaned.text.trim().split('\n').length, 5, 'header + 4 kept rows');

  assert.deepEqual(pageErrors, []);
});

test('a rule the file cannot satisfy is reported and the page stays usable', async () => {
  const { page, server } = env;
  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  await page.fill('#region', 'GB');
  // An unticked consent value list is caught by the page before the engine sees it.
  await page.selectOption('#consent-column', { label: 'Notes' });
  for (const box of await page.locator('#consent-values input[type=checkbox]').all()) await box.uncheck();
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#rules-error').waitFor();
  assert.match(await page.locator('#rules-error').innerText(), /Tick at least one consent value/);
  assert.equal(await page.isHidden('#step-results'), true);

  // Back to no consent column: the scrub runs.
  await page.selectOption('#consent-column', '');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  assert.equal(await page.isHidden('#rules-error'), true);
});

test('an opt-out file that is not a list is refused by name; good ones are added', async () => {
  const { page, server } = env;
  await openPage(page, server.url);
  await page.locator('#optout-details summary').click();
  await page.locator('#optout-input').setInputFiles([
    { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n') },
    { name: 'dnc.csv', mimeType: 'text/csv', buffer: Buffer.from('+447911123456\n') },
  ]);
  const error = page.locator('#optout-error');
  await error.waitFor();
  assert.match(await error.innerText(), /scan\.pdf: This is not a text list: it looks like a PDF document/);
  assert.deepEqual(await page.locator('#optout-list .file-name').allInnerTexts(), ['dnc.csv']);
});
