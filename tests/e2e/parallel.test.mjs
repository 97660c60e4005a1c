// A large list through the real API on several cores: the engine worker cuts it into
// parts, part workers (nested workers) decide them, the engine worker merges them in
// order (src/parallel.rs, www/worker.js). The result must be the one-worker result, byte
// for byte, report and all.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setUp } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
  await env.page.goto(new URL('/index.html', env.server.url).href);
});

after(async () => {
  await env?.tearDown();
});

/**
 * Skips `t` and says so when the browser reports one core (a list is then read by one
 * worker either way).
 * @param {import('node:test').TestContext} t
 */
async function oneCore(t) {
  const cores = await env.page.evaluate(() => navigator.hardwareConcurrency);
  if (cores < 2) t.skip(`this browser reports ${cores} core: the list would be read by one worker either way`);
  return cores < 2;
}

test('a 10 MB list scrubbed by part workers equals the one-worker scrub', async (t) => {
  if (await oneCore(t)) return;
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    // Messy on purpose: national and international forms, repeats across the whole list,
    // refusals (two passes), bad numbers, a quoted field with a line break now and then.
    const rows = ['id,name,phone,consent,last_contact'];
    const phones = ['0121 294 1091', '+44 121 294 1092', '12', '', '+447400123456', '07400 123457', '(650) 253-0000'];
    for (let i = 0; rows.length < 240_000; i++) {
      const phone = i % 3 === 0 ? `+4412129${String(i % 90_000).padStart(5, '0')}` : phones[i % phones.length];
      const consent = i % 11 === 0 ? 'no' : i % 97 === 0 ? '"ye\ns"' : 'yes';
      rows.push(`${i},"Name ${i}",${phone},${consent},2024-0${1 + (i % 9)}-1${i % 10}`);
    }
    const file = new File([rows.join('\n') + '\n'], 'big.csv', { type: 'text/csv' });
    const policy = {
      phoneColumn: 'phone', defaultRegion: 'GB', consent: { column: 'consent' },
      retention: { column: 'last_contact', maxAgeDays: 365 }, keepColumns: ['id', 'phone', 'consent'],
    };
    const optOut = [{ name: 'dnc.txt', data: new TextEncoder().encode('+441212900007\n+447400123456\n') }];
    /** @param {boolean} parallel */
    const run = async (parallel) => {
      const progress = [];
      const { cleaned, removed, report } = await scrubber.scrub(file, policy, {
        optOut, today: '2025-06-30', parallel, onProgress: (p) => progress.push(p),
      });
      return { cleaned: await cleaned.text(), removed: await removed.text(), report: { ...report, elapsedMs: 0 }, progress };
    };
    const one = await run(false);
    // Cold: the part workers start with the scrub. Warm: the page profiles a dropped file
    // first, which starts them (www/worker.js warmParts).
    const parts = await run(true);
    await scrubber.terminate();
    const again = await Scrubber.create();
    await again.profile(file);
    const warm = await (async () => {
      const { cleaned, removed, report } = await again.scrub(file, policy, { optOut, today: '2025-06-30' });
      return { cleaned: await cleaned.text(), removed: await removed.text(), report: { ...report, elapsedMs: 0 } };
    })();
    // The SHA-256 the worker starts when it profiles a list is that list's only: another
    // list of the same size scrubbed after it, and the first scrubbed again after the
    // other was profiled, each get their own.
    const other = new File([rows.join('\n').replace('"Name 5"', '"Name 6"') + '\n'], 'other.csv', { type: 'text/csv' });
    const sha = async (/** @type {Blob} */ blob) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const otherScrub = (await again.scrub(other, policy, { optOut, today: '2025-06-30' })).report.inputSha256;
    await again.profile(other);
    const fileAgain = (await again.scrub(file, policy, { optOut, today: '2025-06-30' })).report.inputSha256;
    const shas = { other: otherScrub, otherExpected: await sha(other), file: fileAgain, fileExpected: await sha(file), sizes: [file.size, other.size] };
    again.terminate();
    return { size: file.size, one, parts, warm, shas };
  });
  assert.ok(out.size > 8 * 2 ** 20, `${out.size} bytes: big enough to be cut`);
  // Row by row, progress comes every 8192 rows; merged parts report once a part, at row
  // counts that are not multiples of 8192: the parts really ran.
  const oneRows = out.one.progress.filter((p) => p.phase === 'scrub').map((p) => p.rows);
  assert.ok(oneRows.slice(0, -1).every((r) => r % 8192 === 0), `one-worker progress rows ${oneRows.join(', ')}`);
  const partRows = out.parts.progress.filter((p) => p.phase === 'scrub').map((p) => p.rows);
  assert.ok(partRows.some((r) => r % 8192 !== 0), `part progress rows ${partRows.join(', ')}`);
  assert.ok(out.parts.progress.some((p) => p.phase === 'scan'), 'consent is checked, so the parts are scanned first');
  assert.equal(out.parts.report.rowsRead, out.one.report.rowsRead);
  assert.ok(out.one.report.rowsRead >= 239_000);
  assert.deepEqual(out.parts.report, out.one.report);
  assert.equal(out.parts.cleaned.length, out.one.cleaned.length);
  assert.ok(out.parts.cleaned === out.one.cleaned, 'cleaned lists differ');
  assert.ok(out.parts.removed === out.one.removed, 'removed lists differ');
  assert.deepEqual(out.warm.report, out.one.report);
  assert.ok(out.warm.cleaned === out.one.cleaned && out.warm.removed === out.one.removed, 'warm part workers: lists differ');
  assert.equal(out.shas.sizes[0], out.shas.sizes[1]);
  assert.notEqual(out.shas.otherExpected, out.shas.fileExpected);
  assert.equal(out.shas.other, out.shas.otherExpected, 'another list scrubbed after one was profiled');
  assert.equal(out.shas.file, out.shas.fileExpected, 'a list profiled earlier, scrubbed after another was profiled');
  assert.equal(out.warm.report.inputSha256, out.shas.fileExpected);
  assert.ok(out.one.report.reasons.duplicate > 0 && out.one.report.reasons.opted_out > 0 && out.one.report.reasons.no_consent > 0);
});

// The worker reads a list it profiles for the report's SHA-256 (www/worker.js ListRead); a
// scrub that starts before that read is over lets it go on and takes its parts from it.
// Both ways, and a scrub of the same Blob again (its digest kept), give the SHA-256 of
// the whole list.
test('a list scrubbed straight after its profile, or after a pause, or again, has its own SHA-256', async (t) => {
  if (await oneCore(t)) return;
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    // About 1 MiB blocks of rows, to 48 MiB: long enough that its read, started at the
    // profile, is still under way when the scrub starts at once.
    const block = (b) => {
      const rows = [];
      for (let i = 0; i < 24_000; i++) rows.push(`${b}${i},+4412129${String(i % 90_000).padStart(5, '0')},${i % 13 ? 'yes' : 'no'}\n`);
      return new Blob(rows);
    };
    const blocks = Array.from({ length: 10 }, (_, b) => block(b));
    /** @param {number} first */
    const list = (first) => {
      const parts = ['id,phone,consent\n'];
      let size = 0;
      for (let b = first; size <= 48 * 2 ** 20; b++) {
        parts.push(blocks[b % blocks.length]);
        size += blocks[b % blocks.length].size;
      }
      return new File(parts, `list${first}.csv`, { type: 'text/csv' });
    };
    const policy = { phoneColumn: 'phone', defaultRegion: 'GB', consent: { column: 'consent' }, keepColumns: ['id'] };
    const sha = async (/** @type {Blob} */ blob) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))].map((x) => x.toString(16).padStart(2, '0')).join('');
    const scrub = async (/** @type {File} */ file) => (await scrubber.scrub(file, policy, { today: '2025-06-30' })).report.inputSha256;
    const first = list(0);
    await scrubber.profile(first);
    const straight = await scrub(first);
    const again = await scrub(first);
    const second = list(3);
    await scrubber.profile(second);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const paused = await scrub(second);
    await scrubber.terminate();
    return { sizes: [first.size, second.size], straight, again, paused, expected: [await sha(first), await sha(second)] };
  });
  assert.ok(out.sizes[0] > 48 * 2 ** 20 && out.sizes[1] > 48 * 2 ** 20, `${out.sizes} bytes`);
  assert.notEqual(out.expected[0], out.expected[1]);
  assert.equal(out.straight, out.expected[0], 'scrubbed straight after its profile');
  assert.equal(out.again, out.expected[0], 'scrubbed again');
  assert.equal(out.paused, out.expected[1], 'scrubbed after a pause on its profile');
});

// What this checks is the result: the report, with its SHA-256, equal to the one-worker
// scrub's and to crypto.subtle's. That the part workers' ring completed (and `finish` did
// not hash the list itself, which gives the same digest, only later) is not seen here; the
// wasm test in tests/web.rs asserts `hashEnd` accepts the state after the last part when
// its list's scan reaches that part.
test('a list over 128 MiB (hashed by the part workers) gives the one-worker report and SHA-256', async (t) => {
  if (await oneCore(t)) return;
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    // About 1 MiB of rows (each block's ids differ by its first digit), repeated past
    // 128 MiB: a list the page scans first and whose SHA-256 the part workers work out
    // (www/worker.js HashRing; a smaller one gets the browser's).
    const block = (b) => {
      const rows = [];
      for (let i = 0; i < 24_000; i++) rows.push(`${b}${i},+4412129${String(i % 90_000).padStart(5, '0')},${i % 13 ? 'yes' : 'no'}\n`);
      return new Blob(rows);
    };
    const blocks = Array.from({ length: 10 }, (_, b) => block(b));
    const parts = ['id,phone,consent\n'];
    let size = 0;
    for (let b = 0; size <= 129 * 2 ** 20; b++) {
      parts.push(blocks[b % blocks.length]);
      size += blocks[b % blocks.length].size;
    }
    const file = new File(parts, 'huge.csv', { type: 'text/csv' });
    const policy = { phoneColumn: 'phone', defaultRegion: 'GB', consent: { column: 'consent' }, keepColumns: ['id'] };
    /** @param {boolean} parallel */
    const run = async (parallel) => {
      const phases = new Set();
      const { cleaned, removed, report } = await scrubber.scrub(file, policy, { today: '2025-06-30', parallel, onProgress: (p) => phases.add(p.phase) });
      return { cleaned: cleaned.size, removed: removed.size, report: { ...report, elapsedMs: 0 }, phases: [...phases] };
    };
    const one = await run(false);
    const inParts = await run(true);
    await scrubber.terminate();
    const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))].map((x) => x.toString(16).padStart(2, '0')).join('');
    return { size: file.size, one, inParts, sha };
  });
  assert.ok(out.size > 128 * 2 ** 20, `${out.size} bytes: over 128 MiB`);
  assert.ok(out.inParts.phases.includes('scan'), 'scanned first');
  assert.equal(out.one.report.inputSha256, out.sha);
  assert.deepEqual(out.inParts.report, out.one.report);
  assert.deepEqual([out.inParts.cleaned, out.inParts.removed], [out.one.cleaned, out.one.removed]);
});

test('a big list changed on disk after it was chosen is an input error, and the engine goes on', async (t) => {
  if (await oneCore(t)) return;
  // A disk-backed File, as a dropped file is: 12 MB, cut into parts. Chromium refuses to
  // read such a File once the file on disk has changed.
  const dir = await mkdtemp(path.join(tmpdir(), 'phonescrub-parts-'));
  const file = path.join(dir, 'changing.csv');
  const rows = ['id,phone'];
  for (let i = 0; rows.length < 600_000; i++) rows.push(`${i},+4412129${String(i % 90_000).padStart(5, '0')}`);
  await writeFile(file, rows.join('\n') + '\n');
  try {
    await env.page.evaluate(() => {
      const input = Object.assign(document.createElement('input'), { type: 'file', id: 'changing-input' });
      document.body.append(input);
    });
    await env.page.locator('#changing-input').setInputFiles(file);
    const before = await env.page.evaluate(async () => {
      const { Scrubber } = await import('/phonescrub.js');
      const scrubber = await Scrubber.create();
      Object.assign(window, { changingScrubber: scrubber });
      const list = /** @type {HTMLInputElement} */ (document.getElementById('changing-input')).files[0];
      // Profiling starts the part workers, as on the page.
      await scrubber.profile(list);
      const { report } = await scrubber.scrub(list, { phoneColumn: 'phone', defaultRegion: 'GB' });
      return { size: list.size, rowsRead: report.rowsRead };
    });
    assert.ok(before.size > 8 * 2 ** 20, `${before.size} bytes: big enough to be cut`);
    assert.equal(before.rowsRead, 599_999);
    // The file is rewritten (another export saved over it).
    await writeFile(file, rows.slice(0, 1000).join('\n') + '\n');
    const after = await env.page.evaluate(async () => {
      const scrubber = /** @type {any} */ (window).changingScrubber;
      const list = /** @type {HTMLInputElement} */ (document.getElementById('changing-input')).files[0];
      const failed = await scrubber.scrub(list, { phoneColumn: 'phone', defaultRegion: 'GB' }).then(() => null, (e) => ({ name: e.name, kind: e.kind, message: e.message }));
      // The same engine scrubs the next list.
      const { report } = await scrubber.scrub(new Blob(['phone\n+441212941091\n']), { phoneColumn: 'phone', defaultRegion: 'GB' });
      scrubber.terminate();
      return { failed, next: report.rowsKept };
    });
    assert.ok(after.failed, 'the changed file was read as if nothing happened');
    assert.equal(after.failed.kind, 'input', JSON.stringify(after.failed));
    assert.match(after.failed.message, /can no longer be read/);
    assert.equal(after.next, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a big list without consent: part workers start before the opt-out lists are read, with the same result; a bad list is still an input error', async (t) => {
  if (await oneCore(t)) return;
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const rows = ['id,phone'];
    const phones = ['0121 294 1091', '+44 121 294 1092', '12', '+447400123456', '07400 123457'];
    for (let i = 0; rows.length < 600_000; i++) rows.push(`${i},${i % 3 === 0 ? `+4412129${String(i % 90_000).padStart(5, '0')}` : phones[i % phones.length]}`);
    const file = new File([rows.join('\n') + '\n'], 'big.csv', { type: 'text/csv' });
    const policy = { phoneColumn: 'phone', defaultRegion: 'GB' };
    // A number, and the SHA-256 of +447400123457 (Google's form) in a hashed list.
    const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('+447400123457')))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const optOut = [
      { name: 'dnc.txt', data: new TextEncoder().encode('+441212900007\n+447400123456\n') },
      { name: 'hashed.txt', data: new TextEncoder().encode(`${sha}\n`) },
    ];
    /** @param {boolean} parallel */
    const run = async (parallel) => {
      const progress = [];
      const { cleaned, removed, report } = await scrubber.scrub(file, policy, { optOut, today: '2025-06-30', parallel, onProgress: (p) => progress.push(p) });
      return { cleaned: await cleaned.text(), removed: await removed.text(), report: { ...report, elapsedMs: 0 }, progress };
    };
    const one = await run(false);
    const parts = await run(true);
    const bad = await scrubber.scrub(file, policy, { optOut: [{ name: 'notes.txt', data: new TextEncoder().encode('call back later\n') }] })
      .then(() => null, (e) => ({ kind: e.kind, message: e.message }));
    const { report } = await scrubber.scrub(new Blob(['phone\n+441212941091\n']), policy);
    scrubber.terminate();
    return { size: file.size, one, parts, bad, next: report.rowsKept };
  });
  assert.ok(out.size > 8 * 2 ** 20, `${out.size} bytes: big enough to be cut`);
  const partRows = out.parts.progress.filter((p) => p.phase === 'scrub').map((p) => p.rows);
  assert.ok(partRows.some((r) => r % 8192 !== 0), `part progress rows ${partRows.join(', ')}`);
  assert.deepEqual(out.parts.report, out.one.report);
  assert.ok(out.parts.cleaned === out.one.cleaned, 'cleaned lists differ');
  assert.ok(out.parts.removed === out.one.removed, 'removed lists differ');
  const [dnc, hashed] = out.one.report.optOutLists;
  assert.ok(dnc.rowsMatched > 1000 && hashed.rowsMatched > 1000, JSON.stringify(out.one.report.optOutLists));
  assert.ok(out.bad, 'a list with no number was taken');
  assert.equal(out.bad.kind, 'input', JSON.stringify(out.bad));
  assert.match(out.bad.message, /opt-out list "notes\.txt": no valid phone number/);
  assert.equal(out.next, 1);
});
