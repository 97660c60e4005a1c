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
// Blobs are read by the engine itself with FileReaderSync, a slice at a time, so a large
// file is never copied whole into this worker's memory; outputs arrive in ~1 MiB chunks
// that become Blob parts, and Blobs cross back to the page without a copy.

import init, { engineVersion, profile, scrub } from './pkg/phonescrub.js';

/** @type {Promise<unknown> | null} */
let ready = null;
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
      reply(id, 'result', { result: { engineVersion: engineVersion() } });
      return;
    case 'profile':
      reply(id, 'result', { result: guard(() => profile(message.input, message.options ?? {}), () => 0) });
      return;
    case 'scrub':
      reply(id, 'result', { result: runScrub(message) });
      return;
    default:
      throw new TypeError(`unknown request type ${JSON.stringify(type)}`);
  }
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** @param {any} message */
function runScrub({ id, input, policy, optOuts = [], options = {} }) {
  /** @type {Uint8Array<ArrayBuffer>[]} */
  const cleaned = [];
  /** @type {Uint8Array<ArrayBuffer>[]} */
  const removed = [];
  const size = input?.size ?? input?.byteLength ?? 0;
  let rows = 0;
  const sinks = {
    cleaned: (/** @type {Uint8Array<ArrayBuffer>} */ bytes) => cleaned.push(bytes),
    removed: (/** @type {Uint8Array<ArrayBuffer>} */ bytes) => removed.push(bytes),
    progress: (/** @type {{phase: string, twoPasses: boolean, rows: number, bytes: number}} */ p) => {
      rows = p.rows;
      const part = size > 0 ? Math.min(1, p.bytes / size) : 1;
      const fraction = p.twoPasses ? (p.phase === 'scan' ? 0.5 * part : 0.5 + 0.5 * part) : part;
      reply(id, 'progress', { phase: p.phase, twoPasses: p.twoPasses, rows: p.rows, bytes: p.bytes, fraction });
    },
  };
  const report = guard(() => scrub(input, policy, optOuts, sinks, options), () => rows);
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
 * @returns {T}
 */
function guard(call, rowsSoFar) {
  try {
    return call();
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      crashed = true;
      throw crash(err.message, rowsSoFar());
    }
    throw err;
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
