// Shared set-up for the page tests: the server (in-process, any free port) and Debian's
// Chromium driven by playwright-core, with no route to any outside host.

import { mkdtemp, rm, readFile, mkdir, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = path.join(ROOT, 'tests/e2e/fixtures');
export const SCREENSHOTS = path.join(ROOT, 'tests/e2e/screenshots');

/** Exactly the flags of docs: toolchain.md §3. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Starts the server on a free port and a browser with a fresh profile.
 * @param {{ contextOptions?: object }} [options]
 */
export async function setUp({ contextOptions = {} } = {}) {
  await access(path.join(ROOT, 'www/pkg/phonescrub_bg.wasm')).catch(() => {
    throw new Error('www/pkg/ has no engine: build it first (wasm-pack build --target web --release --out-dir www/pkg --no-pack)');
  });
  const server = await startServer({ root: path.join(ROOT, 'www'), port: 0 });
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'phonescrub-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    locale: 'en-US',
    ...contextOptions,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Any error the page logs is a test failure waiting to be noticed: keep them.
  /** @type {string[]} */
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    server,
    context,
    page,
    pageErrors,
    async tearDown() {
      await context.close().catch(() => {});
      await server.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the page and waits until the engine has started.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 */
export async function openPage(page, url) {
  await page.goto(url);
  await page.locator('#engine-version').filter({ hasText: /engine \d/ }).waitFor();
}

/**
 * Chooses the contact list (a fixture path, or {name, mimeType, buffer}) and waits for the
 * review step.
 * @param {import('playwright-core').Page} page
 * @param {string | {name: string, mimeType: string, buffer: Buffer}} file
 */
export async function chooseList(page, file) {
  await page.locator('#list-input').setInputFiles(file);
}

/**
 * Clicks a download link and returns the downloaded file's text, its suggested name and
 * where it was saved (valid until the browser closes).
 * @param {import('playwright-core').Page} page
 * @param {string | RegExp} name  the link's accessible name
 */
export async function download(page, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()]);
  const file = await dl.path();
  return { text: await readFile(file, 'utf8'), suggested: dl.suggestedFilename(), path: file };
}

/**
 * Saves a screenshot of the whole page, or of one element. Only results.png (the results
 * step alone, to keep it small) is committed; the others, `*.tmp.png`, are git-ignored
 * and are there to be looked at.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @param {string} [selector]
 */
export async function screenshot(page, name, selector) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name === 'results' ? 'results.png' : `${name}.tmp.png`);
  if (selector) await page.locator(selector).screenshot({ path: file, animations: 'disabled' });
  else await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
}
