// The TypeScript declarations (www/types/) hold: an embedder's example and the
// implementation type-check against them (tests/types), and real engine output — a
// report, a profile and a progress report from a scrub in Chromium — is written out as
// object literals that must `satisfy` the declared types, so a field added, renamed or
// dropped on either side (the Rust types or the .d.ts) fails here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setUp, ROOT } from './helpers.mjs';

const run = promisify(execFile);

/**
 * Runs `npx tsc -p <project>` from the checkout; resolves with tsc's output, rejects with it.
 * @param {string} project
 */
async function tsc(project) {
  try {
    await run('npx', ['tsc', '-p', project], { cwd: ROOT, timeout: 120_000 });
  } catch (err) {
    const e = /** @type {any} */ (err);
    throw new Error(`tsc -p ${project} failed:\n${e.stdout}${e.stderr}`);
  }
}

test('the embedder example and the implementation type-check (npx tsc -p tests/types)', async () => {
  await tsc('tests/types');
});

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
  await env.page.goto(new URL('/index.html', env.server.url).href);
});

after(async () => {
  await env?.tearDown();
});

test('real engine output satisfies the declared Report, Profile and Progress exactly', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const list = new TextEncoder().encode(
      [
        'Name;Phone;Country;Opt-in;Opt-in date;Last contact;Notes',
        'Ann;0121 294 1091;GB;yes;2025-01-02;2025-03-04;',
        'Bob;07911 123456;GB;no;2025-01-02;2025-03-04;',
        'Cara;+1 201 555 0123;US;yes;2020-01-02;2025-03-04;=1+1',
        'Dan;12345;GB;maybe;2025-01-02;2019-03-04;',
        'Ann again;+44 121 294 1091;GB;yes;2025-01-02;2025-03-04;',
      ].join('\n'),
    );
    const optOut = { name: 'dnc.csv', data: new TextEncoder().encode('+447911123456\n') };
    /** @type {any[]} */
    const progress = [];
    const full = await scrubber.scrub(
      list,
      {
        phoneColumn: 'Phone',
        defaultRegion: 'GB',
        regionColumn: 'Country',
        keepColumns: ['Name', 1, 'Opt-in'],
        consent: { column: 'Opt-in', granted: ['yes'], dateColumn: 'Opt-in date', maxAgeDays: 730 },
        retention: { column: 'Last contact', maxAgeDays: 730 },
        dateOrder: 'dmy',
        delimiter: ';',
        dedupe: true,
        invalidNumbers: 'keep',
        mode: 'flag',
        output: { phoneFormat: 'international', formulaSafe: true, bom: true, hash: { target: 'meta', column: 'add', keyed: true } },
      },
      { optOut: [optOut], today: '2025-06-30', hashKey: 'k', onProgress: (p) => progress.push(p) },
    );
    const minimal = await scrubber.scrub(list, { phoneColumn: 1 }, { today: '2025-06-30' });
    const profile = await scrubber.profile(list, { defaultRegion: 'GB' });
    scrubber.terminate();
    return { full: full.report, minimal: minimal.report, profile, progress: progress[0] };
  });
  // The rules ran (so the literals below hold their fields filled, not just empty).
  assert.ok(out.full.consentValues.length > 0 && out.full.optOutLists.length === 1 && out.full.policy.output.hash);
  assert.ok(out.profile.columns.some((/** @type {any} */ c) => c.values.length > 0));

  const dir = await mkdtemp(path.join(tmpdir(), 'phonescrub-types-'));
  try {
    const literal = (/** @type {unknown} */ value) => JSON.stringify(value, null, 2);
    await writeFile(
      path.join(dir, 'engine-output.ts'),
      [
        "import type { Profile, Progress, Report, ResolvedPolicy } from 'phonescrub';",
        '// Written by tests/e2e/types.test.mjs from a scrub in Chromium.',
        `export const full = ${literal(out.full)} satisfies Report;`,
        `export const minimal = ${literal(out.minimal)} satisfies Report;`,
        `export const profile = ${literal(out.profile)} satisfies Profile;`,
        `export const progress = ${literal(out.progress)} satisfies Progress;`,
        // Every declared key is present in the output (satisfies alone allows optional ones to be missing).
        'type Keys<T> = { [K in keyof Required<T>]: true };',
        `export const reportKeys: Keys<Report> = ${literal(Object.fromEntries(Object.keys(out.full).map((k) => [k, true])))};`,
        `export const policyKeys: Keys<ResolvedPolicy> = ${literal(Object.fromEntries(Object.keys(out.full.policy).map((k) => [k, true])))};`,
        `export const profileKeys: Keys<Profile> = ${literal(Object.fromEntries(Object.keys(out.profile).map((k) => [k, true])))};`,
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: path.join(ROOT, 'tests/types/tsconfig.json'), include: ['engine-output.ts'] }, null, 2),
    );
    await tsc(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
