// A trapped engine (a Rust panic is a WebAssembly.RuntimeError in the worker): the page
// says so with the row count, the API starts a fresh worker, and the next scrub works.
//
// No known input makes the engine panic, so the test serves the first worker an engine
// module whose scrub reports progress and then traps the way a panic does. Everything
// else (worker.js, phonescrub.js, app.js) is the real code; later workers get the real
// engine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setUp, openPage, chooseList, download, screenshot, FIXTURES, ROOT } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

const TRAPPING_ENGINE = `
import * as real from './phonescrub.real.js';
export default real.default;
export const engineVersion = real.engineVersion;
export const profile = real.profile;
export const ParallelScrub = real.ParallelScrub;
export const PartWorker = real.PartWorker;
export const unreadableError = real.unreadableError;
export const warmUp = real.warmUp;
export function scrub(input, policy, optOuts, sinks, options) {
  sinks.progress({ phase: 'scrub', twoPasses: false, rows: 8192, bytes: 1 });
  // What a Rust panic (panic = "abort") looks like from JS: the instance traps.
  throw new WebAssembly.RuntimeError('unreachable');
}
`;

test('a crashed engine is reported with its row count and replaced; the next scrub works', async () => {
  const { page, context, server } = env;
  const realEngine = await readFile(path.join(ROOT, 'www/pkg/phonescrub.js'));
  let engineLoads = 0;
  const headers = { 'content-type': 'text/javascript' };
  await context.route('**/pkg/phonescrub.js', (route) =>
    route.fulfill({ body: ++engineLoads === 1 ? TRAPPING_ENGINE : realEngine, headers }),
  );
  await context.route('**/pkg/phonescrub.real.js', (route) => route.fulfill({ body: realEngine, headers }));

  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  await page.fill('#region', 'GB');
  await page.getByRole('button', { name: 'Scrub list' }).click();

  const error = page.locator('#run-error');
  await error.waitFor();
  const text = await error.innerText();
  assert.match(text, /engine crashed after about 8,192 rows and has been restarted/);
  assert.match(await page.locator('#run-status').innerText(), /crashed/);
  assert.equal(await page.isHidden('#step-results'), true);
  await screenshot(page, 'crash');

  // The fresh worker loaded the engine again (the real one this time) and scrubs.
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  assert.equal(engineLoads, 2, 'exactly one restart');
  assert.equal(await error.isHidden(), true, 'the crash message is cleared');
  const cleaned = await download(page, /cleaned CSV/);
  assert.match(cleaned.text, /Ann Archer/);
});
