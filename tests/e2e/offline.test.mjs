// The one-file offline build (scripts/build-offline.mjs -> dist/phonescrub.html) opened
// from disk, with no server: the thin slice gives exactly the same cleaned file, nothing
// but file:, blob: and data: URLs is requested, and its policy really stops calls out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { setUp, openPage, chooseList, download, FIXTURES, ROOT } from './helpers.mjs';

const OUT = path.join(ROOT, 'dist/phonescrub.html');

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** What the build script printed. */
let buildOutput = '';

before(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build-offline.mjs')], { cwd: ROOT });
  buildOutput = stdout;
  env = await setUp(); // its server is not used: the page is opened from disk
});

after(async () => {
  await env?.tearDown();
});

test('the build writes one self-contained file and says where and how big', async () => {
  assert.match(buildOutput, /dist\/phonescrub\.html: \d+ bytes/);
  const html = await readFile(OUT, 'utf8');
  assert.match(buildOutput, new RegExp(`: ${Buffer.byteLength(html)} bytes`));
  const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/)?.[1] ?? '';
  assert.match(policy, /(^|; )connect-src 'none'(;|$)/);
  assert.match(policy, /(^|; )default-src 'none'(;|$)/);
  assert.match(policy, /(^|; )script-src 'sha256-[A-Za-z0-9+/]+=*' 'wasm-unsafe-eval'(;|$)/, 'scripts by hash, not unsafe-inline');
  assert.match(policy, /(^|; )worker-src blob:(;|$)/);
  assert.doesNotMatch(html, /\b(?:src|href)="(?!data:|#)/, 'no reference to another file');
  const head = html.slice(0, html.indexOf('<style>'));
  assert.equal((head.match(/<meta http-equiv="Content-Security-Policy"/g) ?? []).length, 1, 'one policy');
});

test('opened from disk, it scrubs a list to exactly the thin slice\'s cleaned file, requesting nothing', async () => {
  const { page, context, pageErrors } = env;
  /** @type {string[]} */
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  /** @type {Set<import('playwright-core').Worker>} */
  const workers = new Set();
  page.on('worker', (w) => {
    workers.add(w);
    w.evaluate(() => {
      const scope = /** @type {any} */ (self);
      scope.__cspViolations = [];
      scope.addEventListener('securitypolicyviolation', (/** @type {SecurityPolicyViolationEvent} */ e) =>
        scope.__cspViolations.push(`worker: ${e.violatedDirective} ${e.blockedURI}`),
      );
    }).catch(() => {});
  });
  await context.addInitScript(() => {
    /** @type {any} */ (window).__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      /** @type {any} */ (window).__cspViolations.push(`page: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });

  await openPage(page, pathToFileURL(OUT).href);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  assert.equal(await page.inputValue('#phone-column'), '1', 'the Phone column is preselected');
  await page.fill('#region', 'United Kingdom');
  await page.locator('#region').press('Tab');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  assert.match(await page.locator('#totals').innerText(), /6\s+Rows read/);

  const cleaned = await download(page, /cleaned CSV/);
  assert.equal(cleaned.suggested, 'contacts-cleaned.csv');
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
  await download(page, /printable receipt/);
  await page.waitForTimeout(500); // anything late still arrives

  assert.equal(workers.size, 1, 'the engine ran in one worker: no part workers for a small list');
  const outside = requests.filter((url) => !/^(file|blob|data):/.test(url));
  assert.deepEqual(outside, [], `requests:\n${requests.join('\n')}`);
  assert.ok(requests.some((url) => url.startsWith('blob:')), 'the worker came from a blob: URL');
  const violations = [
    ...(await page.evaluate(() => /** @type {any} */ (window).__cspViolations)),
    ...(await Promise.all([...workers].map((w) => w.evaluate(() => /** @type {any} */ (self).__cspViolations ?? []).catch(() => [])))).flat(),
  ];
  assert.deepEqual(violations, []);
  assert.deepEqual(pageErrors, []);

  // The policy is in force: a call out from the page or its worker is refused by it.
  const fromPage = await page.evaluate(() => fetch('http://127.0.0.1:1/leak').then(() => 'sent', () => 'refused'));
  const worker = [...workers].at(-1);
  const fromWorker = await worker?.evaluate(() => fetch('http://127.0.0.1:1/leak').then(() => 'sent', () => 'refused'));
  assert.deepEqual([fromPage, fromWorker], ['refused', 'refused']);
  const refused = [
    ...(await page.evaluate(() => /** @type {any} */ (window).__cspViolations)),
    ...(await worker?.evaluate(() => /** @type {any} */ (self).__cspViolations)),
  ];
  assert.deepEqual(refused, ['page: connect-src http://127.0.0.1:1/leak', 'worker: connect-src http://127.0.0.1:1/leak']);
});

test('opened from disk, a list big enough to be cut into parts is decided by part workers from the inlined engine', async (t) => {
  const { page } = env;
  // About 10 MB: more than the two parts' worth (www/worker.js PARALLEL_MIN_BYTES) the
  // engine worker cuts a list into, so its part workers (this worker again, from its blob:
  // URL) instantiate the module it compiled from the inlined bytes. That the parts give
  // the one-worker result byte for byte is parallel.test.mjs's job (served page).
  const rows = ['id,phone,name'];
  for (let i = 0; rows.length <= 330_000; i++) {
    rows.push(`${i},${i % 4 === 0 ? `0121 29${String(i % 70_000).padStart(5, '0')}` : `+44 7400 ${String(i % 200_000).padStart(6, '0')}`},Customer ${i}`);
  }
  const text = rows.join('\n') + '\n';
  assert.ok(Buffer.byteLength(text) > 8 * 2 ** 20, `${Buffer.byteLength(text)} bytes`);
  const dir = await mkdtemp(path.join(tmpdir(), 'phonescrub-offline-'));
  const file = path.join(dir, 'big.csv');
  await writeFile(file, text);
  try {
    /** @type {string[]} */
    const workers = [];
    const onWorker = (/** @type {import('playwright-core').Worker} */ w) => workers.push(w.url());
    page.on('worker', onWorker);
    t.after(() => page.off('worker', onWorker));
    await openPage(page, pathToFileURL(OUT).href);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (cores < 2) {
      t.skip(`this browser reports ${cores} core: the list would be read by one worker either way`);
      return;
    }
    await chooseList(page, file);
    await page.locator('#step-review').waitFor();
    await page.selectOption('#phone-column', { label: 'phone' });
    await page.fill('#region', 'United Kingdom');
    await page.locator('#region').press('Tab');
    await page.getByRole('button', { name: 'Scrub list' }).click();
    await page.locator('#step-results').waitFor({ timeout: 60_000 });
    // The engine worker, then its part workers from a blob: URL of its own.
    const parts = workers.slice(1);
    assert.equal(parts.length, Math.min(cores, 4), workers.join('\n'));
    assert.ok(parts.every((url) => url.startsWith('blob:') && url !== workers[0]), workers.join('\n'));
    const totals = await page.locator('#totals').innerText();
    assert.match(totals, /330,000\s+Rows read/);
    const kept = Number(/([\d,]+)\s+Kept/.exec(totals)?.[1].replaceAll(',', ''));
    const removed = Number(/([\d,]+)\s+Removed/i.exec(totals)?.[1].replaceAll(',', ''));
    assert.equal(kept + removed, 330_000, totals);
    // 17,500 distinct landlines (every 4th row) and 150,000 distinct mobiles.
    assert.equal(kept, 167_500, totals);
    const cleaned = (await download(page, /cleaned CSV/)).text.trimEnd().split('\n').slice(1);
    assert.equal(cleaned.length, kept);
    const phone = (await download(page, /cleaned CSV/)).text.split('\n')[0].split(',').indexOf('"phone"');
    const numbers = cleaned.map((line) => line.split(',')[phone].replaceAll('"', ''));
    assert.equal(new Set(numbers).size, kept, 'each number once');
    assert.ok(numbers.every((n) => /^\+44(121\d{7}|7400\d{6})$/.test(n)), numbers.find((n) => !/^\+44(121\d{7}|7400\d{6})$/.test(n)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
