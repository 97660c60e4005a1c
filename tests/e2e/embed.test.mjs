// Embedding: the <phone-scrubber> element on a host page (www/embed-example.html, served
// with the production CSP), its theming, events, cancel and accessibility; and the JS API
// as an embedder uses it (inputs reach the worker as Blob references, errors carry their
// line, a passphrase seals the outputs).

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setUp, download, FIXTURES, ROOT } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** CSP reports from the console (the page's and its worker's). @type {string[]} */
const cspMessages = [];

before(async () => {
  env = await setUp();
  env.page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspMessages.push(message.text());
  });
  // Violations inside the shadow root reach the document (the event is composed).
  await env.context.addInitScript(() => {
    /** @type {any} */ (window).__violations = [];
    document.addEventListener(
      'securitypolicyviolation',
      (e) => /** @type {any} */ (window).__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      true,
    );
  });
});

after(async () => {
  await env?.tearDown();
});

beforeEach(async () => {
  await env.page.goto(new URL('/embed-example.html', env.server.url).href);
  await env.page.waitForFunction(() => customElements.get('phone-scrubber') !== undefined);
  // Record the element's events as the host sees them.
  await env.page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__events = [];
    const element = /** @type {HTMLElement} */ (document.querySelector('phone-scrubber'));
    element.addEventListener('scrubbed', async (event) => {
      const { report, cleaned, removed } = /** @type {CustomEvent} */ (event).detail;
      w.__events.push({ type: 'scrubbed', bubbles: event.bubbles, report, cleaned: await cleaned.text(), removed: await removed.text() });
    });
    element.addEventListener('error', (event) => {
      w.__events.push({ type: 'error', bubbles: event.bubbles, detail: /** @type {CustomEvent} */ (event).detail });
    });
  });
});

/** @param {import('playwright-core').Page} page */
async function nextEvent(page) {
  await page.waitForFunction(() => /** @type {any} */ (window).__events.length > 0, null, { timeout: 60_000 });
  return page.evaluate(() => /** @type {any} */ (window).__events.shift());
}

/** @param {import('playwright-core').Page} page */
async function violations(page) {
  return [...(await page.evaluate(() => /** @type {any} */ (window).__violations)), ...cspMessages];
}

test('the element scrubs a list on a host page: review, run, scrubbed event, downloads', async () => {
  const { page } = env;
  const element = page.locator('phone-scrubber');
  // The host's text in the `heading` slot names the element's heading.
  await element.getByRole('heading', { level: 2, name: 'Clean a contact list before a campaign' }).waitFor();

  await page.getByLabel('Contact list', { exact: true }).setInputFiles(path.join(FIXTURES, 'contacts.csv'));
  const phone = page.getByLabel('Phone number column');
  await phone.waitFor();
  assert.equal(await phone.inputValue(), '1', 'the profile picked the Phone column');
  assert.equal(await phone.locator('option:checked').innerText(), 'Phone (e.g. 0121 2** **91)', 'examples of numbers are masked');
  assert.equal(await page.getByLabel('Country for numbers without a +country code').inputValue(), 'GB', 'from default-region');
  const keep = page.getByRole('group', { name: 'Columns to keep' });
  const checked = await keep.getByRole('checkbox').evaluateAll((boxes) =>
    boxes.map((b) => `${/** @type {HTMLInputElement} */ (b).parentElement?.textContent}:${/** @type {HTMLInputElement} */ (b).checked}`),
  );
  assert.deepEqual(checked, ['Name:true', 'Phone:true', 'Email:false', 'Notes:false'], 'from keep-columns');
  assert.match(await element.getByRole('status').innerText(), /contacts\.csv read: 4 columns/);

  await page.getByRole('button', { name: 'Scrub list' }).click();
  const event = await nextEvent(page);
  assert.equal(event.type, 'scrubbed');
  assert.equal(event.bubbles, true);
  const { report } = event;
  assert.deepEqual(
    { read: report.rowsRead, kept: report.rowsKept, removed: report.rowsRemoved, duplicate: report.reasons.duplicate, invalid: report.reasons.invalid_number },
    { read: 6, kept: 4, removed: 2, duplicate: 1, invalid: 1 },
  );
  assert.deepEqual(report.policy.keepColumns, [0, 1]);
  assert.equal(report.policy.defaultRegion, 'GB');
  assert.deepEqual(report.columnsDropped, ['Email', 'Notes']);
  const cleaned = ['"Name","Phone"', '"Ann Archer","+441212941091"', '"Bob Baker","+447911123456"', '"Cara Cole","+12015550123"', '"Fay Ford","+4930901820"', ''].join('\n');
  assert.equal(event.cleaned, cleaned);
  assert.equal(event.removed, ['"Name","Phone","line","reasons"', '"Dan Dale","+441212941091","5","duplicate"', '"Eve East","12345","6","invalid_number"', ''].join('\n'));

  // The host page's own listener (embed-example.js) heard it too.
  assert.match(await page.locator('#log').innerText(), /scrubbed: 6 rows read, 4 kept/);
  // Results inside the element, with focus on their heading, and working downloads.
  const results = page.getByRole('heading', { name: 'Results' });
  assert.equal(await results.evaluate((h) => h.getRootNode() instanceof ShadowRoot && /** @type {ShadowRoot} */ (h.getRootNode()).activeElement === h), true);
  assert.match(await element.getByRole('status').innerText(), /Done: 6 rows read, 4 kept, 2 removed\./);
  const file = await download(page, /Cleaned list/);
  assert.equal(file.suggested, 'contacts-cleaned.csv');
  assert.equal(file.text, cleaned);
  const json = await download(page, /^Report$/);
  assert.equal(json.suggested, 'contacts-report.json');
  assert.equal(JSON.parse(json.text).inputSha256, report.inputSha256);

  // Scrub another list: back to the start, links revoked.
  await page.getByRole('button', { name: 'Scrub another list' }).click();
  assert.equal(await page.getByRole('link', { name: /Cleaned list/ }).count(), 0);
  assert.equal(await page.getByLabel('Contact list', { exact: true }).evaluate((i) => /** @type {ShadowRoot} */ (i.getRootNode()).activeElement === i), true);

  assert.deepEqual(await violations(page), [], 'no CSP violation: constructed stylesheet, no inline style or script');
  assert.deepEqual(env.pageErrors, []);
});

test('theming: the custom properties reach inside the shadow root; one adopted stylesheet, no inline style', async () => {
  const { page } = env;
  const read = () =>
    page.locator('phone-scrubber').evaluate((el) => {
      const root = /** @type {ShadowRoot} */ (el.shadowRoot);
      const button = getComputedStyle(/** @type {Element} */ (root.querySelector('button.primary')));
      const panel = getComputedStyle(/** @type {Element} */ (root.querySelector('.panel')));
      return {
        accent: button.backgroundColor,
        font: panel.fontFamily,
        radius: panel.borderTopLeftRadius,
        background: panel.backgroundColor,
        adopted: root.adoptedStyleSheets.length,
        inline: root.querySelectorAll('style, link, [style]').length,
      };
    });
  // embed-example.css sets these on the element.
  assert.deepEqual(await read(), {
    accent: 'rgb(122, 31, 92)',
    font: 'Georgia, "Times New Roman", serif',
    radius: '2px',
    background: 'rgb(255, 253, 248)',
    adopted: 1,
    inline: 0,
  });
  // Changed at run time, the theme follows (the values are not baked in). CSSOM, not a
  // style attribute in markup: a strict CSP allows it.
  await page.locator('phone-scrubber').evaluate((el) => /** @type {HTMLElement} */ (el).style.setProperty('--phone-scrubber-accent', 'rgb(0, 90, 50)'));
  assert.equal((await read()).accent, 'rgb(0, 90, 50)');
  assert.deepEqual(await violations(page), []);
});

test('a file that cannot be read fires `error` with kind and line; the element keeps working', async () => {
  const { page } = env;
  const list = page.getByLabel('Contact list', { exact: true });
  await list.setInputFiles({
    name: 'long-cell.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`name,phone\nAnn,+441212941091\nBob,"${'x'.repeat(1_100_000)}"\n`),
  });
  const event = await nextEvent(page);
  assert.equal(event.type, 'error');
  assert.equal(event.bubbles, false, 'like a native element error, it does not bubble to window');
  assert.equal(event.detail.kind, 'input');
  assert.equal(event.detail.line, 3);
  assert.match(event.detail.message, /line 3: a field of 1100000 bytes is larger than the 1 MiB limit/);
  assert.match(await page.locator('phone-scrubber').getByRole('alert').innerText(), /long-cell\.csv cannot be scrubbed: line 3/);
  assert.match(await page.locator('#log').innerText(), /error \(input, line 3\)/);
  assert.equal(await list.inputValue(), '', 'the bad file is let go');

  // A policy the engine refuses is an error too (kind "policy", no line).
  await list.setInputFiles(path.join(FIXTURES, 'contacts.csv'));
  await page.getByLabel('Phone number column').waitFor();
  await page.locator('phone-scrubber').evaluate((el) => {
    /** @type {any} */ (el).policy = { retention: { column: 'Last contact', maxAgeDays: 30 } };
  });
  await page.getByRole('button', { name: 'Scrub list' }).click();
  const refused = await nextEvent(page);
  assert.deepEqual(refused.detail.kind, 'policy');
  assert.equal(refused.detail.line, undefined);
  assert.match(refused.detail.message, /no column named "Last contact"/);

  // Then a good run.
  await page.locator('phone-scrubber').evaluate((el) => {
    /** @type {any} */ (el).policy = {};
  });
  await page.getByRole('button', { name: 'Scrub list' }).click();
  const ok = await nextEvent(page);
  assert.equal(ok.type, 'scrubbed');
  assert.equal(ok.report.rowsKept, 4);
  assert.equal(await page.locator('phone-scrubber [role=alert]').textContent(), '', 'the old error is cleared');
  assert.deepEqual(env.pageErrors, []);
});

test('cancel stops a running scrub: no event, the review is back, and the engine runs again', async () => {
  const { page } = env;
  const rows = ['phone,consent'];
  for (let i = 0; i < 300_000; i++) rows.push(`+44 7911 ${100000 + (i % 900000)},yes`);
  await page.locator('phone-scrubber').evaluate((el) => {
    /** @type {any} */ (el).policy = { consent: { column: 'consent' } }; // two passes: slower, so there is time to cancel
  });
  await page.getByLabel('Contact list', { exact: true }).setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
  await page.getByLabel('Phone number column').waitFor();
  await page.getByRole('button', { name: 'Scrub list' }).click();
  const progress = page.getByText(/^(Looking for opt-outs|Scrubbing): \d+%/);
  await progress.waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.match(await page.locator('phone-scrubber').getByRole('status').innerText(), /Cancelled/);
  assert.equal(await page.getByRole('button', { name: 'Scrub list' }).isEnabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Cancel' }).isVisible(), false);
  assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).__events), [], 'a cancel fires neither scrubbed nor error');

  // The engine was restarted; the same element scrubs the next list.
  await page.locator('phone-scrubber').evaluate((el) => {
    /** @type {any} */ (el).policy = {};
  });
  await page.getByLabel('Contact list', { exact: true }).setInputFiles(path.join(FIXTURES, 'contacts.csv'));
  await page.getByText(/contacts\.csv read/).waitFor();
  await page.getByRole('button', { name: 'Scrub list' }).click();
  assert.equal((await nextEvent(page)).report.rowsRead, 6);
  assert.deepEqual(env.pageErrors, []);
});

test('no serious or critical axe violations in the element (review and results)', async () => {
  const { page } = env;
  const axeSource = await readFile(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource); // through the DevTools protocol, which the CSP does not govern
  const serious = async () => {
    const results = await page.evaluate(() => /** @type {any} */ (window).axe.run('phone-scrubber', { resultTypes: ['violations'] }));
    return results.violations
      .filter((/** @type {any} */ v) => v.impact === 'serious' || v.impact === 'critical')
      .map((/** @type {any} */ v) => `${v.id}: ${v.help} (${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).join(', ')})`);
  };
  assert.deepEqual(await serious(), [], 'start');
  await page.getByLabel('Contact list', { exact: true }).setInputFiles(path.join(FIXTURES, 'consent.csv'));
  await page.getByLabel('Phone number column').waitFor();
  assert.deepEqual(await serious(), [], 'review');
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await nextEvent(page);
  assert.deepEqual(await serious(), [], 'results');
});

test('API: inputs reach the worker as Blob references (never strings); errors carry .line', async () => {
  const out = await env.page.evaluate(async () => {
    // Watch what crosses to the worker.
    /** @type {string[]} */
    const sent = [];
    const post = Worker.prototype.postMessage;
    /** @type {File} */
    let file = new File(['name,phone\nAnn,+441212941091\n'], 'list.csv');
    Worker.prototype.postMessage = function (/** @type {any} */ message, /** @type {any} */ options) {
      if (message?.type === 'profile' || message?.type === 'scrub') {
        const describe = (/** @type {unknown} */ v) => (v === file ? 'the File itself' : v instanceof Blob ? 'Blob' : typeof v);
        sent.push(`${message.type}: ${describe(message.input)}${(message.optOuts ?? []).map((/** @type {any} */ o) => `, opt-out ${describe(o.data)}`).join('')}`);
      }
      return post.call(this, message, options);
    };
    const { Scrubber, ScrubError } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    await scrubber.profile(file);
    await scrubber.scrub(file, { phoneColumn: 1 }, { optOut: [new TextEncoder().encode('+447911123456\n')] });
    await scrubber.scrub(new TextEncoder().encode('phone\n+441212941091\n').buffer, { phoneColumn: 0 });
    const long = new TextEncoder().encode(`name,phone\nAnn,+441212941091\nBob,"${'x'.repeat(1_100_000)}"\n`);
    const error = await scrubber.scrub(long, { phoneColumn: 'phone' }).catch((e) => e);
    const refused = await scrubber.profile(/** @type {any} */ ('name,phone\n')).catch((e) => e);
    scrubber.terminate();
    Worker.prototype.postMessage = post;
    return {
      sent,
      error: { isScrubError: error instanceof ScrubError, kind: error.kind, line: error.line },
      refused: { kind: refused.kind, name: refused.name },
    };
  });
  assert.deepEqual(out.sent, ['profile: the File itself', 'scrub: the File itself, opt-out Blob', 'scrub: Blob', 'scrub: Blob']);
  assert.deepEqual(out.error, { isScrubError: true, kind: 'input', line: 3 });
  assert.deepEqual(out.refused, { kind: 'usage', name: 'TypeError' });
});

test('API: a passphrase seals both outputs (age); an empty one is refused, not ignored', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const list = new TextEncoder().encode('name,phone\nAnn,+441212941091\nAnn again,+441212941091\n');
    const { cleaned, removed, report } = await scrubber.scrub(list, { phoneColumn: 'phone' }, { passphrase: 'correct horse' });
    const empty = await scrubber.scrub(list, { phoneColumn: 'phone' }, { passphrase: '' }).then(
      () => null,
      (e) => ({ kind: e.kind, message: e.message }),
    );
    scrubber.terminate();
    const text = async (/** @type {Blob} */ b) => new TextDecoder('latin1').decode(await b.arrayBuffer());
    return {
      cleaned: await text(cleaned),
      removed: await text(removed),
      type: cleaned.type,
      kept: report.rowsKept,
      removedRows: report.rowsRemoved,
      reportHasPassphrase: JSON.stringify(report).includes('correct horse'),
      empty,
    };
  });
  for (const file of [out.cleaned, out.removed]) {
    assert.match(file, /^age-encryption\.org\/v1\n-> scrypt /);
    assert.ok(!file.includes('+441212941091'), 'no number in the clear');
  }
  assert.equal(out.type, 'application/octet-stream');
  assert.deepEqual([out.kept, out.removedRows], [1, 1]);
  assert.equal(out.reportHasPassphrase, false);
  assert.equal(out.empty?.kind, 'policy');
  assert.match(out.empty?.message ?? '', /passphrase .* is empty/);
});
