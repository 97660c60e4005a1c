// phonescrub: the embeddable JS API over the engine worker.
//
//   import { Scrubber } from './phonescrub.js';
//   const scrubber = await Scrubber.create();
//   const profile = await scrubber.profile(file, { defaultRegion: 'GB' });
//   const { cleaned, removed, report } = await scrubber.scrub(file, policy, {
//     optOut: [suppressionFile], onProgress: (p) => bar.value = p.fraction, signal,
//   });
//   scrubber.terminate();
//
// Everything runs in a Web Worker that owns one wasm instance; files go to it as Blob
// references (a File is a Blob), so nothing is read into the page and no byte leaves the
// machine. Requests run one at a time, in order. Aborting the running request terminates
// the worker at once and starts a fresh one; a worker whose engine crashed (a trapped
// wasm instance) is replaced the same way. The Scrubber stays usable in both cases.

// The types live in types/phonescrub.d.ts (hand-written from the engine's Rust types and
// checked against its output by tests/e2e/types.test.mjs); these aliases keep the JSDoc
// below and `import('./phonescrub.js').Report` in other modules pointing at them.
/** @typedef {import('./types/phonescrub.js').ColumnRef} ColumnRef */
/** @typedef {import('./types/phonescrub.js').Policy} Policy The scrub policy (the engine's `Policy`; unknown keys are rejected). */
/** @typedef {import('./types/phonescrub.js').ColumnProfile} ColumnProfile */
/** @typedef {import('./types/phonescrub.js').Profile} Profile What the start of a list looks like. */
/** @typedef {import('./types/phonescrub.js').Report} Report */
/** @typedef {import('./types/phonescrub.js').Progress} Progress */
/** @typedef {import('./types/phonescrub.js').ScrubResult} ScrubResult */
/** @typedef {import('./types/phonescrub.js').ScrubErrorKind} ScrubErrorKind */
/** @typedef {import('./types/phonescrub.js').ScrubOptions} ScrubOptions */
/** @typedef {import('./types/phonescrub.js').ProfileOptions} ProfileOptions */
/** @typedef {import('./types/phonescrub.js').CreateOptions} CreateOptions */
/** @typedef {import('./types/phonescrub.js').OptOutInput} OptOutInput */

/** Input the API accepts: a File or Blob (preferred: never copied), or bytes. */
/** @typedef {Blob | ArrayBuffer | ArrayBufferView} Input */

/**
 * Every failure the API reports. `kind` says whose it is:
 * "policy" | "input" | "io" (the engine's), "crash" (the engine trapped; it has been
 * restarted), "cancelled" (the signal fired; `name` is then "AbortError"),
 * "terminated" (terminate() was called), "usage" (a wrong argument).
 */
export class ScrubError extends Error {
  /**
   * @param {string} message
   * @param {import('./types/phonescrub.js').ScrubErrorDetails} [details]
   */
  constructor(message, { kind, line, rows, name, cause } = { kind: 'io' }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name ?? 'ScrubError';
    /** @type {ScrubErrorKind} */
    this.kind = kind;
    /** @type {number | undefined} 1-based line of the input, when the engine knows it. */
    this.line = line;
    /** @type {number | undefined} Rows done when the engine crashed. */
    this.rows = rows;
  }
}

/**
 * @typedef {object} Job
 * @property {number} id
 * @property {'init' | 'warm' | 'profile' | 'scrub'} type
 * @property {object} body
 * @property {(value: any) => void} resolve
 * @property {(error: ScrubError) => void} reject
 * @property {((p: Progress) => void) | undefined} onProgress
 * @property {AbortSignal | undefined} signal
 * @property {(() => void) | undefined} unlisten
 */

export class Scrubber {
  /** @type {URL} */ #workerUrl;
  /** @type {string | undefined} */ #wasmUrl;
  /**
   * The core engine, compiled here while the worker starts (see `create`); sent with
   * every request, and a fresh worker instantiates it instead of compiling its own.
   * @type {WebAssembly.Module | undefined}
   */
  #module;
  /** @type {Worker | null} */ #worker = null;
  /** @type {Job[]} */ #queue = [];
  /** @type {Job | null} */ #current = null;
  #nextId = 1;
  #closed = false;
  /** @type {string} */ #engineVersion = '';
  /** Engine restarts so far (after a cancel or a crash). */
  #restarts = 0;

  /** Use `Scrubber.create()`. @param {URL} workerUrl @param {string | undefined} wasmUrl */
  constructor(workerUrl, wasmUrl) {
    this.#workerUrl = workerUrl;
    this.#wasmUrl = wasmUrl;
  }

  /**
   * Starts the worker and loads the engine; rejects if it cannot be loaded.
   * @param {{workerUrl?: string | URL, wasmUrl?: string | URL}} [options]
   *   workerUrl: the worker script (default: worker.js beside this module);
   *   wasmUrl: the .wasm file (default: pkg/phonescrub_bg.wasm beside the worker).
   * @returns {Promise<Scrubber>}
   */
  static async create({ workerUrl, wasmUrl } = {}) {
    const base = globalThis.location?.href ?? import.meta.url;
    const scrubber = new Scrubber(
      workerUrl ? new URL(workerUrl, base) : new URL('./worker.js', import.meta.url),
      wasmUrl ? new URL(wasmUrl, base).href : undefined,
    );
    try {
      // The worker's start (its scripts fetched and run) and the engine's compiling
      // (fetched and compiled off the main thread as it downloads) overlap instead of
      // following each other. The engine compiled here is the one the worker would
      // load: `wasmUrl`, or with the default worker the one beside it. A custom worker
      // without `wasmUrl` loads its own, and so does any worker when this fails (its
      // error then says why).
      scrubber.#ensureWorker();
      const url = scrubber.#wasmUrl ?? (workerUrl ? undefined : new URL('./pkg/phonescrub_bg.wasm', import.meta.url).href);
      if (url) scrubber.#module = await compileEngine(url).catch(() => undefined);
      const { engineVersion } = await scrubber.#request('init', {});
      scrubber.#engineVersion = engineVersion;
    } catch (err) {
      scrubber.terminate();
      throw err;
    }
    return scrubber;
  }

  /** The engine's version, e.g. "0.1.0". */
  get engineVersion() {
    return this.#engineVersion;
  }

  /** How many times the engine has been restarted (after a cancel or a crash). */
  get restarts() {
    return this.#restarts;
  }

  /**
   * Waits for the engine's warm-up. 300 ms after it has loaded (at once when this asks
   * first), the engine runs a small made-up list through a large list's path, a step at a
   * time, so that the browser optimises its code before a real list arrives (a list
   * scrubbed sooner is scrubbed all the same, its first parts more slowly). Requests made
   * meanwhile wait for one step at most; this one waits for the end. Resolves to the steps run and the milliseconds they took (fewer steps
   * when a large list or the full engine's first job came first).
   * @returns {Promise<{steps: number, ms: number}>}
   */
  async warm() {
    return this.#request('warm', {});
  }

  /**
   * Reads the start of a list: encoding, delimiter, columns and their guessed roles; for
   * a spreadsheet (.xlsx, .xls, .ods) also its `sheets`, and `sheet` picks the one read.
   * @param {Input} input
   * @param {ProfileOptions} [options]
   * @returns {Promise<Profile>}
   */
  async profile(input, { defaultRegion, rows, sheet, signal } = {}) {
    /** @type {{defaultRegion?: string, rows?: number, sheet?: string}} */
    const options = {};
    if (defaultRegion) options.defaultRegion = defaultRegion;
    if (rows !== undefined) options.rows = rows;
    if (sheet) options.sheet = String(sheet);
    const blob = toBlob(input, 'input');
    return this.#request('profile', { input: blob, inputId: blobId(blob), options }, { signal });
  }

  /**
   * Scrubs a list under a policy.
   * @param {Input} input
   * @param {Policy} policy
   * @param {ScrubOptions} [options]
   *   optOut: opt-out (suppression) lists, numbers in any column and format;
   *   today: "YYYY-MM-DD" to measure ages against when the policy has none;
   *   hashKey: the secret for keyed hashes (`output.hash.keyed`), kept out of the policy and report;
   *   passphrase: encrypt the cleaned and removed outputs (age, scrypt); an empty one is
   *   refused rather than ignored, so a caller never gets plain output it thinks is sealed;
   *   sheet: the sheet of a spreadsheet input (the first when absent);
   *   parallel: false to read a large list row by row in one worker (default: cut into
   *   parts decided by one worker per core, merged in order; the same result).
   * With `output.format: 'xlsx'` in the policy, `cleaned` and `removed` are .xlsx workbooks.
   * @returns {Promise<ScrubResult>}
   */
  async scrub(input, policy, { optOut = [], onProgress, signal, today, hashKey, passphrase, sheet, parallel } = {}) {
    const optOuts = optOut.map((entry, i) => {
      if (entry && !(entry instanceof Blob) && !isBytes(entry) && 'data' in entry) {
        return { name: String(entry.name), data: toBlob(entry.data, `optOut[${i}].data`) };
      }
      const data = toBlob(/** @type {Input} */ (entry), `optOut[${i}]`);
      return { name: data instanceof File ? data.name : `opt-out list ${i + 1}`, data };
    });
    const options = {
      ...(today ? { today } : {}),
      ...(hashKey ? { hashKey } : {}),
      ...(passphrase != null ? { passphrase: String(passphrase) } : {}),
      ...(sheet ? { sheet: String(sheet) } : {}),
      ...(parallel === false ? { parallel: false } : {}),
    };
    const list = toBlob(input, 'input');
    /** @type {ScrubResult} */
    const result = await this.#request('scrub', { input: list, inputId: blobId(list), policy, optOuts, options }, { signal, onProgress });
    if (passphrase == null) return result;
    // Sealed outputs are age files, not CSV: say so (a Blob of a Blob is not a copy).
    const sealed = (/** @type {Blob} */ blob) => new Blob([blob], { type: 'application/octet-stream' });
    return { ...result, cleaned: sealed(result.cleaned), removed: sealed(result.removed) };
  }

  /** Stops the worker; pending requests reject with kind "terminated". */
  terminate() {
    this.#closed = true;
    this.#worker?.terminate();
    this.#worker = null;
    const error = () => new ScrubError('the scrubber was terminated', { kind: 'terminated' });
    for (const job of [this.#current, ...this.#queue]) if (job) this.#settle(job, () => job.reject(error()));
    this.#current = null;
    this.#queue = [];
  }

  /**
   * @param {'init' | 'warm' | 'profile' | 'scrub'} type
   * @param {object} body
   * @param {{signal?: AbortSignal, onProgress?: (p: Progress) => void}} [options]
   */
  #request(type, body, { signal, onProgress } = {}) {
    return new Promise((resolve, reject) => {
      if (this.#closed) throw new ScrubError('the scrubber was terminated', { kind: 'terminated' });
      if (signal?.aborted) throw abortError(signal);
      /** @type {Job} */
      const job = { id: this.#nextId++, type, body, resolve, reject, onProgress, signal, unlisten: undefined };
      if (signal) {
        const onAbort = () => this.#abort(job);
        signal.addEventListener('abort', onAbort, { once: true });
        job.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  #pump() {
    if (this.#current || this.#queue.length === 0 || this.#closed) return;
    const job = /** @type {Job} */ (this.#queue.shift());
    this.#current = job;
    this.#ensureWorker().postMessage({ id: job.id, type: job.type, wasmUrl: this.#wasmUrl, wasmModule: this.#module, ...job.body });
  }

  #ensureWorker() {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#workerUrl, { type: 'module', name: 'phonescrub-engine' });
    worker.addEventListener('message', (event) => this.#onMessage(worker, event.data));
    // An error escaping the worker (its script failed to load, say): the request fails
    // and the next one gets a fresh worker.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.#replaceWorker(
        worker,
        (job) => job.reject(new ScrubError(`the engine worker failed: ${event.message || 'it could not be started'}`, { kind: 'io' })),
        { warmUp: false },
      );
    });
    worker.addEventListener('messageerror', () => {
      this.#replaceWorker(worker, (job) => job.reject(new ScrubError('a message from the engine could not be read', { kind: 'io' })), {
        warmUp: false,
      });
    });
    this.#worker = worker;
    return worker;
  }

  /**
   * @param {Worker} worker
   * @param {any} message
   */
  #onMessage(worker, message) {
    const job = this.#current;
    if (worker !== this.#worker || !job || message?.id !== job.id) return;
    if (message.type === 'progress') {
      if (job.onProgress) {
        const { phase, twoPasses, rows, bytes, fraction } = message;
        try {
          job.onProgress({ phase, twoPasses, rows, bytes, fraction });
        } catch (err) {
          // A failing progress callback must not lose the scrub.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
      return;
    }
    if (message.type === 'error' && message.error?.kind === 'crash') {
      const { message: text, rows, damagedInput } = message.error;
      this.#replaceWorker(worker, (j) =>
        j.reject(
          damagedInput
            ? // A damaged .xls trapped the spreadsheet reader: the file's fault, said as such.
              new ScrubError(text, { kind: 'input' })
            : new ScrubError(`${capitalise(text)}. It has been restarted.`, { kind: 'crash', rows }),
        ),
      );
      return;
    }
    this.#current = null;
    this.#settle(job, () => {
      if (message.type === 'result') job.resolve(message.result);
      else {
        const { message: text, kind, line } = message.error ?? {};
        job.reject(new ScrubError(text ?? 'the engine failed', { kind: kind ?? 'io', line }));
      }
    });
    this.#pump();
  }

  /** @param {Job} job */
  #abort(job) {
    if (this.#current === job) {
      // The engine is synchronous: the only way to stop it at once is to end its worker.
      this.#replaceWorker(/** @type {Worker} */ (this.#worker), (j) => j.reject(abortError(/** @type {AbortSignal} */ (j.signal))));
      return;
    }
    const at = this.#queue.indexOf(job);
    if (at >= 0) {
      this.#queue.splice(at, 1);
      this.#settle(job, () => job.reject(abortError(/** @type {AbortSignal} */ (job.signal))));
    }
  }

  /**
   * Ends `worker` and fails its current request with `fail`. With `warmUp` (after a
   * cancel or an engine crash, when the engine is known to load) a fresh worker starts
   * at once so the next request finds the engine loaded; after a worker that failed to
   * start, the next request starts one instead (no restart loop).
   * @param {Worker} worker
   * @param {(job: Job) => void} fail
   * @param {{warmUp?: boolean}} [options]
   */
  #replaceWorker(worker, fail, { warmUp = true } = {}) {
    if (worker !== this.#worker) return;
    worker.terminate();
    this.#worker = null;
    this.#restarts++;
    const job = this.#current;
    this.#current = null;
    if (job) this.#settle(job, () => fail(job));
    if (this.#closed) return;
    if (!warmUp) {
      this.#pump();
      return;
    }
    // A silent init at the front of the queue; its failure surfaces on the next request.
    this.#queue.unshift({ id: this.#nextId++, type: 'init', body: {}, resolve() {}, reject() {}, onProgress: undefined, signal: undefined, unlisten: undefined });
    this.#pump();
  }

  /**
   * @param {Job} job
   * @param {() => void} settle
   */
  #settle(job, settle) {
    job.unlisten?.();
    settle();
  }
}

/**
 * @param {unknown} value
 * @returns {value is ArrayBuffer | ArrayBufferView}
 */
function isBytes(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/**
 * Fetches and compiles a wasm module, as it downloads when it is served as
 * application/wasm. www/worker.js's `compileResponse` does the same in the worker; the
 * few lines are kept in both rather than in a shared module, because worker.js imports
 * nothing but the engine's glue: a bundler user copies it with `pkg/` and `pkg-full/`
 * as static files and nothing else (README, "Embedding").
 * @param {string} url
 * @returns {Promise<WebAssembly.Module>}
 */
async function compileEngine(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${response.statusText}`);
  return (response.headers.get('Content-Type') ?? '').split(';')[0].trim() === 'application/wasm'
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

/**
 * An id for each Blob given to `profile` or `scrub`, kept for the page's life: the worker
 * gets a new Blob object (the same bytes) with each request, and the id tells it that the
 * list it profiled is the one it is asked to scrub (it then uses the SHA-256 it started
 * when it profiled it).
 * @type {WeakMap<Blob, number>}
 */
const blobIds = new WeakMap();
let nextBlobId = 1;

/** @param {Blob} blob */
function blobId(blob) {
  let id = blobIds.get(blob);
  if (id === undefined) blobIds.set(blob, (id = nextBlobId++));
  return id;
}

/**
 * Files and Blobs go to the worker as references; bytes are wrapped in a Blob (one copy,
 * so the caller's buffer stays usable). Strings are refused: a list is bytes.
 * @param {unknown} value
 * @param {string} what
 * @returns {Blob}
 */
function toBlob(value, what) {
  if (value instanceof Blob) return value;
  if (isBytes(value)) return new Blob([/** @type {ArrayBuffer} */ (value)]);
  throw new ScrubError(`${what} must be a File, Blob, ArrayBuffer or typed array`, { kind: 'usage', name: 'TypeError' });
}

/** @param {AbortSignal} signal */
function abortError(signal) {
  const reason = signal.reason;
  const message = reason instanceof Error && reason.name !== 'AbortError' ? reason.message : 'cancelled';
  return new ScrubError(message, { kind: 'cancelled', name: 'AbortError', cause: reason });
}

/** @param {string} text */
function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Human names for the engine's reason codes (the codes themselves stay in the files). */
export const REASON_LABELS = /** @type {const} */ ({
  malformed_row: 'Broken row (wrong number of cells)',
  missing_number: 'No number',
  invalid_number: 'Not a valid number',
  mangled_number: 'Number cut short by a spreadsheet',
  no_consent: 'No consent',
  consent_expired: 'Consent too old',
  opted_out: 'Opted out',
  retention_expired: 'Not in touch for too long',
  duplicate: 'Duplicate number',
});
