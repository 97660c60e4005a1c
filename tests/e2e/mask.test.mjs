// Protect: what the page shows and prints never holds a whole phone number. The results
// previews and the review step's examples mask them; the printable receipt has none; the
// downloaded files keep them whole. The page's maskNumber (www/mask.js) follows the
// engine's rule (src/protect.rs `mask`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setUp, openPage, chooseList, download, FIXTURES, ROOT } from './helpers.mjs';
import { maskNumber } from '../../www/mask.js';

/** The engine's own unit-test cases for `mask` (src/protect.rs). */
const ENGINE_CASES = [
  ['+447700900123', '+447700****23'],
  ['+4477009001234', '+4477009****34'],
  ['+12015550123', '+12015****23'],
  ['+1234567', '+1****67'],
  ['12345', '***45'],
  ['12', '12'],
];

/** Numbers of tests/e2e/fixtures/contacts.csv, as digits. */
const FIXTURE_NUMBERS = ['01212941091', '441212941091', '07911123456', '447911123456', '12015550123', '4930901820'];

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

test("maskNumber follows the engine's rule, and masks formatted numbers digit by digit", () => {
  for (const [number, masked] of ENGINE_CASES) assert.equal(maskNumber(number), masked, number);
  assert.equal(maskNumber(''), '');
  assert.equal(maskNumber('n/a'), 'n/a');
  // Separators stay; four digits are hidden, not four characters.
  assert.equal(maskNumber('0121 294 1091'), '0121 2** **91');
  assert.equal(maskNumber('+44 (0)121 294 1091'), '+44 (0)121 2** **91');
  assert.equal(maskNumber('+1 201-555-0123'), '+1 201-5**-**23');
  // Numbers apart are masked apart; numbers run together (more digits than any one
  // number) keep only their last two digits.
  assert.equal(maskNumber('call 07911 123456 or 0121 294 1091'), 'call 07911 ****56 or 0121 2** **91');
  assert.equal(maskNumber('07911 123456 / 07911 654321'), '***** ****** / ***** ****21');
});

test("maskNumber agrees with the engine's maskNumber export on every case", async (t) => {
  /** @type {any} */
  const engine = await import('../../www/pkg/phonescrub.js');
  if (typeof engine.maskNumber !== 'function') {
    t.skip("SKIPPED: www/pkg/phonescrub.js has no maskNumber export (src/wasm.rs does not export it); only the engine's unit-test cases were compared");
    return;
  }
  engine.initSync({ module: await readFile(path.join(ROOT, 'www/pkg/phonescrub_bg.wasm')) });
  for (const number of [...ENGINE_CASES.map(([n]) => n), '+4930901820', '+12015550123', '441212941091', '1', '']) {
    assert.equal(maskNumber(number), engine.maskNumber(number), number);
  }
});

test('the previews and the receipt show masked numbers; the downloads keep them whole', async () => {
  const { page, server, pageErrors } = env;
  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  // The review step's examples of the phone column.
  const samples = await page.locator('#columns-body tr', { hasText: 'Phone' }).locator('.sample').allInnerTexts();
  assert.deepEqual(samples, ['0121 2** **91', '07911 ****56', '+1 201-5**-**23']);

  await page.fill('#region', 'GB');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  await page.locator('#preview-removed table').waitFor();

  const cleanedPhones = await page.locator('#preview-cleaned tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual(cleanedPhones, ['+441212****91', '+447911****56', '+12015****23', '+4930****20']);
  const removedPhones = await page.locator('#preview-removed tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual(removedPhones, ['+441212****91', '***45']);
  // Only the phone column is masked: names, line numbers and reasons are as they are.
  assert.deepEqual(await page.locator('#preview-removed tbody tr').first().locator('td').allInnerTexts(), ['Dan Dale', '+441212****91', '5', 'duplicate']);

  const shown = await page.locator('#step-results').innerText();
  const review = await page.locator('#step-review').innerText();
  const receipt = (await download(page, /printable receipt/)).text;
  for (const [where, text] of [['results', shown], ['review', review], ['receipt', receipt]]) {
    // Separators between digits taken out, so a number written any way is found.
    const digits = text.replace(/(?<=\d)[\s().\/-]+(?=\d)/g, '');
    for (const number of FIXTURE_NUMBERS) assert.ok(!digits.includes(number), `${where} shows ${number} whole`);
  }
  assert.match(shown, /\*\*\*\*/);

  const cleaned = await download(page, /cleaned CSV/);
  assert.match(cleaned.text, /"\+441212941091"/, 'the cleaned file itself is not masked');
  assert.deepEqual(pageErrors, []);
});
