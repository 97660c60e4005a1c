// The worker that owns the wasm engine (a module worker; see phonescrub.js for the API).
//
// Protocol. Requests (one at a time; the API queues them):
//   {id, type: 'init', wasmUrl?}
//   {id, type: 'profile', input: Blob, options?: {defaultRegion?, rows?, sheet?}}
//   {id, type: 'scrub', input: Blob, policy, optOuts: [{name, data: Blob}], options?: {today?, hashKey?, passphrase?, sheet?}}
// Replies:
//   {id, type: 'progress', phase, twoPasses, rows, bytes, fraction}
//   {id, type: 'result', result}          init: {engineVersion}; profile: Profile;
//                                         scrub: {cleaned: Blob, removed: Blob, report}
//   {id, type: 'error', error: {name, message, kind, line, rows}}
//     kind is the engine's ("policy" | "input" | "io"), or "crash" when the engine trapped
//     (a Rust panic): this instance is then dead and the API replaces the whole worker.
//
// Two engines. The core (pkg/: CSV in and out, hashing) loads at start. A job that needs
// more (a spreadsheet in, .xlsx out, a passphrase) loads the full engine (pkg-full/: the
// same API, plus calamine, rust_xlsxwriter and age) once, and from then on every job runs
// on it. The core tells such a job by an error of kind "needs-module", raised before any
// progress or output, so the job simply runs again on the full engine.
//
// Blobs are read by the engine itself with FileReaderSync, a slice at a time, so a large
// file is never copied whole into this worker's memory; outputs arrive in ~1 MiB chunks
// that become Blob parts, and Blobs cross back to the page without a copy.

import init, { engineVersion, profile, scrub } from './pkg/phonescrub.js';

/** Loads the full engine's glue module (scripts/build-offline.mjs swaps this line). */
const importFull = () => import('./pkg-full/phonescrub.js');

/** @typedef {{engineVersion: () => string, profile: typeof profile, scrub: typeof scrub, core: boolean}} Engine */
/** The engine jobs run on: the core until a job needs the full one. @type {Engine} */
let engine = { engineVersion, profile, scrub, core: true };
/** @type {Promise<unknown> | null} */
let ready = null;
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
  ready ??= init(message.wasmUrl ? { module_or_path: message.wasmUrl } : undefined);
  try {
    await ready;
  } catch (err) {
    ready = null; // let a later request try again (e.g. after a network hiccup)
    throw Object.assign(new Error(`the engine could not be loaded: ${/** @type {any} */ (err)?.message ?? err}`), { kind: 'io' });
  }
  switch (type) {
    case 'init':
      reply(id, 'result', { result: { engineVersion: engine.engineVersion() } });
      return;
    case 'profile':
      reply(id, 'result', { result: await onEngine(false, (e) => guard(() => e.profile(message.input, message.options ?? {}), () => 0, message.input)) });
      return;
    case 'scrub':
      // A passphrase or .xlsx output: the full engine at once, before the opt-outs are read.
      reply(id, 'result', { result: await onEngine(Boolean(message.options?.passphrase) || message.policy?.output?.format === 'xlsx', (e) => runScrub(message, e)) });
      return;
    default:
      throw new TypeError(`unknown request type ${JSON.stringify(type)}`);
  }
}

/**
 * Runs `job` on the current engine, first loading the full one when `needsFull`, or when
 * the core refuses the job with kind "needs-module" (then the job runs again).
 * @template T
 * @param {boolean} needsFull
 * @param {(engine: Engine) => T} job
 * @returns {Promise<T>}
 */
async function onEngine(needsFull, job) {
  if (needsFull && engine.core) engine = await loadFull();
  try {
    return job(engine);
  } catch (err) {
    if (/** @type {any} */ (err)?.kind !== 'needs-module' || !engine.core) throw err;
    engine = await loadFull();
    return job(engine);
  }
}

/**
 * The full engine (spreadsheets, encryption), loaded once from pkg-full/ beside this worker.
 * @returns {Promise<Engine>}
 */
async function loadFull() {
  fullReady ??= importFull().then(async (glue) => {
    await glue.default(); // pkg-full/phonescrub_bg.wasm, beside its glue
    return { engineVersion: glue.engineVersion, profile: glue.profile, scrub: glue.scrub, core: false };
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
function runScrub({ id, input, policy, optOuts = [], options = {} }, engine) {
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
    cleaned: (/** @type {Uint8Array<ArrayBuffer>} */ bytes) => cleaned.push(new Blob([bytes])),
    removed: (/** @type {Uint8Array<ArrayBuffer>} */ bytes) => removed.push(new Blob([bytes])),
    progress: (/** @type {{phase: string, twoPasses: boolean, rows: number, bytes: number}} */ p) => {
      rows = p.rows;
      const part = size > 0 ? Math.min(1, p.bytes / size) : 1;
      const fraction = p.twoPasses ? (p.phase === 'scan' ? 0.5 * part : 0.5 + 0.5 * part) : part;
      reply(id, 'progress', { phase: p.phase, twoPasses: p.twoPasses, rows: p.rows, bytes: p.bytes, fraction });
    },
  };
  const report = guard(() => engine.scrub(input, policy, optOuts, sinks, options), () => rows, input);
  const type = policy?.output?.format === 'xlsx' ? XLSX_TYPE : 'text/csv';
  return {
    cleaned: new Blob(cleaned, { type }),
    removed: new Blob(removed, { type }),
    report,
  };
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
