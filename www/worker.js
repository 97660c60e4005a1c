// The worker that owns the wasm engine (a module worker; see phonescrub.js for the API).
//
// Protocol. Requests (one at a time; the API queues them):
//   {id, type: 'init', wasmUrl?}
//   {id, type: 'warm'}                      starts the warm-up if 'init' has not yet, and waits for its end
//   {id, type: 'profile', input: Blob, inputId?, options?: {defaultRegion?, rows?, sheet?}}
//   {id, type: 'scrub', input: Blob, inputId?, policy, optOuts: [{name, data: Blob}], options?: {today?, hashKey?, passphrase?, sheet?}}
//     inputId: the page's number for the Blob (the same list in both; see ListRead)
// Replies:
//   {id, type: 'progress', phase, twoPasses, rows, bytes, fraction}
//   {id, type: 'result', result}          init: {engineVersion}; warm: {steps, ms}; profile: Profile;
//                                         scrub: {cleaned: Blob, removed: Blob, report}
//   {id, type: 'error', error: {name, message, kind, line, rows}}
//     kind is the engine's ("policy" | "input" | "io"), or "crash" when the engine trapped
//     (a Rust panic): this instance is then dead and the API replaces the whole worker.
//
// Two engines. The core (pkg/: UTF-8 CSV in and out, hashing) loads at start. A job that
// needs more (a spreadsheet or UTF-16 / windows-1252 text in, .xlsx out, a passphrase)
// loads the full engine (pkg-full/: the same API, plus calamine, rust_xlsxwriter, age and
// encoding_rs) once, and from then on every job runs
// on it. The core tells such a job by an error of kind "needs-module", raised before any
// progress or output, so the job simply runs again on the full engine.
//
// Blobs are read by the engine itself with FileReaderSync, a slice at a time, so a large
// file is never copied whole into this worker's memory; outputs arrive in ~1 MiB chunks
// that become Blob parts, and Blobs cross back to the page without a copy. A UTF-8 list
// of 8 MiB or more is cut into parts (runParts): this worker reads each part and transfers
// it to a part worker (this script again, in a nested worker: 'part-context', 'part-scan',
// 'part-scrub', 'part-write', 'part-warm' requests), and merges the results in file order.
// The report's SHA-256 of the list is the browser's (crypto.subtle) for a list up to 128
// MiB; for a bigger one (or without crypto.subtle) the part workers work it out, each part
// in turn, the hash's state passed from one to the next (HashRing).
// When consent is checked, a list of up to 128 MiB is still decided in one read (its
// decided parts are kept until all are in; then this worker gives every row its final
// reasons, in order, and the part workers write the rows); a bigger one is scanned for
// refusals first. Parts decided once are decided without the opt-out lists, which this
// worker reads while the first parts run (the merge checks every row against them).

import init, { engineVersion, profile, scrub, unreadableError, warmUp, ParallelScrub, PartWorker } from './pkg/phonescrub.js';

/** Loads the full engine's glue module (scripts/build-offline.mjs swaps this line). */
const importFull = () => import('./pkg-full/phonescrub.js');

/** @typedef {{engineVersion: () => string, profile: typeof profile, scrub: typeof scrub, ParallelScrub: typeof ParallelScrub, PartWorker: typeof PartWorker, core: boolean}} Engine */
/** The engine jobs run on: the core until a job needs the full one. @type {Engine} */
let engine = { engineVersion, profile, scrub, ParallelScrub, PartWorker, core: true };
/** @type {Promise<unknown> | null} */
let ready = null;
/**
 * The core engine's compiled module, once compiled: part workers get it with their
 * requests and only instantiate it (no fetch, no compile of their own, and the code V8
 * optimises as it runs is shared). @type {WebAssembly.Module | undefined}
 */
let coreModule;
/** @type {Promise<Engine> | null} */
let fullReady = null;
/** Set once the instance has trapped: nothing may run on it again. */
let crashed = false;

self.addEventListener('message', (/** @type {MessageEvent} */ event) => {
  const message = event.data;
  if (!message || typeof message.id !== 'number') return;
  run(message).catch((err) => reply(message.id, 'error', { error: describe(err, 0) }));
});

/** @param {any} message */
async function run(message) {
  const { id, type } = message;
  if (crashed) throw crash('the engine has crashed; start a new worker', 0);
  ready ??= (message.wasmModule instanceof WebAssembly.Module ? Promise.resolve(message.wasmModule) : compileCore(message.wasmUrl))
    .then((module) => init({ module_or_path: (coreModule = module) }));
  try {
    await ready;
  } catch (err) {
    ready = null; // let a later request try again (e.g. after a network hiccup)
    const why = simdMissing()
      ? 'this browser lacks WebAssembly SIMD, which the engine is built with (Chrome or Edge 91, Firefox 89, Safari 16.4 and later have it)'
      : /** @type {any} */ (err)?.message ?? err;
    throw Object.assign(new Error(`the engine could not be loaded: ${why}`), { kind: 'io' });
  }
  switch (type) {
    case 'init':
      reply(id, 'result', { result: { engineVersion: engine.engineVersion() } });
      // After a pause: a caller's first request (often sent as soon as the engine is
      // ready) then never waits for a step, nor for a second one if the first was quick.
      setTimeout(startWarmUp, WARM_UP_AFTER_MS);
      return;
    case 'warm':
      reply(id, 'result', { result: await startWarmUp() });
      return;
    case 'profile': {
      // A list big enough to be cut into parts is usually scrubbed next (the page profiles
      // every dropped file): start the part workers now, while the user reviews it.
      const inParts = message.input instanceof Blob && message.input.size >= PARALLEL_MIN_BYTES && warmParts(message.wasmUrl);
      const profiled = await onEngine(false, (e) => guard(() => e.profile(message.input, message.options ?? {}), () => 0, message.input));
      reply(id, 'result', { result: profiled });
      // And read it for its SHA-256 for the report, which the browser works out in the
      // meantime too (a list that will be cut into parts: UTF-8 text, and part workers to
      // be had; see ListRead). Not a list profiled for a few rows (an opt-out list checked).
      if (inParts && profiled?.format === 'csv' && profiled?.encoding === 'UTF-8' && message.options?.rows === undefined) {
        startListRead(message.input, message.inputId);
      }
      return;
    }
    case 'part-warm':
      // Compile the engine and load its metadata before the first part arrives.
      engine.scrub(WARM_LIST, { phoneColumn: 0, defaultRegion: 'GB' }, [], { cleaned() {}, removed() {}, progress() {} }, { today: '2000-01-01' });
      reply(id, 'result', { result: null });
      return;
    case 'scrub':
      // A passphrase or .xlsx output: the full engine at once, before the opt-outs are read.
      reply(id, 'result', { result: await onEngine(Boolean(message.options?.passphrase) || message.policy?.output?.format === 'xlsx', (e) => runScrub(message, e)) });
      return;
    // A part worker's requests (this script, started by an engine worker: see runParts).
    case 'part-context':
      partEngine?.free();
      partEngine = null;
      partRing?.close();
      partRing = message.ring ? new HashRing(message.ring) : null;
      partEngine = new engine.PartWorker(message.context);
      reply(id, 'result', { result: null });
      return;
    case 'part-scan':
    case 'part-scrub':
    case 'part-write': {
      // A part to decide (scan or scrub), or the rows of a part this worker decided to
      // write with the final reasons the engine worker gave them (see runParts).
      if (!partEngine) throw new Error('a part request before its context');
      const part = partEngine;
      // A part read from the file comes as an ArrayBuffer, a decided part to write as
      // the Uint8Array its scrub gave back; either way its buffer is now this worker's.
      const data = message.data instanceof ArrayBuffer ? new Uint8Array(message.data) : message.data;
      /** The SHA-256 state after this part, when it is the last (see HashRing). */
      let hashEnd;
      if (typeof message.hash === 'number' && partRing) {
        // The report's SHA-256 of the input goes on from the part before (part 0: from
        // the engine worker), before the part is decided, so the next one need not wait.
        const ring = partRing;
        const state = message.hashState ?? (await ring.stateFor(message.hash));
        if (partEngine !== part) throw new Error('a part of a job that has ended');
        const after = guard(() => engine.PartWorker.hash(state, data), () => 0, null);
        if (message.hash + 1 < message.parts) ring.next.postMessage({ n: message.hash + 1, state: after });
        else hashEnd = after;
      }
      if (type === 'part-scan') {
        const bytes = guard(() => part.scan(data, message.last), () => 0, null);
        self.postMessage({ id, type: 'result', result: bytes, hashEnd }, [bytes.buffer]);
        return;
      }
      const length = guard(() => (type === 'part-write' ? part.write(data, new Uint8Array(message.verdicts)) : part.scrub(data, message.last)), () => 0, null);
      // The result goes back in the buffer the part came in (the engine has its own copy
      // of the part by now), which it nearly always fits: a new buffer for each was fresh
      // memory that the kernel faulted in page by page, here and wherever it went next.
      const room = new Uint8Array(data.buffer);
      const out = length <= room.length ? room : new Uint8Array(length);
      guard(() => part.takeResult(out), () => 0, null);
      if (type === 'part-write') {
        // The written rows become the outputs' Blobs here (their bytes copied to the
        // browser's blob store), while the engine worker gives the next parts their
        // verdicts; it only puts them in order.
        const cleaned = Number(new DataView(out.buffer, 0, 8).getBigUint64(0, true));
        const result = { cleaned: new Blob([out.subarray(8, 8 + cleaned)]), removed: new Blob([out.subarray(8 + cleaned, length)]) };
        self.postMessage({ id, type: 'result', result });
        return;
      }
      self.postMessage({ id, type: 'result', result: out.subarray(0, length), hashEnd }, [out.buffer]);
      return;
    }
    default:
      throw new TypeError(`unknown request type ${JSON.stringify(type)}`);
  }
}

/**
 * Compiles the core engine (the same as the glue's init would, but keeping the module).
 * @param {string | undefined} wasmUrl
 * @returns {Promise<WebAssembly.Module>}
 */
const compileCore = (wasmUrl) => compileResponse(fetch(wasmUrl ?? new URL('./pkg/phonescrub_bg.wasm', import.meta.url)));

/**
 * @param {Promise<Response>} fetched
 * @returns {Promise<WebAssembly.Module>}
 */
async function compileResponse(fetched) {
  const response = await fetched;
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${response.statusText}`);
  // Compiled as it downloads when served as application/wasm; a host that labels it
  // otherwise gets it compiled once it is in.
  return (response.headers.get('Content-Type') ?? '').split(';')[0].trim() === 'application/wasm'
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Runs `job` on the current engine, first loading the full one when `needsFull`, or when
 * the core refuses the job with kind "needs-module" (then the job runs again).
 * @template T
 * @param {boolean} needsFull
 * @param {(engine: Engine) => T | Promise<T>} job
 * @returns {Promise<T>}
 */
async function onEngine(needsFull, job) {
  if (needsFull && engine.core) engine = await loadFull();
  try {
    return await job(engine);
  } catch (err) {
    if (/** @type {any} */ (err)?.kind !== 'needs-module' || !engine.core) throw err;
    engine = await loadFull();
    return await job(engine);
  }
}

/**
 * The full engine (spreadsheets, encryption), loaded once from pkg-full/ beside this worker.
 * @returns {Promise<Engine>}
 */
async function loadFull() {
  fullReady ??= importFull().then(async (glue) => {
    await glue.default(); // pkg-full/phonescrub_bg.wasm, beside its glue
    return { engineVersion: glue.engineVersion, profile: glue.profile, scrub: glue.scrub, ParallelScrub: glue.ParallelScrub, PartWorker: glue.PartWorker, core: false };
  });
  try {
    return await fullReady;
  } catch (err) {
    fullReady = null; // a later request tries again
    throw Object.assign(new Error(`the engine's spreadsheet and encryption module could not be loaded: ${/** @type {any} */ (err)?.message ?? err}`), { kind: 'io' });
  }
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * @param {any} message
 * @param {Engine} engine
 */
async function runScrub({ id, input, inputId, policy, optOuts = [], options = {}, wasmUrl }, engine) {
  // Each ~1 MiB chunk becomes a Blob at once: its bytes move to the browser's blob store
  // (which can page to disk) and the worker's copy is garbage, so the worker holds no
  // growing copy of the outputs; the final Blob of Blobs copies nothing.
  /** @type {Blob[]} */
  const cleaned = [];
  /** @type {Blob[]} */
  const removed = [];
  const size = input?.size ?? input?.byteLength ?? 0;
  let rows = 0;
  const sinks = {
    cleaned: (/** @type {Uint8Array<ArrayBuffer> | Blob} */ bytes) => cleaned.push(bytes instanceof Blob ? bytes : new Blob([bytes])),
    removed: (/** @type {Uint8Array<ArrayBuffer> | Blob} */ bytes) => removed.push(bytes instanceof Blob ? bytes : new Blob([bytes])),
    progress: (/** @type {{phase: string, twoPasses: boolean, rows: number, bytes: number}} */ p) => {
      rows = p.rows;
      const part = size > 0 ? Math.min(1, p.bytes / size) : 1;
      const fraction = p.twoPasses ? (p.phase === 'scan' ? 0.5 * part : 0.5 + 0.5 * part) : part;
      reply(id, 'progress', { phase: p.phase, twoPasses: p.twoPasses, rows: p.rows, bytes: p.bytes, fraction });
    },
  };
  // A large UTF-8 list is cut into parts that other workers decide while this one
  // merges them (src/parallel.rs); anything else (or one core) runs row by row here.
  const { parallel = true, ...engineOptions } = options;
  const cores = Math.min(self.navigator?.hardwareConcurrency ?? 1, MAX_PART_WORKERS);
  let job = parallel && cores > 1 && input instanceof Blob
    ? guard(() => engine.ParallelScrub.start(input, policy, optOuts, sinks, engineOptions), () => rows, input)
    : undefined;
  if (job && !startParts(cores, wasmUrl)) {
    job.free(); // no workers to be had here: the job runs on this one
    job = undefined;
  }
  const report = job
    ? await runParts(job, input, inputId, cores, () => rows, sinks)
    : guard(() => engine.scrub(input, policy, optOuts, sinks, engineOptions), () => rows, input);
  const type = policy?.output?.format === 'xlsx' ? XLSX_TYPE : 'text/csv';
  return {
    cleaned: new Blob(cleaned, { type }),
    removed: new Blob(removed, { type }),
    report,
  };
}

/**
 * True when this browser cannot compile WebAssembly SIMD (the engines are built with it:
 * .cargo/config.toml): a module of one `v128.const` (wasm-feature-detect's SIMD probe).
 */
const simdMissing = () => !WebAssembly.validate(new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]));

/** The smallest list the engine cuts into parts (two of src/parallel.rs's PART_BYTES). */
const PARALLEL_MIN_BYTES = 8 * 2 ** 20;
/** A one-number list that makes an engine load its metadata. */
const WARM_LIST = new TextEncoder().encode('phone\n+441212941091\n');

/**
 * Starts the part workers (as many as runParts will use) and has each load its engine;
 * false when there are none to be had (one core, or no workers in this context).
 * @param {string | undefined} wasmUrl
 */
function warmParts(wasmUrl) {
  const count = Math.min(self.navigator?.hardwareConcurrency ?? 1, MAX_PART_WORKERS);
  if (count < 2 || !startParts(count, wasmUrl)) return false;
  for (const client of partPool.filter((c) => !c.warmed)) {
    client.warmed = true;
    client.call({ type: 'part-warm' }).catch(() => {});
  }
  return true;
}

/**
 * Starts part workers until there are `count`; false (and none kept) when this context may
 * not start workers (then the job runs on this worker alone).
 * @param {number} count
 * @param {string | undefined} wasmUrl
 */
function startParts(count, wasmUrl) {
  try {
    while (partPool.length < count) partPool.push(new PartClient(wasmUrl));
    return true;
  } catch {
    for (const w of partPool) w.terminate();
    partPool = [];
    return false;
  }
}

/**
 * The warm-up (src/warm.rs): the engine's `warmUp` runs a small synthetic list through a
 * large list's path, a step at a time, 300 ms after the engine has loaded. V8 first runs wasm on
 * baseline code and optimises a function only after it has run a while; the optimised
 * code is shared with the part workers (they get this worker's compiled module), whose
 * first parts otherwise ran on the baseline code at a third of the speed. Each step waits
 * for a turn of the event loop, so a request waits for one step at most (tens of
 * milliseconds); a list cut into parts stops it (its own parts warm the code from then
 * on). Resolves to {steps, ms}. @type {Promise<{steps: number, ms: number}> | null}
 */
let warming = null;
/** Set when a list is cut into parts: the warm-up stops. */
let warmStop = false;
/** The pause between the engine's loading and its warm-up (unless `warm` asks sooner). */
const WARM_UP_AFTER_MS = 300;

/** Starts the warm-up unless it has started; resolves when it has ended. */
function startWarmUp() {
  warming ??= (async () => {
    const started = performance.now();
    let steps = 0;
    while (!warmStop && !crashed && engine.core) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (warmStop || crashed) break;
      let more = false;
      try {
        more = guard(() => warmUp(steps), () => 0, null);
      } catch {
        break; // a trap marks the engine crashed for the next request; an error just ends it
      }
      steps++;
      if (!more) break;
    }
    return { steps, ms: performance.now() - started };
  })();
  return warming;
}

/** Lists up to this size are hashed by the browser's SubtleCrypto, in memory whole (see runParts). */
const DIGEST_IN_MEMORY_BYTES = 128 * 2 ** 20;
/**
 * The browser's SHA-256 of the lists last read whole, by the page's id for each (a
 * rescrub of the same Blob needs no second read). At most four.
 * @type {Map<number, Promise<ArrayBuffer | null>>}
 */
const digests = new Map();
const MAX_DIGESTS = 4;

/** @param {number} inputId @param {Promise<ArrayBuffer | null>} digest */
function keepDigest(inputId, digest) {
  digests.delete(inputId);
  digests.set(inputId, digest);
  while (digests.size > MAX_DIGESTS) digests.delete(/** @type {number} */ (digests.keys().next().value));
}

/**
 * A list of up to 128 MiB read into memory for the browser's SHA-256, from when the page
 * profiles it (the page profiles every dropped file, and its user reviews the columns
 * before scrubbing), or from the scrub's start. Read as a stream: a scrub that starts
 * before the read is over takes the parts it hands to the part workers from it as they
 * come in (runParts), so the list is read once, and its digest is worked out (off this
 * thread) as soon as the last byte is in, while the parts are still being decided, not
 * after the last part is read. At most one at a time.
 */
class ListRead {
  /** @param {Blob} input @param {number | undefined} inputId */
  constructor(input, inputId) {
    this.inputId = inputId;
    /** The list's bytes; `[0, read)` are in. @type {Uint8Array<ArrayBuffer>} */
    this.bytes = new Uint8Array(input.size);
    this.read = 0;
    this.stopped = false;
    /** @type {ReadableStreamDefaultReader<Uint8Array> | null} */
    this.reader = null;
    /** Who waits for `[0, at)` (see `until`). @type {{at: number, resolve: (whole: boolean) => void}[]} */
    this.waiting = [];
    /** The browser's SHA-256 of the list, once it is in whole; null if it never is. @type {Promise<ArrayBuffer | null>} */
    this.digest = this.stream(input);
  }

  /** @param {Blob} input @returns {Promise<ArrayBuffer | null>} */
  async stream(input) {
    /** @type {Promise<ArrayBuffer | null> | null} */
    let digest = null;
    try {
      const reader = input.stream().getReader();
      this.reader = reader;
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.stopped) break;
        if (this.read + value.length > this.bytes.length) throw new RangeError('the list is longer than its size');
        this.bytes.set(value, this.read);
        this.read += value.length;
        this.wake();
      }
      if (!this.stopped && this.read === this.bytes.length) {
        // Whole: its digest is kept (SubtleCrypto takes its own copy of the bytes).
        digest = self.crypto.subtle.digest('SHA-256', this.bytes).catch(() => null);
        if (typeof this.inputId === 'number') keepDigest(this.inputId, digest);
      }
    } catch {
      // unreadable, or changed: the scrub reads (and reports) it
    }
    this.stopped = true;
    this.wake();
    if (listRead === this) listRead = null;
    return digest;
  }

  /** Resolves those waiting for bytes now in (true), or for bytes that will not come (false). */
  wake() {
    this.waiting = this.waiting.filter(({ at, resolve }) => {
      if (at <= this.read) resolve(true);
      else if (this.stopped) resolve(false);
      else return true;
      return false;
    });
  }

  /**
   * Resolves to true once bytes `[0, at)` are in, false if they will not be (the read
   * stopped, or failed).
   * @param {number} at
   * @returns {Promise<boolean>}
   */
  until(at) {
    if (at <= this.read) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.waiting.push({ at, resolve }));
  }

  /** Stops the read; resolves once it has. */
  async stop() {
    this.stopped = true;
    await this.reader?.cancel().catch(() => {});
    await this.digest;
  }
}

/** The list being read since its profile (or its scrub's start). @type {ListRead | null} */
let listRead = null;

/**
 * Starts reading a list just profiled, for its SHA-256 (see ListRead); any other list's
 * read stops. Not for a list that is too big, already read, or profiled for a few rows
 * only (the page checks an opt-out list so).
 * @param {Blob} input
 * @param {number | undefined} inputId
 */
function startListRead(input, inputId) {
  if (typeof inputId !== 'number' || input.size > DIGEST_IN_MEMORY_BYTES || !self.crypto?.subtle) return;
  if (digests.has(inputId) || listRead?.inputId === inputId) return;
  listRead?.stop();
  listRead = new ListRead(input, inputId);
}

/**
 * Where a scrub gets the browser's SHA-256 of its list, for a list up to 128 MiB:
 * `digest`, when the list was read whole before (since its profile, or by a scrub of the
 * same Blob); else `read`, the list being read (the read its profile started, or one
 * started now), which the scrub takes its parts from. Null where the browser's is not had
 * (a bigger list, no crypto.subtle: a page over plain HTTP).
 * @param {Blob} input
 * @param {number | undefined} inputId
 * @returns {Promise<{digest: Promise<ArrayBuffer | null>} | {read: ListRead} | null>}
 */
async function digestSource(input, inputId) {
  if (!(input instanceof Blob) || input.size > DIGEST_IN_MEMORY_BYTES || !self.crypto?.subtle) return null;
  const kept = () => (typeof inputId === 'number' ? digests.get(inputId) : undefined);
  const read = listRead;
  // This list's read, under way: it goes on, for this scrub.
  if (read && read.inputId === inputId && typeof inputId === 'number' && read.bytes.length === input.size) return { read };
  // Any other read stops: it would only slow the scrub. (One that ended while it was
  // being stopped has its digest kept by then.)
  listRead = null;
  if (read) await read.stop();
  const digest = kept();
  if (digest) return { digest };
  listRead = new ListRead(input, inputId);
  return { read: listRead };
}

/** Part workers at most (each holds an engine instance). */
const MAX_PART_WORKERS = 4;
/** This worker's part workers, started on the first large scrub and kept. @type {PartClient[]} */
let partPool = [];
/** The engine a part worker decides parts with, for the job of the last context. @type {PartWorker | null} */
let partEngine = null;
/** A part worker's place in the ring that hashes the parts, for the last context. @type {HashRing | null} */
let partRing = null;

/**
 * For a list over 128 MiB (or where crypto.subtle is missing), the report's SHA-256 of
 * the input is worked out by the part workers as they decide the first phase's parts:
 * each part in the worker that decides it, just before, in file order, the hash's state
 * (ChainedSha256 in src/parallel.rs, at most 103 bytes) going from the worker of one part
 * to the worker of the next over a ring of MessageChannels (part n goes to worker
 * n % count, so the next part's worker is the next in the ring). The merges hashed such a
 * list before, each part read again at the end: a 145 MB list took 3.44-3.94 s (4 scrubs
 * after a first of 7.73 s), now 2.87-3.29 s. For the 90 MB benchmark list the browser's
 * own SHA-256 stays a little faster on two cores, though it reads the list a second time
 * and copies it: it runs beside the part workers in native code, and hashed in the ring
 * the median scrub was 3-4% slower in three alternated comparisons (README, Speed,
 * session 16).
 */
class HashRing {
  /** @param {{prev: MessagePort, next: MessagePort}} ports */
  constructor({ prev, next }) {
    this.prev = prev;
    this.next = next;
    /** States that came before their part. @type {Map<number, Uint8Array>} */
    this.states = new Map();
    /** Parts waiting for their state. @type {Map<number, {resolve: (state: Uint8Array) => void, reject: (err: Error) => void}>} */
    this.waiting = new Map();
    prev.onmessage = (/** @type {MessageEvent} */ event) => {
      const { n, state } = event.data;
      const waiting = this.waiting.get(n);
      this.waiting.delete(n);
      if (waiting) waiting.resolve(state);
      else this.states.set(n, state);
    };
  }

  /**
   * The state to hash part `n` from, once the worker of part n - 1 has sent it.
   * @param {number} n
   * @returns {Promise<Uint8Array>}
   */
  stateFor(n) {
    const state = this.states.get(n);
    this.states.delete(n);
    return state ? Promise.resolve(state) : new Promise((resolve, reject) => this.waiting.set(n, { resolve, reject }));
  }

  /** Ends the ring (a new job's context): a part still waiting for its state fails. */
  close() {
    this.prev.close();
    this.next.close();
    for (const { reject } of this.waiting.values()) reject(new Error('a part of a job that has ended'));
    this.waiting.clear();
  }
}

/** The script part workers run: this one. (The one-file build swaps in a URL of its own.) */
const partWorkerUrl = () => self.location.href;

/** A part worker: this script again, in a nested worker. */
class PartClient {
  /** @param {string | undefined} wasmUrl */
  constructor(wasmUrl) {
    this.wasmUrl = wasmUrl;
    /** Whether the worker was asked to load its engine. */
    this.warmed = false;
    /** The SHA-256 state after the last part, when this worker hashed it. @type {Uint8Array | undefined} */
    this.hashEnd = undefined;
    this.worker = new Worker(partWorkerUrl(), { type: 'module', name: 'phonescrub-part' });
    this.nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void}>} */
    this.pending = new Map();
    this.worker.onmessage = (/** @type {MessageEvent} */ event) => {
      const { id, type, result, error, hashEnd } = event.data ?? {};
      if (hashEnd) this.hashEnd = hashEnd;
      const call = this.pending.get(id);
      if (!call || type === 'progress') return;
      this.pending.delete(id);
      if (type === 'error') call.reject(Object.assign(new Error(error?.message ?? 'a part worker failed'), error ?? {}));
      else call.resolve(result);
    };
    this.worker.onerror = (/** @type {ErrorEvent} */ event) => {
      event.preventDefault?.();
      this.fail(crash(`a part worker stopped: ${event.message ?? 'unknown error'}`, 0));
    };
  }

  /** @param {Error} err */
  fail(err) {
    for (const call of this.pending.values()) call.reject(err);
    this.pending.clear();
  }

  /**
   * @param {object} body
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  call(body, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, wasmUrl: this.wasmUrl, wasmModule: coreModule, ...body }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
    this.fail(new Error('part worker stopped'));
  }
}

/**
 * Runs a ParallelScrub: part workers decide the parts (scan first when consent is
 * checked), this worker merges them in file order, at most two parts a worker ahead.
 * @param {ParallelScrub} job
 * @param {Blob} input
 * @param {number | undefined} inputId  the page's id for the input (see ListRead)
 * @param {number} count  part workers (startParts has started them)
 * @param {() => number} rowsSoFar
 * @param {{cleaned: (bytes: Uint8Array<ArrayBuffer> | Blob) => void, removed: (bytes: Uint8Array<ArrayBuffer> | Blob) => void}} sinks  the job's outputs
 */
async function runParts(job, input, inputId, count, rowsSoFar, sinks) {
  warmStop = true;
  try {
    const pool = partPool.slice(0, count);
    const ranges = job.parts();
    const parts = ranges.length / 2;
    // The report's SHA-256 of the input: for a list that fits easily in memory, the
    // browser's own (native code, off this thread), given to the job before its report
    // (without it then, finish hashes the list): of the list read whole before, or of the
    // list being read, from its profile or from now, from which this scrub takes its parts
    // as they come in (see ListRead); else (a bigger list, or no crypto.subtle: a page
    // served over plain HTTP) the part workers hash the parts of the first phase
    // (HashRing).
    /** The list being read, the parts taken from it. @type {ListRead | null} */
    let read = null;
    /** @type {Promise<ArrayBuffer | null> | null} */
    let digest = null;
    {
      const source = await digestSource(input, inputId);
      if (source && 'digest' in source) digest = source.digest;
      else if (source) {
        read = source.read;
        digest = read.digest;
      }
    }
    if (digest) job.hashLater();
    /**
     * Bytes `start..end` of the list: from the list's read once they are in, else (the
     * read stopped: another list profiled meanwhile, or the file unreadable) from the file.
     * @param {number} start
     * @param {number} end
     * @returns {Promise<ArrayBuffer>}
     */
    const partOf = async (start, end) => {
      const from = read;
      if (from && (await from.until(end))) return from.bytes.slice(start, end).buffer;
      return readPart(input, start, end);
    };
    /**
     * The opt-out lists, read here once the first parts are with the part workers (they
     * are decided without them; the merge checks every row against them), so that the
     * part workers need not wait for them. @type {Promise<void> | null}
     */
    let optOutsRead = null;
    const readOptOuts = () => {
      // After the reads that hand the first parts over (this call blocks this worker).
      if (!optOutsRead) {
        optOutsRead = new Promise((resolve) => setTimeout(resolve, 0)).then(() => guard(() => job.readOptOuts(), rowsSoFar, input));
        optOutsRead.catch(() => {}); // awaited before the first merge that needs them
      }
      return optOutsRead;
    };
    /**
     * Has the part workers decide every part (`kind`) and hands each result to `merge` in
     * file order; when a part ended inside a quoted field, `rest(i)` reads on from its
     * start in one piece and the phase ends there. Returns that part's index, or null.
     * With `hash` (the first phase), the part workers also hash the parts, in file order
     * (the report's SHA-256 of the input: see HashRing).
     * @param {'scan' | 'scrub'} kind
     * @param {(i: number, bytes: Uint8Array) => boolean} merge
     * @param {(i: number) => void} rest
     * @param {boolean} hash
     * @returns {Promise<number | null>}
     */
    const phase = async (kind, merge, rest, hash) => {
      const context = job.context();
      // With `hash`, the part workers hash the parts, in a ring (see HashRing).
      const hashState = hash ? guard(() => job.hashStart(), rowsSoFar, input) : undefined;
      const channels = hash ? pool.map(() => new MessageChannel()) : [];
      await Promise.all(pool.map((w, k) => {
        w.hashEnd = undefined;
        if (!hash) return w.call({ type: 'part-context', context });
        const ring = { prev: channels[(k + pool.length - 1) % pool.length].port2, next: channels[k].port1 };
        return w.call({ type: 'part-context', context, ring }, [ring.prev, ring.next]);
      }));
      /** @type {Map<number, Promise<Uint8Array>>} */
      const inflight = new Map();
      let next = 0;
      let handed = 0;
      const firstParts = Math.min(parts, 2 * pool.length);
      for (let i = 0; i < parts; i++) {
        while (next < parts && next < i + 2 * pool.length) {
          const n = next++;
          // This worker reads the part (asynchronously, while it merges earlier ones) and
          // hands it over, so part workers only compute: reading it themselves, they spent
          // 8% of their profile samples blocked in FileReaderSync on the benchmark list.
          const part = partOf(ranges[2 * n], ranges[2 * n + 1]).then((data) => {
            const hashing = hash ? { hash: n, parts, hashState: n === 0 ? hashState : undefined } : {};
            const decided = pool[n % pool.length].call({ type: `part-${kind}`, data, last: n === parts - 1, ...hashing }, [data]);
            if (++handed === firstParts) readOptOuts();
            return decided;
          });
          // Handled here so that parts left behind when a phase stops early (an error, a
          // part ending inside a quoted field) reject quietly; awaited below, it still throws.
          part.catch(() => {});
          inflight.set(n, part);
        }
        const bytes = await /** @type {Promise<Uint8Array>} */ (inflight.get(i));
        inflight.delete(i);
        const hashEnd = hash && i === parts - 1 ? pool[i % pool.length].hashEnd : undefined;
        if (hashEnd) guard(() => job.hashEnd(hashEnd), rowsSoFar, input);
        if (!guard(() => merge(i, bytes), rowsSoFar, input)) {
          // The part ended inside a quoted field: read on from its start here, in one piece.
          guard(() => rest(i), rowsSoFar, input);
          return i;
        }
      }
      return null;
    };
    /** The browser's SHA-256 given to the job (when it was asked for), and its report. */
    const finish = async () => {
      const sha = await digest;
      if (sha) job.setInputSha256([...new Uint8Array(sha)].map((b) => b.toString(16).padStart(2, '0')).join(''));
      return guard(() => job.finish(), rowsSoFar, input);
    };
    if (job.readsOnce()) {
      // Consent is checked and the list is small enough (ONE_READ_MAX_BYTES in
      // src/parallel.rs): every part is decided once, before the refusals are known, and
      // kept here (about the size of the list) until all are in; then they are merged
      // with the opt-outs the refusals make. Bigger lists are scanned first (below).
      /** @type {(Uint8Array | null)[]} */
      const kept = [];
      const stopped = await phase('scrub', (i, bytes) => {
        const complete = job.mergeRefusals(i, scrubHead(bytes));
        if (complete) kept.push(bytes);
        return complete;
      }, (i) => job.scanRest(i), !digest);
      await readOptOuts();
      guard(() => job.startScrub(), rowsSoFar, input);
      // This worker gives each row its final reasons, part after part (dedupe must go in
      // order); the part workers write the parts' rows with them meanwhile, in parallel,
      // and the written rows go to the outputs in part order, after the header rows.
      guard(() => job.flushOutputs(), rowsSoFar, input);
      /** @type {Promise<{cleaned: Blob, removed: Blob}>[]} */
      const written = [];
      for (let i = 0; i < kept.length; i++) {
        const bytes = /** @type {Uint8Array} */ (kept[i]);
        kept[i] = null;
        const verdicts = /** @type {Uint8Array} */ (guard(() => job.mergeVerdicts(i, scrubHead(bytes)), rowsSoFar, input));
        const write = pool[i % pool.length].call({ type: 'part-write', data: bytes, verdicts }, [bytes.buffer, verdicts.buffer]);
        write.catch(() => {}); // awaited below, in order
        written.push(write);
      }
      for (const write of written) {
        const { cleaned, removed } = await write;
        if (cleaned.size > 0) sinks.cleaned(cleaned);
        if (removed.size > 0) sinks.removed(removed);
      }
      if (stopped !== null) guard(() => job.scrubRest(stopped), rowsSoFar, input);
      return await finish();
    }
    const scanned = job.twoPasses();
    if (scanned) await phase('scan', (i, bytes) => job.mergeScan(i, bytes), (i) => job.scanRest(i), !digest);
    guard(() => job.startScrub(), rowsSoFar, input);
    // (mergeScrub reads the opt-out lists first if readOptOuts has not yet; a list
    // scanned first had them read by ParallelScrub.start.)
    await phase('scrub', (i, bytes) => job.mergeScrub(i, bytes), (i) => job.scrubRest(i), !digest && !scanned);
    return await finish();
  } catch (err) {
    // A part worker that failed may hold half a job: start afresh next time.
    for (const w of partPool) w.terminate();
    partPool = [];
    throw err;
  } finally {
    try {
      job.free();
    } catch {
      // a trapped instance: nothing left to free
    }
  }
}

/**
 * The head of a part worker's scrub result (src/parallel.rs, `wire::encode_scrub`): all
 * but the rows' written bytes, which come last, their length in the 8 bytes after the
 * first. The merges that give the rows their verdicts (mergeRefusals, mergeVerdicts) read
 * only the head, so only it is copied into the engine: about a third of the result. An
 * error's result is all head.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array}
 */
function scrubHead(bytes) {
  if (bytes.length < 9 || bytes[0] !== 0) return bytes;
  const data = new DataView(bytes.buffer, bytes.byteOffset + 1, 8).getBigUint64(0, true);
  return data <= BigInt(bytes.length - 9) ? bytes.subarray(0, bytes.length - Number(data)) : bytes;
}

/**
 * Bytes `start..end` of the list, or the input error the engine gives for a list that can
 * no longer be read (a file changed or removed since it was dropped).
 * @param {Blob} input
 * @param {number} start
 * @param {number} end
 * @returns {Promise<ArrayBuffer>}
 */
function readPart(input, start, end) {
  return input.slice(start, end).arrayBuffer().catch(() => {
    throw unreadableError(); // the engine's own error for it (src/input.rs, Unreadable)
  });
}

/**
 * Runs an engine call; a trap marks this instance dead and becomes a 'crash' error.
 * @template T
 * @param {() => T} call
 * @param {() => number} rowsSoFar
 * @param {unknown} input  the job's input, to tell a damaged .xls from an engine bug
 * @returns {T}
 */
function guard(call, rowsSoFar, input) {
  try {
    return call();
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      crashed = true;
      // calamine's .xls record reader can panic on a damaged file (src/sheet.rs says
      // why); in wasm that is a trap before the first row. Say what it is: the file, not
      // the engine, and the fresh engine that takes over reads any other file.
      if (rowsSoFar() === 0 && isOldExcel(input)) {
        // Still a crash to the API (this instance is dead and must be replaced), marked
        // so that the caller sees an input error.
        throw Object.assign(
          new Error('this .xls file is damaged: its reader stopped at a record it cannot read. Open it in Excel or LibreOffice and save it again as .xlsx or CSV'),
          { kind: 'crash', rows: 0, damagedInput: true },
        );
      }
      throw crash(err.message, rowsSoFar());
    }
    throw err;
  }
}

/**
 * True when the input starts like an .xls file (an OLE2 compound file).
 * @param {unknown} input
 */
function isOldExcel(input) {
  try {
    const head = input instanceof Blob
      ? new Uint8Array(new FileReaderSync().readAsArrayBuffer(input.slice(0, 8)))
      : input instanceof Uint8Array ? input.subarray(0, 8) : new Uint8Array(0);
    return [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1].every((b, i) => head[i] === b);
  } catch {
    return false;
  }
}

/**
 * @param {string} detail
 * @param {number} rows
 */
function crash(detail, rows) {
  const where = rows > 0 ? ` after row ${rows.toLocaleString('en')}` : '';
  return Object.assign(new Error(`the engine crashed${where} (${detail})`), { kind: 'crash', rows });
}

/**
 * @param {any} err
 * @param {number} rows
 */
function describe(err, rows) {
  return {
    name: err?.name ?? 'Error',
    message: err?.message ?? String(err),
    kind: err?.kind ?? (err instanceof TypeError ? 'usage' : 'io'),
    line: typeof err?.line === 'number' ? err.line : undefined,
    rows: typeof err?.rows === 'number' ? err.rows : rows,
    ...(err?.damagedInput ? { damagedInput: true } : {}),
  };
}

/**
 * @param {number} id
 * @param {'progress' | 'result' | 'error'} type
 * @param {object} body
 */
function reply(id, type, body) {
  self.postMessage({ id, type, ...body });
}
