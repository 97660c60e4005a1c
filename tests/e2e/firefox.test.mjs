// The page in Firefox ESR (Debian's firefox-esr), driven by puppeteer-core over WebDriver
// BiDi: the engine loads (worker + wasm) under the page's CSP, the thin slice gives the
// exact cleaned and removed files, an unreadable file gets its message, and the one-file
// offline build works opened from disk.
//
// Without /usr/bin/firefox-esr (or $FIREFOX) these tests are SKIPPED, loudly; install it
// with `apt-get install -y firefox-esr`.
//
// Downloads: the cleaned file is read from the Blob behind the download link. fetch() of
// the link's blob: URL is no way to do it: the page's connect-src 'self' does not cover
// blob: URLs, and Firefox refuses it. So a preload script keeps the Blobs the page makes
// URLs for, and the test reads them from there.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { FIXTURES, ROOT } from './helpers.mjs';
import { startServer } from '../../scripts/serve.mjs';
import { buildOffline } from '../../scripts/build-offline.mjs';

const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const missing = await access(FIREFOX, constants.X_OK).then(
  () => '',
  () => `SKIPPED: Firefox is not installed (${FIREFOX} not found); install it with: apt-get install -y firefox-esr`,
);
if (missing) console.error(`\n*** firefox.test.mjs: ${missing} ***\n`);

/**
 * Firefox's own services must not reach outside hosts (the equivalent of the Chromium
 * tests' --host-resolver-rules): everything but the loopback goes to a proxy on a closed
 * port, so no outside name is even resolved.
 */
const FIREFOX_PREFS = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.no_proxies_on': 'localhost, 127.0.0.1',
  'network.dns.disablePrefetch': true,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
};

/** The thin slice's cleaned file (tests/e2e/thin-slice.test.mjs). */
const CLEANED = ['"Name","Phone"', `"Ann Archer","+441212941091"`, `"Bob Baker","+447911123456"`, `"Cara Cole","+12015550123"`, `"Fay Ford","+4930901820"`, ''].join('\n');

/** @type {{server: Awaited<ReturnType<typeof startServer>>, browser: import('puppeteer-core').Browser, page: import('puppeteer-core').Page, pageErrors: string[], requests: string[], scratch: string}} */
let env;

before(async () => {
  if (missing) return;
  const server = await startServer({ root: path.join(ROOT, 'www'), port: 0 });
  const scratch = await mkdtemp(path.join(tmpdir(), 'phonescrub-firefox-'));
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, extraPrefsFirefox: FIREFOX_PREFS });
  const { page, pageErrors, requests } = await newPage(browser);
  env = { server, browser, page, pageErrors, requests, scratch };
});

/**
 * A page that records its policy violations, the Blobs it makes URLs for (the files behind
 * its download links), its requests and its errors.
 * @param {import('puppeteer-core').Browser} browser
 */
async function newPage(browser) {
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err instanceof Error ? err.message : String(err)));
  /** @type {string[]} */
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.evaluateOnNewDocument(() => {
    const w = /** @type {any} */ (window);
    // Policy violations, from the first script on.
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    // The Blobs behind the page's download links, by URL.
    w.__blobs = new Map();
    const createObjectURL = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (/** @type {Blob} */ blob) => {
      const url = createObjectURL(blob);
      w.__blobs.set(url, blob);
      return url;
    };
  });
  return { page, pageErrors, requests };
}

after(async () => {
  await env?.browser.close().catch(() => {});
  await env?.server.close();
  if (env?.scratch) await rm(env.scratch, { recursive: true, force: true });
});

/** Opens the page and waits until the engine has started. */
async function openPage() {
  const response = await env.page.goto(env.server.url);
  await env.page.waitForFunction(() => /engine \d/.test(document.querySelector('#engine-version')?.textContent ?? ''));
  return response;
}

/** @param {string} file */
async function chooseList(file) {
  const input = /** @type {import('puppeteer-core').ElementHandle<HTMLInputElement>} */ (await env.page.$('#list-input'));
  await input.uploadFile(file);
}

/**
 * The text of the file behind a download link.
 * @param {string} label  the start of the link's text
 */
async function download(label) {
  return env.page.evaluate(async (label) => {
    const link = [...document.querySelectorAll('#downloads a')].find((a) => a.textContent?.trim().startsWith(label));
    if (!(link instanceof HTMLAnchorElement)) throw new Error(`no download link "${label}"`);
    const blob = /** @type {any} */ (window).__blobs.get(link.href);
    return { name: link.download, text: await blob.text() };
  }, label);
}

test('Firefox: the engine loads (worker + wasm) under the page\'s CSP, which it enforces', { skip: missing || false }, async () => {
  const { page, pageErrors, requests } = env;
  const response = await openPage();
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(csp, /connect-src 'self'/);
  const paths = requests.filter((url) => url.startsWith(env.server.url)).map((url) => new URL(url).pathname);
  assert.ok(paths.includes('/worker.js') && paths.includes('/pkg/phonescrub_bg.wasm'), `the worker and the wasm were loaded:\n${paths.join('\n')}`);
  assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).__cspViolations), []);
  assert.deepEqual(pageErrors, []);

  // The policy is enforced here, and the recorder works: a call out is refused and
  // recorded (Firefox fires the event more than once). On a page of its own, so that its
  // refusal is not among the other tests' errors.
  const probe = await newPage(env.browser);
  try {
    await probe.page.goto(env.server.url);
    const outcome = await probe.page.evaluate(() => fetch('http://127.0.0.1:1/leak').then(() => 'sent', () => 'refused'));
    assert.equal(outcome, 'refused');
    const violations = await probe.page.evaluate(() => /** @type {any} */ (window).__cspViolations);
    assert.ok(violations.length > 0, 'the refusal is recorded');
    assert.deepEqual(new Set(violations), new Set(['connect-src http://127.0.0.1:1/leak']));
  } finally {
    await probe.page.close();
  }
});

test('Firefox: choose a list, scrub it, get exactly the cleaned and removed rows', { skip: missing || false }, async () => {
  const { page, pageErrors } = env;
  await openPage();
  await chooseList(path.join(FIXTURES, 'contacts.csv'));
  await page.waitForSelector('#step-review:not([hidden])');
  const facts = await page.$eval('#facts', (el) => /** @type {HTMLElement} */ (el).innerText);
  assert.match(facts, /UTF-8/);
  assert.match(facts, /6 rows/);
  assert.equal(await page.$eval('#phone-column', (el) => /** @type {HTMLSelectElement} */ (el).value), '1');

  await page.locator('#region').fill('GB');
  await page.click('#scrub-button');
  await page.waitForSelector('#step-results:not([hidden])');
  await page.waitForSelector('#preview-removed table');
  const totals = await page.$eval('#totals', (el) => /** @type {HTMLElement} */ (el).innerText);
  assert.match(totals, /6\s+Rows read/);
  assert.match(totals, /4\s+Kept/);

  const cleaned = await download('Download cleaned CSV');
  assert.equal(cleaned.name, 'contacts-cleaned.csv');
  assert.equal(cleaned.text, CLEANED);
  const removed = await download('Download removed rows CSV');
  assert.equal(
    removed.text,
    ['"Name","Phone","line","reasons"', `"Dan Dale","+441212941091","5","duplicate"`, '"Eve East","12345","6","invalid_number"', ''].join('\n'),
  );
  // The previews mask the numbers here too.
  assert.match(await page.$eval('#preview-cleaned', (el) => /** @type {HTMLElement} */ (el).innerText), /\+441212\*\*\*\*91/);
  assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).__cspViolations), []);
  assert.deepEqual(pageErrors, []);
});

test('Firefox: an unreadable file gets its message, and the page keeps working', { skip: missing || false }, async () => {
  const { page, pageErrors, scratch } = env;
  await openPage();
  const pdf = path.join(scratch, 'list.csv');
  await writeFile(pdf, Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n', 'latin1'));
  await chooseList(pdf);
  await page.waitForSelector('#file-error:not([hidden])');
  const text = await page.$eval('#file-error', (el) => /** @type {HTMLElement} */ (el).innerText);
  assert.match(text, /list\.csv cannot be read as a contact list/);
  assert.match(text, /looks like a PDF document/);
  assert.equal(await page.$eval('#step-review', (el) => /** @type {HTMLElement} */ (el).hidden), true);

  await chooseList(path.join(FIXTURES, 'contacts.csv'));
  await page.waitForSelector('#step-review:not([hidden])');
  assert.equal(await page.$eval('#file-error', (el) => /** @type {HTMLElement} */ (el).hidden), true, 'the old error is cleared');
  assert.deepEqual(pageErrors, []);
});

test('Firefox: the one-file offline build works opened from disk, requesting nothing', { skip: missing || false }, async () => {
  // Built into the scratch directory, so that dist/ is not raced by the other build test.
  const { out } = await buildOffline({ out: path.join(env.scratch, 'phonescrub.html') });
  const { page, pageErrors, requests } = await newPage(env.browser);
  try {
    await page.goto(pathToFileURL(out).href);
    await page.waitForFunction(() => /engine \d/.test(document.querySelector('#engine-version')?.textContent ?? ''));
    const input = /** @type {import('puppeteer-core').ElementHandle<HTMLInputElement>} */ (await page.$('#list-input'));
    await input.uploadFile(path.join(FIXTURES, 'contacts.csv'));
    await page.waitForSelector('#step-review:not([hidden])');
    await page.locator('#region').fill('GB');
    await page.click('#scrub-button');
    await page.waitForSelector('#step-results:not([hidden])');
    const cleaned = await page.evaluate(async () => {
      const link = /** @type {HTMLAnchorElement} */ (document.querySelector('#downloads a'));
      return /** @type {any} */ (window).__blobs.get(link.href).text();
    });
    assert.equal(cleaned, CLEANED);
    assert.deepEqual(requests.filter((url) => !/^(file|blob|data):/.test(url)), [], `requests:\n${requests.join('\n')}`);
    assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).__cspViolations), []);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
