// "Protect the downloads" on the page: a keyed hash column for a partner and age
// encryption with a passphrase. The encrypted downloads are opened with the real `rage`
// binary from crates.io (installed by scripts/setup.sh), as a user would; the key and the
// passphrase must not be found anywhere the page keeps things.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setUp, openPage, chooseList, download, FIXTURES, ROOT } from './helpers.mjs';

const run = promisify(execFile);
const KEY = 'partner-secret-7';
const PASSPHRASE = 'correct horse battery staple';
const RAGE = path.join(process.env.CARGO_HOME ?? path.join(process.env.HOME ?? '', '.cargo'), 'bin', 'rage');

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** @type {string} */
let scratch;

before(async () => {
  env = await setUp();
  scratch = await mkdtemp(path.join(tmpdir(), 'phonescrub-protect-'));
});

after(async () => {
  await env?.tearDown();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * Decrypts an age file with `rage -d`, the passphrase given through a stand-in pinentry.
 * @param {string} file
 * @param {string} passphrase
 */
async function rageDecrypt(file, passphrase) {
  const log = path.join(scratch, `pinentry-${Date.now()}-${Math.random()}.log`);
  const { stdout } = await run(RAGE, ['-d', file], {
    env: {
      ...process.env,
      PINENTRY_PROGRAM: path.join(ROOT, 'tests/e2e/fake-pinentry.mjs'),
      FAKE_PINENTRY_PASSPHRASE: passphrase,
      FAKE_PINENTRY_LOG: log,
    },
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  const asked = await readFile(log, 'utf8').catch(() => '');
  return { text: stdout.toString('utf8'), askedForPin: asked.includes('GETPIN') };
}

/** Fields of the engine's always-quoted CSV lines (no quotes or commas inside fields here). @param {string} line */
const fields = (line) => line.split(',').map((f) => f.replace(/^"|"$/g, ''));

test('keyed hash for a partner + encrypted downloads: rage opens them; key and passphrase are kept nowhere', async () => {
  const { page, server, pageErrors } = env;
  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  await page.fill('#region', 'GB');
  await page.locator('#region').press('Tab');

  // Hashing options appear only once a platform is chosen.
  assert.equal(await page.locator('#hash-options').isVisible(), false);
  await page.selectOption('#hash-target', 'meta');
  assert.equal(await page.locator('#hash-options').isVisible(), true);
  await page.getByLabel('Keep the number and add a hash column').check();
  await page.getByLabel(/Keyed hash/).check();

  // A keyed hash without a key, and passphrases that differ, are stopped before the scrub.
  await page.getByRole('button', { name: 'Scrub list' }).click();
  assert.match(await page.locator('#rules-error').innerText(), /secret key/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'hash-key');
  await page.fill('#hash-key', KEY);

  await page.getByLabel(/Encrypt the cleaned and removed files/).check();
  await page.fill('#passphrase', PASSPHRASE);
  await page.fill('#passphrase-again', `${PASSPHRASE}!`);
  await page.getByRole('button', { name: 'Scrub list' }).click();
  assert.match(await page.locator('#rules-error').innerText(), /passphrases differ/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'passphrase-again');
  await page.fill('#passphrase-again', PASSPHRASE);

  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.locator('#step-results').waitFor();
  assert.match(await page.locator('#preview-cleaned').innerText(), /Encrypted: no preview/);

  const cleaned = await download(page, /cleaned CSV \(encrypted\)/);
  const removed = await download(page, /removed rows CSV \(encrypted\)/);
  assert.equal(cleaned.suggested, 'contacts-cleaned.csv.age');
  assert.equal(removed.suggested, 'contacts-removed.csv.age');
  for (const file of [cleaned, removed]) {
    const head = (await readFile(file.path)).subarray(0, 40).toString('latin1');
    assert.match(head, /^age-encryption\.org\/v1\n-> scrypt /, 'an age file with a passphrase (scrypt) stanza');
  }

  // rage refuses a wrong passphrase...
  await assert.rejects(rageDecrypt(cleaned.path, 'not the passphrase'));
  // ...and opens both files with the right one, through the pinentry it was given.
  const plainCleaned = await rageDecrypt(cleaned.path, PASSPHRASE);
  assert.ok(plainCleaned.askedForPin, 'rage asked the stand-in pinentry for the passphrase');
  const lines = plainCleaned.text.trimEnd().split('\n');
  assert.deepEqual(fields(lines[0]), ['Name', 'Phone', 'phone_hmac_sha256']);
  assert.deepEqual(
    lines.slice(1).map((l) => fields(l)[1]),
    ['+441212941091', '+447911123456', '+12015550123', '+4930901820'],
  );
  // Meta's form: the digits with country code, no +; keyed with the partner's secret.
  for (const line of lines.slice(1)) {
    const [, phone, hash] = fields(line);
    assert.equal(hash, createHmac('sha256', KEY).update(phone.slice(1)).digest('hex'), `hash of ${phone}`);
  }
  const plainRemoved = await rageDecrypt(removed.path, PASSPHRASE);
  assert.deepEqual(fields(plainRemoved.text.split('\n')[0]), ['Name', 'Phone', 'line', 'reasons']);
  assert.equal(plainRemoved.text.trimEnd().split('\n').length, 3, 'header + the two removed rows');

  // The report and the remembered policy name the options, never the secrets.
  const report = await download(page, /report JSON/);
  assert.deepEqual(JSON.parse(report.text).policy.output.hash, { target: 'meta', column: 'add', keyed: true });
  const kept = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  const remembered = await page.evaluate(() => Object.values({ ...localStorage }).map((v) => JSON.parse(v)));
  assert.deepEqual(
    remembered.map((p) => [p.output?.hash, p.encrypt]),
    [[{ target: 'meta', column: 'add', keyed: true }, true]],
    'the choices are remembered (one remembered policy)',
  );
  for (const secret of [KEY, PASSPHRASE]) {
    assert.ok(!report.text.includes(secret), 'no secret in the report');
    assert.ok(!kept.includes(secret), 'no secret in localStorage or sessionStorage');
  }

  // After a reload the choices come back, the secret fields are empty.
  await openPage(page, server.url);
  await chooseList(page, path.join(FIXTURES, 'contacts.csv'));
  await page.locator('#step-review').waitFor();
  assert.equal(await page.inputValue('#hash-target'), 'meta');
  assert.equal(await page.isChecked('input[name=hash-column][value=add]'), true);
  assert.equal(await page.isChecked('#hash-keyed'), true);
  assert.equal(await page.isChecked('#encrypt'), true);
  assert.equal(await page.inputValue('#hash-key'), '');
  assert.equal(await page.inputValue('#passphrase'), '');
  assert.deepEqual(pageErrors, []);
});
