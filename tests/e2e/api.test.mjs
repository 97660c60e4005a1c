// The embeddable API (www/phonescrub.js), used directly from a page of the origin:
// results, error kinds, progress, cancelling (running and queued), terminate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;

before(async () => {
  env = await setUp();
  // Any page of the origin will do; the API is loaded by each test with import().
  await env.page.goto(new URL('/index.html', env.server.url).href);
});

after(async () => {
  await env?.tearDown();
});

test('profile and scrub bytes; the caller keeps its buffer; opt-out lists by name', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const bytes = new TextEncoder().encode('name;tel\nAnn;0121 294 1091\nBob;07911 123456\nAnn again;+441212941091\n');
    const profile = await scrubber.profile(bytes, { defaultRegion: 'GB' });
    const { cleaned, removed, report } = await scrubber.scrub(
      bytes,
      { phoneColumn: 'tel', defaultRegion: 'GB', output: { formulaSafe: false } },
      { optOut: [{ name: 'dnc.csv', data: new TextEncoder().encode('+447911123456\n') }], today: '2025-06-30' },
    );
    const result = {
      version: scrubber.engineVersion,
      delimiter: profile.delimiter,
      phoneColumn: profile.phoneColumn,
      cleaned: await cleaned.text(),
      cleanedType: cleaned.type,
      removed: await removed.text(),
      optOutLists: report.optOutLists,
      today: report.today,
      stillUsable: bytes.byteLength,
    };
    scrubber.terminate();
    return result;
  });
  assert.match(out.version, /^\d+\.\d+\.\d+/);
  assert.equal(out.delimiter, ';');
  assert.equal(out.phoneColumn, 1);
  assert.equal(out.cleaned, 'name,tel\nAnn,+441212941091\n');
  assert.equal(out.cleanedType, 'text/csv');
  assert.equal(out.removed, 'name,tel,line,reasons\nBob,+447911123456,3,opted_out\nAnn again,+441212941091,4,duplicate\n');
  assert.equal(out.optOutLists.length, 1);
  const { name, cells, numbers, rowsMatched } = out.optOutLists[0];
  assert.deepEqual({ name, cells, numbers, rowsMatched }, { name: 'dnc.csv', cells: 1, numbers: 1, rowsMatched: 1 });
  assert.equal(out.today, '2025-06-30');
  assert.ok(out.stillUsable > 0, 'bytes are copied, not transferred away from the caller');
});

test('the engine warms up once loaded: warm() reports every step; it scrubs before and after', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    // Asked for while the warm-up may still run (it waits for one step at most).
    const bytes = new TextEncoder().encode('tel\n0121 294 1091\n');
    const { report } = await scrubber.scrub(bytes, { phoneColumn: 0, defaultRegion: 'GB' });
    const warm = await scrubber.warm();
    const again = await scrubber.warm();
    scrubber.terminate();
    return { kept: report.rowsKept, warm, again };
  });
  assert.equal(out.kept, 1);
  assert.equal(out.warm.steps, 40, 'every step of src/warm.rs (STEPS) ran');
  assert.ok(out.warm.ms > 0);
  assert.deepEqual(out.again, out.warm, 'a second call gives the same warm-up');
});

test('engine errors reject with ScrubError carrying kind; wrong arguments are usage errors', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber, ScrubError } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const csv = new TextEncoder().encode('name,phone\nAnn,+441212941091\n');
    /** @param {Promise<unknown>} p */
    const failure = (p) =>
      p.then(
        () => null,
        (e) => ({ isScrubError: e instanceof ScrubError, name: e.name, kind: e.kind, line: e.line ?? null, message: e.message }),
      );
    const result = {
      wrongType: await failure(scrubber.scrub(csv, { phoneColumn: 'phone', dedupe: 'yes' })),
      noSuchColumn: await failure(scrubber.scrub(csv, { phoneColumn: 'mobile' })),
      badRegion: await failure(scrubber.scrub(csv, { phoneColumn: 'phone', defaultRegion: 'QQ' })),
      pdf: await failure(scrubber.profile(new TextEncoder().encode('%PDF-1.7\n'))),
      notBytes: await failure(scrubber.profile(/** @type {any} */ ('name,phone\n'))),
      afterwards: (await scrubber.scrub(csv, { phoneColumn: 'phone' })).report.rowsKept,
    };
    scrubber.terminate();
    return result;
  });
  assert.deepEqual(
    { ...out.wrongType, message: undefined },
    { isScrubError: true, name: 'ScrubError', kind: 'policy', line: null, message: undefined },
  );
  assert.match(out.wrongType.message, /expected a boolean/);
  assert.equal(out.noSuchColumn.kind, 'policy');
  assert.match(out.noSuchColumn.message, /no column named "mobile"; the columns are: name, phone/);
  assert.equal(out.badRegion.kind, 'policy');
  assert.equal(out.pdf.kind, 'input');
  assert.match(out.pdf.message, /PDF/);
  assert.equal(out.notBytes.kind, 'usage');
  assert.equal(out.afterwards, 1, 'errors leave the scrubber usable');
});

test('progress, cancelling the running scrub and a queued one, and terminate', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const rows = ['phone'];
    for (let i = 0; i < 30000; i++) rows.push(`+44 7911 ${String(100000 + i)}`);
    const big = new Blob([rows.join('\n')]);
    const small = new TextEncoder().encode('phone\n+441212941091\n');

    /** @type {number[]} */
    const fractions = [];
    const full = await scrubber.scrub(big, { phoneColumn: 0, consent: { column: 0 } }, { onProgress: (p) => fractions.push(p.fraction) });

    // Cancel the running scrub at its first progress report; a queued one behind it is
    // cancelled too, and one queued after that still runs.
    const running = new AbortController();
    const queued = new AbortController();
    const first = scrubber.scrub(big, { phoneColumn: 0 }, { signal: running.signal, onProgress: () => running.abort() });
    const second = scrubber.scrub(small, { phoneColumn: 0 }, { signal: queued.signal });
    const third = scrubber.scrub(small, { phoneColumn: 0 });
    queued.abort();
    const settled = await Promise.allSettled([first, second, third]);
    const describe = (/** @type {PromiseSettledResult<any>} */ s) =>
      s.status === 'fulfilled' ? `kept ${s.value.report.rowsKept}` : `${s.reason.name}/${s.reason.kind}`;

    const preAborted = await scrubber.scrub(small, { phoneColumn: 0 }, { signal: AbortSignal.abort() }).then(
      () => 'resolved',
      (e) => `${e.name}/${e.kind}`,
    );
    const restarts = scrubber.restarts;
    scrubber.terminate();
    const afterTerminate = await scrubber.profile(small).then(
      () => 'resolved',
      (e) => e.kind,
    );
    return {
      fullRows: full.report.rowsRead,
      fractions,
      outcomes: settled.map(describe),
      preAborted,
      restarts,
      afterTerminate,
    };
  });
  assert.equal(out.fullRows, 30000);
  // Two passes (consent): progress runs from the scan's half into the scrub's, never back.
  assert.ok(out.fractions.length >= 4, `${out.fractions.length} progress reports`);
  assert.ok(out.fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= out.fractions[i - 1])), String(out.fractions));
  assert.ok(out.fractions.some((f) => f < 0.5) && out.fractions.some((f) => f > 0.5));
  assert.equal(out.fractions.at(-1), 1);
  assert.deepEqual(out.outcomes, ['AbortError/cancelled', 'AbortError/cancelled', 'kept 1']);
  assert.equal(out.preAborted, 'AbortError/cancelled');
  assert.equal(out.restarts, 1, 'one worker restart, for the running scrub only');
  assert.equal(out.afterTerminate, 'terminated');
});

// Through wasm, unknown policy keys are refused as on the CLI: a typo such as "grantd"
// must not drop a rule silently (the engine decodes the policy through JSON text).
test('unknown policy keys are rejected, as in the CLI', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const csv = new TextEncoder().encode('name,phone\nAnn,+441212941091\n');
    const kinds = [];
    for (const policy of [
      { phoneColumn: 'phone', colour: 'blue' },
      { phoneColumn: 'phone', output: { phoneFromat: 'national' } },
      { phoneColumn: 'phone', consent: { column: 'name', grantd: ['yes'] } },
    ]) {
      kinds.push(await scrubber.scrub(csv, policy).then(() => 'accepted', (e) => e.kind));
    }
    scrubber.terminate();
    return kinds;
  });
  assert.deepEqual(out, ['policy', 'policy', 'policy']);
});

test('create() takes the worker and wasm URLs, and rejects at once when they cannot load', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const explicit = await Scrubber.create({ workerUrl: '/worker.js', wasmUrl: '/pkg/phonescrub_bg.wasm' });
    const version = explicit.engineVersion;
    explicit.terminate();
    const failure = (/** @type {Promise<unknown>} */ p) => p.then(() => 'created', (e) => `${e.name}/${e.kind}`);
    return {
      version,
      noWasm: await failure(Scrubber.create({ wasmUrl: '/no-such.wasm' })),
      noWorker: await failure(Scrubber.create({ workerUrl: '/no-such-worker.js' })),
    };
  });
  assert.match(out.version, /^\d+\.\d+\.\d+/);
  assert.equal(out.noWasm, 'ScrubError/io');
  assert.equal(out.noWorker, 'ScrubError/io');
});

test('a browser without WebAssembly SIMD is told so when the engine cannot load', async () => {
  // www/worker.js in a worker whose WebAssembly is made to lack SIMD (as in Safari before
  // 16.4): its SIMD probe fails to validate and compiling the engine throws. (Given no
  // wasm URL, the page compiles nothing and the worker compiles the engine itself.)
  const stub = `const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes) => !new Uint8Array(bytes).includes(253) && validate(bytes);
    WebAssembly.compile = WebAssembly.compileStreaming = async () => { throw new WebAssembly.CompileError('invalid opcode 0xfd'); };`;
  const worker = `import '/probe-nosimd-first.js';
    import '/worker.js';`;
  await env.page.route('**/probe-nosimd-first.js', (route) => route.fulfill({ contentType: 'text/javascript', body: stub }));
  await env.page.route('**/probe-nosimd.js', (route) => route.fulfill({ contentType: 'text/javascript', body: worker }));
  try {
    const out = await env.page.evaluate(async () => {
      const { Scrubber } = await import('/phonescrub.js');
      return Scrubber.create({ workerUrl: '/probe-nosimd.js' }).then(() => 'created', (e) => `${e.name}/${e.kind}: ${e.message}`);
    });
    assert.match(out, /^ScrubError\/io: .*could not be loaded: this browser lacks WebAssembly SIMD.*Safari 16\.4/);
  } finally {
    await env.page.unroute('**/probe-nosimd-first.js');
    await env.page.unroute('**/probe-nosimd.js');
  }
});

test('create() compiles the engine on the page while the worker starts; the worker instantiates that module', async () => {
  // www/worker.js, plus a note in the init result of whether its first request brought a
  // compiled module. The note's listener is in a module imported first, so that it runs
  // before the worker's own (given the module, the worker may reply before a listener
  // added after its own has run).
  const first = `self.probe = { brought: null };
    self.addEventListener('message', (e) => { self.probe.brought ??= e.data?.wasmModule instanceof WebAssembly.Module; });`;
  const probe = `import '/probe-first.js';
    import '/worker.js';
    const post = self.postMessage.bind(self);
    self.postMessage = (m, ...rest) => {
      if (m?.type === 'result' && typeof m.result?.engineVersion === 'string') m.result.engineVersion += self.probe.brought ? ' (module given)' : ' (compiled itself)';
      post(m, ...rest);
    };`;
  await env.page.route('**/probe-first.js', (route) => route.fulfill({ contentType: 'text/javascript', body: first }));
  await env.page.route('**/probe-worker.js', (route) => route.fulfill({ contentType: 'text/javascript', body: probe }));
  try {
    const out = await env.page.evaluate(async () => {
      const { Scrubber } = await import('/phonescrub.js');
      const versions = [];
      for (const options of [{ workerUrl: '/probe-worker.js', wasmUrl: '/pkg/phonescrub_bg.wasm' }, { workerUrl: '/probe-worker.js' }]) {
        const scrubber = await Scrubber.create(options);
        const { report } = await scrubber.scrub(new TextEncoder().encode('phone\n+441212941091\n'), { phoneColumn: 0 });
        versions.push(`${scrubber.engineVersion}, kept ${report.rowsKept}`);
        scrubber.terminate();
      }
      return versions;
    });
    // With the wasm URL known, the page compiled it; a custom worker without one loads its own.
    assert.match(out[0], /^\d+\.\d+\.\d+ \(module given\), kept 1$/);
    assert.match(out[1], /^\d+\.\d+\.\d+ \(compiled itself\), kept 1$/);
  } finally {
    await env.page.unroute('**/probe-first.js');
    await env.page.unroute('**/probe-worker.js');
  }
});

test('a host page whose policy refuses wasm compiling still gets an engine (its worker compiles it)', async () => {
  const html = `<!doctype html><meta charset="utf-8"><title>strict host</title><script type="module">
import { Scrubber } from '/phonescrub.js';
window.result = (async () => {
  const page = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => 'allowed', () => 'refused');
  const scrubber = await Scrubber.create();
  const { report } = await scrubber.scrub(new TextEncoder().encode('phone\\n+441212941091\\n'), { phoneColumn: 0 });
  scrubber.terminate();
  return \`compiling on the page \${page}; kept \${report.rowsKept}\`;
})().catch((err) => \`failed: \${err}\`);
</script>`;
  // No 'wasm-unsafe-eval' for the page; the worker's own response (the server's) has it.
  const csp = "default-src 'none'; script-src 'self' 'unsafe-inline'; worker-src 'self'; connect-src 'self'";
  await env.page.route('**/strict-host.html', (route) => route.fulfill({ contentType: 'text/html', body: html, headers: { 'Content-Security-Policy': csp } }));
  try {
    await env.page.goto(new URL('/strict-host.html', env.server.url).href);
    assert.equal(await env.page.evaluate(() => window.result), 'compiling on the page refused; kept 1');
  } finally {
    await env.page.unroute('**/strict-host.html');
    await env.page.goto(new URL('/index.html', env.server.url).href);
  }
});

// The csv crate's Position::line() misses the LF of a CRLF (BurntSushi/rust-csv#395); the
// engine counts lines itself since 5b797fa. Excel and most Windows exports are CRLF.
test('removed rows name their source line in CRLF files too; hashKey is passed through', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const policy = { phoneColumn: 'phone', defaultRegion: 'GB', output: { formulaSafe: false } };
    // Also a keyed hash through the API's hashKey option: the key changes the hash.
    const hashed = async (/** @type {string} */ hashKey) =>
      (
        await (
          await scrubber.scrub(new TextEncoder().encode('phone\n+441212941091\n'), { ...policy, output: { formulaSafe: false, hash: { target: 'google', keyed: true } } }, { hashKey })
        ).cleaned.text()
      ).split('\n')[1];
    const lines = async (/** @type {string} */ text) =>
      (await (await scrubber.scrub(new TextEncoder().encode(text), policy)).removed.text()).trim().split(/\n/).slice(1);
    const result = {
      lf: await lines('name,phone\nAnn,12\nBob,34\n'),
      crlf: await lines('name,phone\r\nAnn,12\r\nBob,34\r\n'),
      hashA: await hashed('key-a'),
      hashB: await hashed('key-b'),
    };
    scrubber.terminate();
    return result;
  });
  assert.deepEqual(out.lf, ['Ann,12,2,invalid_number', 'Bob,34,3,invalid_number']);
  assert.deepEqual(out.crlf, out.lf);
  assert.match(out.hashA, /^[0-9a-f]{64}$/);
  assert.notEqual(out.hashA, out.hashB, 'hashKey reaches the engine');
});

test('UTF-16 and windows-1252 lists: the core engine hands them to the full one, which reads them', async () => {
  const out = await env.page.evaluate(async () => {
    const { Scrubber } = await import('/phonescrub.js');
    const scrubber = await Scrubber.create();
    const policy = { phoneColumn: 'phone', defaultRegion: 'GB', output: { formulaSafe: false } };
    const latin = new Uint8Array([...new TextEncoder().encode('name|phone\nZo'), 0xeb, ...new TextEncoder().encode('|0121 294 1091\n')]);
    const text = 'name\tphone\nZoë\t+44 121 294 1092\n';
    const utf16 = new Uint8Array(2 + 2 * text.length);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) new DataView(utf16.buffer).setUint16(2 + 2 * i, text.charCodeAt(i), true);
    const results = [];
    for (const bytes of [latin, utf16]) {
      const { cleaned, report } = await scrubber.scrub(bytes, policy, { today: '2025-06-30' });
      results.push({ cleaned: await cleaned.text(), encoding: report.encoding });
    }
    scrubber.terminate();
    return { results };
  });
  assert.deepEqual(out.results, [
    { cleaned: 'name,phone\nZoë,+441212941091\n', encoding: 'windows-1252' },
    { cleaned: 'name,phone\nZoë,+441212941092\n', encoding: 'UTF-16LE' },
  ]);
});
