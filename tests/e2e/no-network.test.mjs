// Invariant 1: nothing leaves the machine. Every request the page and its worker make in
// a whole session goes to the page's own origin and is one of the static files, and the
// Content-Security-Policy is never violated.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setUp, openPage, chooseList, download, FIXTURES } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

/** The files the page is made of; nothing else may be requested. */
const STATIC_FILE = /^\/(|index\.html|[\w-]+\.js|[\w-]+\.css|pkg\/phonescrub\.js|pkg\/phonescrub_bg\.wasm)$/;

test('a full session requests only the static files of its own origin, and violates no CSP', async () => {
  const { page, context, server, pageErrors } = env;
  const origin = new URL(server.url).origin;

  /** @type {Array<{url: string, method: string}>} */
  const requests = [];
  // The context sees the requests of the page and of its workers.
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
  /** @type {string[]} */
  const consoleProblems = [];
  const watchConsole = (/** @type {import('playwright-core').ConsoleMessage} */ m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) consoleProblems.push(m.text());
  };
  page.on('console', watchConsole);
  page.on('worker', (w) => w.on('console', watchConsole));
  // Record policy violations in the page from its very first script on.
  await context.addInitScript(() => {
    /** @type {any} */ (window).__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      /** @type {any} */ (window).__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });

  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  await page.locator('#optout-details summary').click();
  await page.locator('#optout-input').setInputFiles({ name: 'do-not-call.csv', mimeType: 'text/csv', buffer: Buffer.from('number\n+447911123456\n') });
  await page.locator('#optout-list li').waitFor();
  await page.fill('#region', 'GB');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  const cleaned = await download(page, /cleaned CSV/);
  assert.doesNotMatch(cleaned.text, /447911123456/, 'the opt-out list was applied');
  await download(page, /printable receipt/);

  const workerScriptSeen = requests.some((r) => new URL(r.url).pathname === '/worker.js');
  const wasmSeen = requests.some((r) => r.url.endsWith('/pkg/phonescrub_bg.wasm'));
  assert.ok(workerScriptSeen && wasmSeen, `the worker's own requests are recorded too:\n${requests.map((r) => r.url).join('\n')}`);

  for (const r of requests) {
    const url = new URL(r.url);
    if (url.protocol === 'blob:' || url.protocol === 'data:') {
      // In-memory: downloads (blob: URLs of this origin) and the inline icon.
      if (url.protocol === 'blob:') assert.ok(r.url.startsWith(`blob:${origin}/`), r.url);
      continue;
    }
    assert.equal(url.origin, origin, `request to another origin: ${r.url}`);
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.match(url.pathname, STATIC_FILE, `not a static file: ${r.url}`);
    assert.equal(url.search, '', `no query string may carry data: ${r.url}`);
  }

  const violations = await page.evaluate(() => /** @type {any} */ (window).__cspViolations);
  assert.deepEqual(violations, []);
  assert.deepEqual(consoleProblems, []);
  assert.deepEqual(pageErrors, []);
});
