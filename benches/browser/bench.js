// The page side of the browser benchmark (see index.html). benches/run.mjs loads it,
// waits for window.benchReady (the ready time), sets the two file inputs (disk-backed
// Files: nothing is read into the page) and calls window.runBench().
//
// Times are performance.now(): milliseconds since navigation start.

import { Scrubber } from '/www/phonescrub.js';

const engine = new URLSearchParams(location.search).get('engine') ?? 'wasm';
/** @type {Promise<object>} */
const policyLoaded = fetch('/benches/policy.json').then((r) => r.json());
const TINY = new Blob(['phone\n+441212941091\n']);

/** @type {(file: File, optOut: File) => Promise<object>} */
let scrubFile;

async function startWasm() {
  // The real API and worker; the wrapper only adds the wasm memory size to the report.
  // The wasm URL as the page's default worker has it (the page compiles it while the
  // worker starts; a custom worker's engine is not known to it otherwise).
  const scrubber = await Scrubber.create({ workerUrl: '/benches/browser/engine-worker.js', wasmUrl: '/www/pkg/phonescrub_bg.wasm' });
  const compiled = performance.now();
  // The metadata loads on the first number parsed.
  await scrubber.scrub(TINY, { phoneColumn: 0, defaultRegion: 'GB' });
  const ready = performance.now();
  // The engine warms up after it loads (www/worker.js, src/warm.rs): the list is given
  // once that has ended, as a user who takes that long to pick a file would (its end is
  // reported with the ready times; with --no-warm-wait the list is given at once).
  const warm = new URLSearchParams(location.search).has('nowait') ? { steps: -1, ms: 0 } : await scrubber.warm();
  const warmed = performance.now();
  scrubFile = async (file, optOut) => {
    const policy = await policyLoaded;
    // As the page does with a dropped file: profile it first (untimed). For a large list
    // that also starts the part workers (www/worker.js), as on the page while the user
    // reviews the columns; wasm1 never uses them, so it skips this.
    if (engine !== 'wasm1') await scrubber.profile(file);
    // ?pause=MS: the time a user spends on the profile before scrubbing (the page shows
    // the columns and their roles); by default none, the scrub follows at once.
    const pause = Number(new URLSearchParams(location.search).get('pause') ?? 0);
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    const started = performance.now();
    // wasm1: one worker, row by row; wasm: parts decided by part workers, merged in order.
    const { cleaned, removed, report } = await scrubber.scrub(file, policy, { optOut: [optOut], parallel: engine !== 'wasm1' });
    const ms = performance.now() - started;
    return {
      ms,
      report,
      wasmMemoryBytes: report.benchWasmMemoryBytes,
      cleanedBytes: cleaned.size,
      removedBytes: removed.size,
    };
  };
  return { compiledMs: compiled, readyMs: ready, warmedMs: warmed, warmSteps: warm.steps };
}

async function startPeer() {
  const worker = new Worker('/benches/browser/peer-worker.js', { name: 'peer' });
  let pending = null;
  worker.onmessage = (e) => pending?.(e.data);
  worker.onerror = (e) => pending?.({ error: `the peer worker failed: ${e.message}` });
  const ask = (message) =>
    new Promise((resolve, reject) => {
      pending = (data) => (data.error ? reject(new Error(data.error)) : resolve(data));
      worker.postMessage(message);
    });
  await ask({ type: 'init' });
  const ready = performance.now();
  scrubFile = async (file, optOut) => {
    const policy = await policyLoaded;
    const started = performance.now();
    const result = await ask({ type: 'scrub', file, optOut, policy });
    return { ...result, ms: performance.now() - started };
  };
  return { compiledMs: ready, readyMs: ready };
}

window.benchReady = (engine === 'peer' ? startPeer() : startWasm()).catch((err) => ({ error: String(err?.stack ?? err) }));

window.runBench = async () => {
  const file = /** @type {HTMLInputElement} */ (document.getElementById('list')).files[0];
  const optOut = /** @type {HTMLInputElement} */ (document.getElementById('optout')).files[0];
  try {
    return await scrubFile(file, optOut);
  } catch (err) {
    return { error: String(err?.stack ?? err) };
  }
};
