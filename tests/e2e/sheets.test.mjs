// Spreadsheets on the page: drop an .xlsx with two sheets (made by openpyxl, see
// scripts/make-sheet-fixtures.sh), pick the sheet with the contacts, scrub, and download
// the cleaned and removed lists as .xlsx with the numbers stored as text.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { setUp, openPage, chooseList, download, ROOT } from './helpers.mjs';

const WORKBOOK = path.join(ROOT, 'tests/fixtures/sheets/excel_mangled.xlsx');

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

/**
 * The text of one entry of a zip file (an .xlsx), found through the central directory.
 * @param {Buffer} zip
 * @param {string} name
 */
function zipEntry(zip, name) {
  const end = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  assert.ok(end >= 0, 'a zip file');
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    at += 46 + skip;
  }
  throw new Error(`${name} is not in the zip`);
}

test('drop an .xlsx, pick its sheet, scrub, download .xlsx lists with the + kept', async () => {
  const { page, context, server, pageErrors } = env;
  /** @type {string[]} */
  const requests = [];
  context.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await openPage(page, server.url);
  // The page starts on the core engine; the workbook makes the worker load the full one, once.
  const engines = () => requests.filter((p) => p.endsWith('phonescrub_bg.wasm'));
  assert.deepEqual(engines(), ['/pkg/phonescrub_bg.wasm'], 'the core engine only, at start');
  await chooseList(page, WORKBOOK);
  await page.locator('#step-review').waitFor();
  assert.deepEqual(engines(), ['/pkg/phonescrub_bg.wasm', '/pkg-full/phonescrub_bg.wasm'], 'the full engine, for the workbook');

  // The workbook's sheets are offered; the first (a note) is read first.
  await page.locator('#sheet-field').waitFor();
  assert.deepEqual(await page.locator('#sheet option').allInnerTexts(), ['Read me', 'Contacts']);
  assert.equal(await page.inputValue('#sheet'), 'Read me');
  assert.match(await page.locator('#facts').innerText(), /\.xlsx/);

  await page.selectOption('#sheet', 'Contacts');
  await page.locator('#columns-body tr').nth(3).waitFor();
  assert.equal(await page.inputValue('#sheet'), 'Contacts');
  assert.equal(await page.locator('#columns-body tr').count(), 4);
  assert.equal(await page.inputValue('#phone-column'), '1', 'the Phone column is preselected');
  assert.match(await page.locator('#facts').innerText(), /7 rows/);

  await page.fill('#region', 'GB');
  await page.locator('#region').press('Tab');
  await page.selectOption('#output-format', 'xlsx');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  assert.match(await page.locator('#preview-cleaned').innerText(), /Excel workbook: no preview/);
  // The new reason has its label in the chart.
  assert.match(await page.locator('#chart').innerText(), /Number cut short by a spreadsheet/);

  const cleaned = await download(page, /cleaned Excel workbook/);
  assert.equal(cleaned.suggested, 'excel_mangled-cleaned.xlsx');
  const cleanedZip = await readFile(cleaned.path);
  assert.equal(cleanedZip.toString('latin1', 0, 4), 'PK\x03\x04');
  const strings = zipEntry(cleanedZip, 'xl/sharedStrings.xml');
  // Numbers that Excel had turned into 447400123456 and 4.47400123458E+11 come back as
  // text with their +.
  assert.match(strings, /<t>\+447400123456<\/t>/);
  assert.match(strings, /<t>\+447400123458<\/t>/);
  assert.doesNotMatch(strings, /1\.20155501E\+10/);
  // Every cell is a string cell: no number cell (t="n" or no type) anywhere.
  const sheet = zipEntry(cleanedZip, 'xl/worksheets/sheet1.xml');
  assert.doesNotMatch(sheet, /<c r="[A-Z]+\d+"(?: s="\d+")?><v>/);

  const removed = await download(page, /removed rows Excel workbook/);
  assert.equal(removed.suggested, 'excel_mangled-removed.xlsx');
  const removedStrings = zipEntry(await readFile(removed.path), 'xl/sharedStrings.xml');
  assert.match(removedStrings, /<t>1\.20155501E\+10<\/t>/);
  assert.match(removedStrings, /<t>mangled_number<\/t>/);

  const report = JSON.parse((await download(page, /report JSON/)).text);
  assert.equal(report.format, 'xlsx');
  assert.equal(report.sheet, 'Contacts');
  assert.equal(report.reasons.mangled_number, 1);
  assert.equal(report.policy.output.format, 'xlsx');
  assert.equal(report.rowsRead, 7);
  assert.equal(report.rowsKept + report.rowsRemoved, report.rowsRead);
  assert.equal(report.inputBytes, (await readFile(WORKBOOK)).length);
  assert.deepEqual(engines(), ['/pkg/phonescrub_bg.wasm', '/pkg-full/phonescrub_bg.wasm'], 'the full engine was fetched once');

  // The output format is part of the remembered rules.
  await openPage(page, server.url);
  await chooseList(page, WORKBOOK);
  await page.locator('#step-review').waitFor();
  assert.equal(await page.inputValue('#output-format'), 'xlsx');

  assert.deepEqual(pageErrors, []);
});
