// <phone-scrubber>: the whole scrub flow as one custom element, for intranet portals and
// any other page that wants it without our page around it.
//
//   <script type="module" src="/vendor/phonescrub/phone-scrubber.js"></script>
//   <phone-scrubber default-region="GB" keep-columns="Name,Phone"></phone-scrubber>
//   <script type="module" src="/portal.js"></script>   (a file: a strict CSP forbids inline script)
//
//   // portal.js
//   document.querySelector('phone-scrubber').addEventListener('scrubbed', (e) => {
//     const { report, cleaned, removed } = e.detail;   // report: the engine's Report; Blobs
//   });
//
// Attributes (read when a list is chosen, so they may change at any time):
//   default-region  ISO 3166 alpha-2 country preselected for numbers without +country code
//                   (default: the browser language's region, when the engine knows it)
//   keep-columns    comma-separated header names preselected as the columns to keep
//                   (default: the profile's guesses); the phone column is always kept
//   worker-url, wasm-url  where the worker and the engine are, when not beside this file
//                   (read when the element is connected)
// Properties: `policy` (extra Policy fields merged under the user's choices, e.g.
// {consent: {column: 'Opt-in'}, today: '2025-06-30'}), `reset()`.
// Events: `scrubbed` (bubbles; detail {report, cleaned, removed}) and `error` (does not
// bubble, like a native element's error; detail {message, kind, line}). A cancel by the
// user is not an error.
//
// Everything renders in a shadow root styled by one constructed stylesheet
// (adoptedStyleSheets): no <style> element and no style attribute, so it works under a
// host CSP with style-src 'self' (or none at all); its DOM is built node by node, never
// from HTML strings.
// Theme it with custom properties on the element or any ancestor (see STYLES below), or
// with ::part(). The engine runs in a worker beside this file (./worker.js, which loads
// ./pkg/phonescrub_bg.wasm); nothing is fetched from anywhere else and no byte of the
// list leaves the tab.

import { Scrubber, ScrubError, REASON_LABELS as REASONS } from './phonescrub.js';
import { regions, regionOfLanguage, REGION_CODES } from './regions.js';
import { maskNumber } from './mask.js';

/** @typedef {import('./types/phonescrub.js').Policy} Policy */
/** @typedef {import('./types/phonescrub.js').Profile} Profile */
/** @typedef {import('./types/phonescrub.js').Report} Report */
/** @typedef {import('./types/phonescrub.js').Progress} Progress */
/** @typedef {import('./types/phonescrub.js').ScrubErrorKind} ScrubErrorKind */
/** @typedef {import('./types/phone-scrubber.js').ScrubbedDetail} ScrubbedDetail */
/** @typedef {import('./types/phone-scrubber.js').ErrorDetail} ErrorDetail */

export const TAG_NAME = 'phone-scrubber';


// Every themeable value is a --phone-scrubber-* custom property with a default; the
// private --_* copies keep the rules below short.
const STYLES = `
:host {
  --_accent: var(--phone-scrubber-accent, #1d5bbf);
  --_on-accent: var(--phone-scrubber-on-accent, #ffffff);
  --_font: var(--phone-scrubber-font, inherit);
  --_radius: var(--phone-scrubber-radius, 6px);
  --_background: var(--phone-scrubber-background, #ffffff);
  --_text: var(--phone-scrubber-text, #1b1b1f);
  --_muted: var(--phone-scrubber-muted, #55575e);
  --_border: var(--phone-scrubber-border, #b9bcc4);
  --_error: var(--phone-scrubber-error, #b3261e);
  --_success: var(--phone-scrubber-success, #1e7a3c);
  --_gap: var(--phone-scrubber-gap, 1rem);
  display: block;
  font-family: var(--_font);
  color: var(--_text);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.panel {
  background: var(--_background);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  padding: var(--_gap);
  display: grid;
  gap: var(--_gap);
}
h2, h3 { margin: 0; line-height: 1.25; }
h2 { font-size: 1.25em; }
h3 { font-size: 1.1em; }
p { margin: 0; }
.muted { color: var(--_muted); font-size: 0.925em; }
.field { display: grid; gap: 0.35em; }
form, section { display: grid; gap: var(--_gap); }
form { gap: calc(var(--_gap) * 1.25); }
label, legend { font-weight: 600; }
fieldset { border: 1px solid var(--_border); border-radius: var(--_radius); margin: 0; padding: 0.75em var(--_gap) var(--_gap); display: grid; gap: 0.75em; min-width: 0; }
fieldset.plain { border: 0; padding: 0; }
.checks { display: flex; flex-wrap: wrap; gap: 0.35em 1.25em; }
.checks label { font-weight: normal; display: inline-flex; gap: 0.4em; align-items: center; }
button, input, select { font: inherit; color: inherit; }
select, input[type="file"] { max-width: 100%; }
select { padding: 0.35em 0.5em; border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_background); }
button, input[type="file"]::file-selector-button {
  border-radius: var(--_radius);
  border: 1px solid var(--_accent);
  padding: 0.45em 1em;
  cursor: pointer;
}
button { background: var(--_background); color: var(--_accent); }
button.primary, input[type="file"]::file-selector-button { background: var(--_accent); color: var(--_on-accent); }
input[type="file"]::file-selector-button { margin-inline-end: 0.75em; }
button:disabled { opacity: 0.6; cursor: not-allowed; }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5em; align-items: center; }
progress { width: 100%; height: 0.75em; accent-color: var(--_accent); }
.error { color: var(--_error); font-weight: 600; }
.error:empty, .status:empty { display: none; }
.done { color: var(--_success); font-weight: 600; }
dl { margin: 0; display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { color: var(--_muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; }
ul { margin: 0; padding: 0; list-style: none; display: grid; gap: 0.4em; }
a.download { color: var(--_accent); font-weight: 600; }
`;

/** One stylesheet for every instance: constructed, so a host CSP without 'unsafe-inline' allows it. */
let sheet = /** @type {CSSStyleSheet | null} */ (null);
function styleSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
  }
  return sheet;
}

/**
 * Builds an element: attributes (`on*` functions become listeners) and children.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | ((e: Event) => void) | undefined>} [attrs]
 * @param {Array<Node | string> | string} [children]
 */
function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...(typeof children === 'string' ? [children] : children));
  return node;
}

/** @param {number} n */
const count = (n) => n.toLocaleString('en');

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "contacts.csv" -> "contacts". @param {string} name */
function stem(name) {
  return name.replace(/\.[^.]+$/, '') || 'list';
}

/** @param {string | null} text */
function splitList(text) {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

let nextId = 1;

export class PhoneScrubberElement extends HTMLElement {
  static get observedAttributes() {
    return ['default-region'];
  }

  /** Extra policy fields (consent, retention, output, today, ...) under the user's choices. @type {Partial<Policy>} */
  policy = {};

  /** @type {ShadowRoot} */ #root;
  /** @type {Promise<Scrubber> | null} */ #scrubber = null;
  /** @type {File | null} */ #file = null;
  /** @type {Profile | null} */ #profile = null;
  /** @type {AbortController | null} */ #running = null;
  /** @type {string[]} */ #urls = [];
  /** Bumped whenever the flow restarts, so late answers to an old file are ignored. */
  #generation = 0;
  #ui;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#root.adoptedStyleSheets = [styleSheet()];
    const id = (/** @type {string} */ name) => `ps${nextId}-${name}`;
    nextId++;

    const ui = {
      list: /** @type {HTMLInputElement} */ (
        h('input', { type: 'file', id: id('list'), part: 'file-input', accept: '.csv,.tsv,.txt,text/csv,text/plain', 'aria-describedby': id('list-hint') })
      ),
      listHint: h('p', { id: id('list-hint'), class: 'muted' }, 'A CSV or text file with a header row. It is read in this browser tab and never uploaded.'),
      optOut: /** @type {HTMLInputElement} */ (
        h('input', { type: 'file', id: id('optout'), multiple: true, accept: '.csv,.tsv,.txt,text/csv,text/plain', 'aria-describedby': id('optout-hint') })
      ),
      optOutHint: h('p', { id: id('optout-hint'), class: 'muted' }, 'Numbers on these lists (in any column and format) are removed from the contact list.'),
      review: /** @type {HTMLFieldSetElement} */ (h('fieldset', { hidden: true })),
      summary: h('p', { class: 'muted' }),
      phone: /** @type {HTMLSelectElement} */ (h('select', { id: id('phone') })),
      region: /** @type {HTMLSelectElement} */ (h('select', { id: id('region'), 'aria-describedby': id('region-hint') })),
      keep: /** @type {HTMLFieldSetElement} */ (h('fieldset', { class: 'plain' })),
      keepChecks: h('div', { class: 'checks' }),
      run: /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', part: 'button primary-button' }, 'Scrub list')),
      running: h('div', { class: 'field', hidden: true }),
      progress: /** @type {HTMLProgressElement} */ (h('progress', { id: id('progress'), max: 1, part: 'progress' })),
      progressText: h('p', { class: 'muted' }),
      cancel: /** @type {HTMLButtonElement} */ (h('button', { type: 'button', part: 'button' }, 'Cancel')),
      status: h('p', { role: 'status', class: 'status' }),
      error: h('p', { role: 'alert', class: 'error', part: 'error' }),
      results: h('section', { hidden: true, 'aria-labelledby': id('results-title') }),
      resultsTitle: h('h3', { id: id('results-title'), tabindex: -1 }, 'Results'),
      counts: h('dl'),
      downloads: h('ul'),
      again: /** @type {HTMLButtonElement} */ (h('button', { type: 'button', part: 'button' }, 'Scrub another list')),
    };
    this.#ui = ui;

    ui.keep.append(h('legend', {}, 'Columns to keep'), ui.keepChecks);
    ui.review.append(
      h('legend', {}, 'Check the columns'),
      ui.summary,
      h('div', { class: 'field' }, [h('label', { for: id('phone') }, 'Phone number column'), ui.phone]),
      h('div', { class: 'field' }, [
        h('label', { for: id('region') }, 'Country for numbers without a +country code'),
        ui.region,
        h('p', { id: id('region-hint'), class: 'muted' }, 'Numbers written like 0121 294 1091 are read as numbers of this country.'),
      ]),
      ui.keep,
      h('div', { class: 'actions' }, [ui.run]),
    );
    ui.running.append(h('label', { for: id('progress') }, 'Progress'), ui.progress, ui.progressText, h('div', { class: 'actions' }, [ui.cancel]));
    ui.results.append(ui.resultsTitle, ui.counts, ui.downloads, h('div', { class: 'actions' }, [ui.again]));

    const form = h('form', { novalidate: true }, [
      h('div', { class: 'field' }, [h('label', { for: id('list') }, 'Contact list'), ui.list, ui.listHint]),
      h('div', { class: 'field' }, [h('label', { for: id('optout') }, 'Opt-out lists (optional)'), ui.optOut, ui.optOutHint]),
      ui.review,
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#scrub();
    });

    this.#root.append(
      h('div', { class: 'panel', part: 'panel' }, [
        h('h2', { part: 'heading' }, [h('slot', { name: 'heading' }, 'Scrub a phone list')]),
        form,
        ui.running,
        ui.status,
        ui.error,
        ui.results,
      ]),
    );

    ui.list.addEventListener('change', () => {
      const file = ui.list.files?.[0];
      if (file) this.#choose(file);
    });
    ui.phone.addEventListener('change', () => this.#syncPhoneKeep());
    ui.cancel.addEventListener('click', () => this.#running?.abort());
    ui.again.addEventListener('click', () => {
      this.reset();
      ui.list.focus();
    });
  }

  connectedCallback() {
    this.#engine().catch(() => {}); // start loading now; failures are reported when used
  }

  disconnectedCallback() {
    // A move within the document disconnects and reconnects at once: keep the engine then.
    queueMicrotask(() => {
      if (this.isConnected) return;
      this.reset();
      const scrubber = this.#scrubber;
      this.#scrubber = null;
      scrubber?.then((s) => s.terminate(), () => {});
    });
  }

  /**
   * @param {string} name
   * @param {string | null} _old
   * @param {string | null} value
   */
  attributeChangedCallback(name, _old, value) {
    if (name === 'default-region' && this.#profile && value && REGION_CODES.includes(value.toUpperCase())) {
      this.#ui.region.value = value.toUpperCase();
    }
  }

  /** Back to the start: no file, no results (their download links are revoked). */
  reset() {
    this.#generation++;
    this.#running?.abort();
    this.#running = null;
    this.#file = null;
    this.#profile = null;
    const ui = this.#ui;
    ui.list.value = '';
    ui.list.disabled = false;
    ui.optOut.value = '';
    ui.optOut.disabled = false;
    ui.review.hidden = true;
    ui.running.hidden = true;
    ui.results.hidden = true;
    ui.error.textContent = '';
    ui.status.textContent = '';
    this.#revokeDownloads();
  }

  /** The engine, started once per connection; a failed start is retried on next use. */
  #engine() {
    this.#scrubber ??= Scrubber.create({
      workerUrl: this.getAttribute('worker-url') ?? undefined,
      wasmUrl: this.getAttribute('wasm-url') ?? undefined,
    }).catch((err) => {
      this.#scrubber = null;
      throw err;
    });
    return this.#scrubber;
  }

  /** @param {File} file */
  async #choose(file) {
    const generation = ++this.#generation;
    const ui = this.#ui;
    this.#file = file;
    this.#profile = null;
    ui.review.hidden = true;
    ui.results.hidden = true;
    ui.error.textContent = '';
    this.#revokeDownloads();
    this.#say(`Reading ${file.name}…`);
    const region = this.#defaultRegion();
    try {
      const scrubber = await this.#engine();
      const profile = await scrubber.profile(file, region ? { defaultRegion: region } : {});
      if (generation !== this.#generation) return;
      this.#profile = profile;
      this.#renderReview(file, profile, region);
      ui.review.hidden = false;
      this.#say(`${file.name} read: ${profile.columns.length} columns. Check the phone column and country, then press Scrub list.`);
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#file = null;
      ui.list.value = '';
      this.#say('');
      this.#fail(err, file.name);
    }
  }

  /** The attribute's region if the engine knows it, else the browser language's. */
  #defaultRegion() {
    const wanted = this.getAttribute('default-region')?.trim().toUpperCase();
    if (wanted && REGION_CODES.includes(wanted)) return wanted;
    return regionOfLanguage(navigator.language) ?? '';
  }

  /**
   * @param {File} file
   * @param {Profile} profile
   * @param {string} region
   */
  #renderReview(file, profile, region) {
    const ui = this.#ui;
    const rows = profile.estimatedRows === null ? '' : `${profile.complete ? '' : 'about '}${count(profile.estimatedRows)} rows, `;
    ui.summary.textContent = `${file.name}: ${formatBytes(file.size)}, ${rows}${profile.columns.length} columns (${profile.encoding}).`;

    const phoneIndex = profile.phoneColumn ?? 0;
    ui.phone.replaceChildren(
      ...profile.columns.map((c) => {
        // Like the page, examples from a phone column are shown masked.
        const sample = c.samples[0] && (c.role === 'phone' ? maskNumber(c.samples[0]) : c.samples[0]);
        return h('option', { value: c.index, selected: c.index === phoneIndex }, sample ? `${c.name} (e.g. ${sample})` : c.name);
      }),
    );
    ui.phone.value = String(phoneIndex);

    if (ui.region.options.length === 0) {
      ui.region.append(
        h('option', { value: '' }, 'None: every number starts with +'),
        ...regions().map(({ code, name }) => h('option', { value: code }, `${name} (${code})`)),
      );
    }
    ui.region.value = region;

    const wanted = splitList(this.getAttribute('keep-columns')).map((s) => s.toLowerCase());
    ui.keepChecks.replaceChildren(
      ...profile.columns.map((c) => {
        const checked = wanted.length > 0 ? wanted.includes(c.name.trim().toLowerCase()) : c.keep;
        const box = h('input', { type: 'checkbox', value: c.index, checked });
        return h('label', { title: c.why }, [box, c.name || `Column ${c.index + 1}`]);
      }),
    );
    this.#syncPhoneKeep();
  }

  /** The phone column is always kept: its box is ticked and cannot be unticked. */
  #syncPhoneKeep() {
    const phone = this.#ui.phone.value;
    for (const box of this.#ui.keepChecks.querySelectorAll('input')) {
      const isPhone = box.value === phone;
      if (isPhone) box.checked = true;
      box.disabled = isPhone;
    }
  }

  /** @returns {Policy} */
  #policy() {
    const ui = this.#ui;
    const phoneColumn = Number(ui.phone.value);
    const keepColumns = [...ui.keepChecks.querySelectorAll('input')].filter((b) => b.checked).map((b) => Number(b.value));
    /** @type {Policy} */
    const policy = { ...this.policy, phoneColumn, keepColumns };
    if (ui.region.value) policy.defaultRegion = ui.region.value;
    else delete policy.defaultRegion;
    return policy;
  }

  async #scrub() {
    const file = this.#file;
    if (!file || !this.#profile || this.#running) return;
    const generation = this.#generation;
    const ui = this.#ui;
    const controller = new AbortController();
    this.#running = controller;
    ui.error.textContent = '';
    ui.run.disabled = true;
    ui.list.disabled = true;
    ui.optOut.disabled = true;
    ui.running.hidden = false;
    ui.progress.value = 0;
    ui.progressText.textContent = 'Starting…';
    this.#say(`Scrubbing ${file.name}…`);
    try {
      const scrubber = await this.#engine();
      const result = await scrubber.scrub(file, this.#policy(), {
        optOut: [...(ui.optOut.files ?? [])],
        signal: controller.signal,
        onProgress: (p) => {
          ui.progress.value = p.fraction;
          const what = p.phase === 'scan' ? 'Looking for opt-outs' : 'Scrubbing';
          ui.progressText.textContent = `${what}: ${Math.round(p.fraction * 100)}% (${count(p.rows)} rows)`;
        },
      });
      if (generation !== this.#generation) return;
      this.#showResults(file, result);
      /** @type {ScrubbedDetail} */
      const detail = { report: result.report, cleaned: result.cleaned, removed: result.removed };
      this.dispatchEvent(new CustomEvent('scrubbed', { detail, bubbles: true, composed: true }));
    } catch (err) {
      if (generation !== this.#generation) return;
      if (err instanceof ScrubError && err.kind === 'cancelled') this.#say('Cancelled. Nothing was written.');
      else {
        this.#say('');
        this.#fail(err, file.name);
      }
    } finally {
      if (this.#running === controller) this.#running = null;
      if (generation === this.#generation) {
        ui.running.hidden = true;
        ui.run.disabled = false;
        ui.list.disabled = false;
        ui.optOut.disabled = false;
      }
    }
  }

  /**
   * @param {File} file
   * @param {import('./types/phonescrub.js').ScrubResult} result
   */
  #showResults(file, { report, cleaned, removed }) {
    const ui = this.#ui;
    const reasons = Object.entries(report.reasons).filter(([, n]) => n > 0);
    ui.counts.replaceChildren(
      ...[
        ['Rows read', count(report.rowsRead)],
        ['Kept', count(report.rowsKept)],
        ['Removed', count(report.rowsRemoved)],
        ...reasons.map(([code, n]) => [`· ${REASONS[/** @type {keyof typeof REASONS} */ (code)] ?? code}`, count(n)]),
      ].flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
    );
    this.#revokeDownloads();
    const base = stem(file.name);
    const reportBlob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
    ui.downloads.replaceChildren(
      ...[
        [cleaned, `${base}-cleaned.csv`, `Cleaned list (${count(report.rowsKept)} rows)`],
        [removed, `${base}-removed.csv`, `Removed rows with reasons (${count(report.rowsRemoved)} rows)`],
        [reportBlob, `${base}-report.json`, 'Report'],
      ].map(([blob, name, label]) => {
        const url = URL.createObjectURL(/** @type {Blob} */ (blob));
        this.#urls.push(url);
        return h('li', {}, [h('a', { href: url, download: /** @type {string} */ (name), class: 'download', part: 'download' }, /** @type {string} */ (label))]);
      }),
    );
    ui.review.hidden = true;
    ui.results.hidden = false;
    this.#say(`Done: ${count(report.rowsRead)} rows read, ${count(report.rowsKept)} kept, ${count(report.rowsRemoved)} removed.`);
    ui.resultsTitle.focus();
  }

  /**
   * Shows a failure and fires `error`.
   * @param {unknown} err
   * @param {string} fileName
   */
  #fail(err, fileName) {
    const e = /** @type {{message?: string, kind?: ScrubErrorKind, line?: number}} */ (err ?? {});
    const message = e.message || String(err);
    const kind = e.kind ?? 'io';
    const line = typeof e.line === 'number' ? e.line : undefined;
    this.#ui.error.textContent = kind === 'input' ? `${fileName} cannot be scrubbed: ${message}` : message;
    /** @type {ErrorDetail} */
    const detail = { message, kind, line };
    this.dispatchEvent(new CustomEvent('error', { detail }));
  }

  /** @param {string} text */
  #say(text) {
    this.#ui.status.textContent = text;
  }

  #revokeDownloads() {
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.#urls = [];
    this.#ui.downloads.replaceChildren();
  }
}

if (!customElements.get(TAG_NAME)) customElements.define(TAG_NAME, PhoneScrubberElement);
