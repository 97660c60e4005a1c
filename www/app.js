// The page: UI only. The engine runs in a worker behind ./phonescrub.js; this file never
// sends data anywhere and stores only the last policy (rules and column names) locally.

import { Scrubber, REASON_LABELS as REASONS } from './phonescrub.js';
import { regions, regionOfLanguage, REGION_CODES } from './regions.js';
import { maskNumber } from './mask.js';

/** @typedef {import('./phonescrub.js').Profile} Profile */
/** @typedef {import('./phonescrub.js').Policy} Policy */
/** @typedef {import('./phonescrub.js').Report} Report */
/** @typedef {import('./phonescrub.js').Progress} Progress */

const POLICY_KEY = 'phonescrub.lastPolicy.v1';


/** Human names for the profile's column roles. */
const ROLES = /** @type {Record<string, string>} */ ({
  phone: 'Phone numbers',
  consent: 'Consent',
  consent_date: 'Consent date',
  last_contact: 'Last contact date',
  date: 'A date',
  email: 'Email addresses',
  name: 'Names',
  country: 'Country',
  free_text: 'Free text',
  other: 'Other',
});

/**
 * Values the engine reads as consent when a policy names none (src/policy.rs
 * DEFAULT_GRANTED); used here only to pre-tick the boxes. Compared like the engine:
 * ignoring case and spaces.
 */
const LOOKS_LIKE_YES = new Set(
  ['yes', 'y', 'true', 't', '1', 'x', 'opt-in', 'optin', 'opt in', 'opted in', 'opted-in', 'granted', 'consent',
    'consented', 'subscribed', 'agreed', 'accepted', 'ja', 'oui', 'si', 'sí'].map(consentKey),
);

/**
 * The rule settings of the form (everything but the column choices).
 * @typedef {{consentMaxAgeDays: string, retentionDays: string, dateOrder: string, dedupe: boolean, keepInvalid: boolean,
 *   phoneFormat: string, mode: string, formulaSafe: boolean, bom: boolean, hashTarget: string, hashColumn: string,
 *   hashKeyed: boolean, encrypt: boolean, outputFormat: string}} Rules
 */

/** @type {Readonly<Rules>} */
const DEFAULT_RULES = Object.freeze({
  consentMaxAgeDays: '',
  retentionDays: '730',
  dateOrder: '',
  dedupe: true,
  keepInvalid: false,
  phoneFormat: 'e164',
  mode: 'remove',
  formulaSafe: true,
  bom: false,
  hashTarget: '',
  hashColumn: 'replace',
  hashKeyed: false,
  encrypt: false,
  outputFormat: 'csv',
});

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const el = {
  engineStatus: $('engine-status'),
  engineVersion: $('engine-version'),
  listInput: /** @type {HTMLInputElement} */ ($('list-input')),
  listDrop: $('list-drop'),
  listStatus: $('list-status'),
  fileError: $('file-error'),
  optoutInput: /** @type {HTMLInputElement} */ ($('optout-input')),
  optoutDrop: $('optout-drop'),
  optoutList: $('optout-list'),
  optoutError: $('optout-error'),
  optoutDetails: /** @type {HTMLDetailsElement} */ ($('optout-details')),
  stepReview: $('step-review'),
  stepRules: $('step-rules'),
  stepRun: $('step-run'),
  stepResults: $('step-results'),
  facts: $('facts'),
  phoneColumn: /** @type {HTMLSelectElement} */ ($('phone-column')),
  region: /** @type {HTMLInputElement} */ ($('region')),
  regionList: $('region-list'),
  regionError: $('region-error'),
  regionColumn: /** @type {HTMLSelectElement} */ ($('region-column')),
  consentColumn: /** @type {HTMLSelectElement} */ ($('consent-column')),
  consentDateColumn: /** @type {HTMLSelectElement} */ ($('consent-date-column')),
  retentionColumn: /** @type {HTMLSelectElement} */ ($('retention-column')),
  columnsBody: $('columns-body'),
  rulesForm: /** @type {HTMLFormElement} */ ($('rules-form')),
  consentNone: $('consent-none'),
  consentRule: $('consent-rule'),
  consentValues: $('consent-values'),
  consentExtra: /** @type {HTMLInputElement} */ ($('consent-extra')),
  consentMaxAge: /** @type {HTMLInputElement} */ ($('consent-max-age')),
  retentionNone: $('retention-none'),
  retentionRule: $('retention-rule'),
  retentionDays: /** @type {HTMLInputElement} */ ($('retention-days')),
  dateOrder: /** @type {HTMLSelectElement} */ ($('date-order')),
  dedupe: /** @type {HTMLInputElement} */ ($('dedupe')),
  keepInvalid: /** @type {HTMLInputElement} */ ($('keep-invalid')),
  phoneFormat: /** @type {HTMLSelectElement} */ ($('phone-format')),
  formulaSafe: /** @type {HTMLInputElement} */ ($('formula-safe')),
  outputFormat: /** @type {HTMLSelectElement} */ ($('output-format')),
  sheet: /** @type {HTMLSelectElement} */ ($('sheet')),
  sheetField: $('sheet-field'),
  bom: /** @type {HTMLInputElement} */ ($('bom')),
  hashTarget: /** @type {HTMLSelectElement} */ ($('hash-target')),
  hashOptions: $('hash-options'),
  hashKeyed: /** @type {HTMLInputElement} */ ($('hash-keyed')),
  hashKeyField: $('hash-key-field'),
  hashKey: /** @type {HTMLInputElement} */ ($('hash-key')),
  encrypt: /** @type {HTMLInputElement} */ ($('encrypt')),
  encryptFields: $('encrypt-fields'),
  passphrase: /** @type {HTMLInputElement} */ ($('passphrase')),
  passphraseAgain: /** @type {HTMLInputElement} */ ($('passphrase-again')),
  rulesError: $('rules-error'),
  scrubButton: /** @type {HTMLButtonElement} */ ($('scrub-button')),
  resetRules: $('reset-rules'),
  progress: /** @type {HTMLProgressElement} */ ($('progress')),
  runStats: $('run-stats'),
  runStatus: $('run-status'),
  cancelButton: /** @type {HTMLButtonElement} */ ($('cancel-button')),
  runError: $('run-error'),
  resultsHeading: $('h-results'),
  totals: $('totals'),
  chart: $('chart'),
  chartCaption: $('chart-caption'),
  downloads: $('downloads'),
  previewCleaned: $('preview-cleaned'),
  previewRemoved: $('preview-removed'),
  startOver: $('start-over'),
};

/** The page's state: the files chosen and what the engine said about them. */
const state = {
  /** @type {Promise<Scrubber>} */
  scrubber: Scrubber.create(),
  /** @type {File | null} */
  file: null,
  /** @type {Profile | null} */
  profile: null,
  /** @type {File[]} */
  optOuts: [],
  /** @type {AbortController | null} */
  run: null,
  /** Blob URLs of the current downloads, revoked when replaced. @type {string[]} */
  urls: [],
  /** Bumped on every new file, so a slow profile of an older file is ignored. */
  generation: 0,
};

const REGIONS = regions();
const REGION_NAMES = new Map(REGIONS.map((r) => [r.code, r.name]));

// ---------------------------------------------------------------- start-up

setUpRegionField();
setUpDropZone(el.listDrop, el.listInput, (files) => files[0] && chooseList(files[0]));
setUpDropZone(el.optoutDrop, el.optoutInput, addOptOuts);
el.phoneColumn.addEventListener('change', syncColumnLocks);
el.consentColumn.addEventListener('change', renderConsentRule);
el.consentDateColumn.addEventListener('change', syncRuleAvailability);
el.retentionColumn.addEventListener('change', syncRuleAvailability);
for (const input of [el.hashTarget, el.hashKeyed, el.encrypt]) input.addEventListener('change', syncProtect);
el.rulesForm.addEventListener('submit', (event) => {
  event.preventDefault();
  startScrub();
});
el.resetRules.addEventListener('click', () => {
  applyRules(DEFAULT_RULES);
  announce('Rules reset to the defaults.');
});
el.cancelButton.addEventListener('click', () => state.run?.abort());
el.startOver.addEventListener('click', startOver);
applyRules({ ...DEFAULT_RULES, ...rulesOf(loadPolicy()) });

state.scrubber.then(
  (scrubber) => {
    el.engineStatus.textContent = '';
    el.engineStatus.hidden = true;
    el.engineVersion.textContent = `engine ${scrubber.engineVersion}`;
  },
  (err) => {
    el.engineStatus.textContent = `The engine could not start: ${err.message}. Reload the page to try again.`;
    el.engineStatus.classList.add('error');
  },
);

// ---------------------------------------------------------------- step 1: files

/**
 * A drop zone around a file input: the input covers the zone (so a click or a key opens
 * the picker), and drops anywhere on the zone are taken too.
 * @param {HTMLElement} zone
 * @param {HTMLInputElement} input
 * @param {(files: File[]) => void} onFiles
 */
function setUpDropZone(zone, input, onFiles) {
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (files.length) onFiles(files);
  });
  let depth = 0;
  zone.addEventListener('dragenter', (event) => {
    event.preventDefault();
    depth++;
    zone.classList.add('over');
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      zone.classList.remove('over');
    }
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('over');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) onFiles(input.multiple ? files : files.slice(0, 1));
  });
}

// A workbook: profile the sheet the user picks.
el.sheet.addEventListener('change', () => {
  if (state.file) chooseList(state.file, el.sheet.value);
});

// A file dropped beside a zone must not make the browser navigate away to it.
for (const type of ['dragover', 'drop']) {
  window.addEventListener(type, (event) => event.preventDefault());
}

/**
 * @param {File} file
 * @param {string} [sheet] for a spreadsheet, the sheet to read (default: the first)
 */
async function chooseList(file, sheet) {
  const generation = ++state.generation;
  state.run?.abort();
  state.file = file;
  state.profile = null;
  showError(el.fileError, null);
  showError(el.rulesError, null);
  for (const section of [el.stepReview, el.stepRules, el.stepRun, el.stepResults]) section.hidden = true;
  el.listStatus.hidden = false;
  el.listStatus.textContent = `Reading ${file.name} (${formatBytes(file.size)})…`;
  try {
    const scrubber = await state.scrubber;
    const region = regionCode(el.region.value);
    const profile = await scrubber.profile(file, { ...(region ? { defaultRegion: region } : {}), ...(sheet ? { sheet } : {}) });
    if (generation !== state.generation) return;
    state.profile = profile;
    renderProfile(file, profile);
    el.listStatus.textContent = `${file.name} · ${formatBytes(file.size)}`;
    el.stepReview.hidden = false;
    el.stepRules.hidden = false;
    announce(
      `${file.name} read: ${profile.columns.length} columns, ${rowsPhrase(profile)}. Check the columns and rules below, then press Scrub list.`,
    );
  } catch (err) {
    if (generation !== state.generation) return;
    state.file = null;
    el.listStatus.hidden = true;
    el.listInput.value = '';
    showError(el.fileError, fileErrorMessage(file, err));
  }
}

/**
 * @param {File} file
 * @param {unknown} err
 */
function fileErrorMessage(file, err) {
  const e = /** @type {import('./phonescrub.js').ScrubError} */ (err);
  if (e?.kind === 'crash') {
    return [`The engine crashed while reading ${file.name} and has been restarted.`, 'Please try again, or try another file.'];
  }
  return [`${file.name} cannot be read as a contact list.`, sentence(e?.message ?? String(err)), 'Choose another file; nothing has changed.'];
}

/**
 * Adds opt-out lists. Each is first checked by the engine (its first rows only), so a
 * file that is not a list is refused here, by name, rather than failing the scrub later.
 * @param {File[]} files
 */
async function addOptOuts(files) {
  el.optoutInput.value = '';
  el.optoutDetails.open = true;
  showError(el.optoutError, null);
  const scrubber = await state.scrubber;
  /** @type {string[]} */
  const refused = [];
  for (const file of files) {
    if (state.optOuts.some((f) => f.name === file.name && f.size === file.size && f.lastModified === file.lastModified)) continue;
    try {
      await scrubber.profile(file, { rows: 50 });
      state.optOuts.push(file);
    } catch (err) {
      refused.push(`${file.name}: ${sentence(/** @type {Error} */ (err).message ?? String(err))}`);
    }
  }
  renderOptOuts();
  if (refused.length) {
    showError(el.optoutError, [`${refused.length === 1 ? 'This file was' : 'These files were'} not added as opt-out lists:`, ...refused]);
  }
  announce(`${state.optOuts.length} opt-out ${plural(state.optOuts.length, 'list')} added.`);
}

function renderOptOuts() {
  el.optoutList.replaceChildren(
    ...state.optOuts.map((file, i) =>
      h('li', {}, [
        h('span', { class: 'file-name' }, file.name),
        h('span', { class: 'muted' }, formatBytes(file.size)),
        h(
          'button',
          {
            type: 'button',
            class: 'quiet small',
            'aria-label': `Remove ${file.name}`,
            onclick: () => {
              state.optOuts.splice(i, 1);
              renderOptOuts();
              announce(`${file.name} removed from the opt-out lists.`);
              el.optoutInput.focus();
            },
          },
          'Remove',
        ),
      ]),
    ),
  );
}

// ---------------------------------------------------------------- step 2: review

function setUpRegionField() {
  el.regionList.replaceChildren(...REGIONS.map((r) => h('option', { value: r.code }, r.name)));
  const remembered = loadPolicy()?.defaultRegion;
  const guess = regionOfLanguage(navigator.language) ?? 'US';
  el.region.value = remembered && REGION_CODES.includes(remembered) ? remembered : guess;
  describeRegion();
  el.region.addEventListener('change', describeRegion);
  el.region.addEventListener('blur', describeRegion);
}

/** Normalises the field to a code when it names a region, and says which region it is. */
function describeRegion() {
  const code = regionCode(el.region.value);
  if (code) {
    el.region.value = code;
    el.region.removeAttribute('aria-invalid');
    el.regionError.hidden = true;
    el.region.title = REGION_NAMES.get(code) ?? code;
    $('region-hint').textContent = `${REGION_NAMES.get(code)}: used for numbers written without a +country code.`;
  } else {
    el.region.setAttribute('aria-invalid', 'true');
    el.regionError.hidden = false;
    el.regionError.textContent = el.region.value.trim()
      ? `“${el.region.value.trim()}” is not a country we know. Type a two-letter code such as GB, or pick from the list.`
      : 'Choose the country most numbers in the list are from.';
  }
}

/**
 * The region code a field value means: a code ("gb") or a name ("United Kingdom").
 * @param {string} value
 * @returns {string | undefined}
 */
function regionCode(value) {
  const text = value.trim();
  if (!text) return undefined;
  const upper = text.toUpperCase();
  if (REGION_CODES.includes(upper)) return upper;
  const lower = text.toLowerCase();
  return REGIONS.find((r) => r.name.toLowerCase() === lower)?.code;
}

/**
 * @param {File} file
 * @param {Profile} profile
 */
function renderProfile(file, profile) {
  const delimiters = /** @type {Record<string, string>} */ ({ ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' });
  el.facts.replaceChildren(
    ...[
      ['File', file.name],
      ['Size', formatBytes(file.size)],
      ...(profile.sheets.length
        ? [['Format', `.${profile.format}`]]
        : [
            ['Encoding', profile.encoding],
            ['Separator', delimiters[profile.delimiter] ?? profile.delimiter],
          ]),
      ['Rows', rowsPhrase(profile)],
    ].flatMap(([term, value]) => [h('div', {}, [h('dt', {}, term), h('dd', {}, value)])]),
  );

  el.sheetField.hidden = profile.sheets.length === 0;
  el.sheet.replaceChildren(...profile.sheets.map((name) => h('option', { value: name }, name)));
  el.sheet.value = profile.sheet ?? '';

  const columns = profile.columns;
  const remembered = loadPolicy();
  const sameLayout = remembered && sameColumns(remembered, columns);
  const byRole = (/** @type {string} */ role) => columns.find((c) => c.role === role)?.index;
  const pick = (/** @type {unknown} */ ref, /** @type {number | undefined} */ fallback) =>
    sameLayout && ref !== undefined ? columnIndex(ref, columns) : fallback;

  fillColumnSelect(el.phoneColumn, columns, null, pick(remembered?.phoneColumn, profile.phoneColumn ?? 0));
  fillColumnSelect(el.regionColumn, columns, 'No country column', pick(remembered?.regionColumn ?? null, byRole('country')));
  fillColumnSelect(el.consentColumn, columns, 'No consent column', pick(remembered?.consent?.column ?? null, byRole('consent')));
  fillColumnSelect(
    el.consentDateColumn,
    columns,
    'No consent date',
    pick(remembered?.consent?.dateColumn ?? null, byRole('consent_date')),
  );
  fillColumnSelect(
    el.retentionColumn,
    columns,
    'No last contact date',
    pick(remembered?.retention?.column ?? null, byRole('last_contact')),
  );

  const keep = new Set(
    sameLayout && remembered.keepColumns
      ? remembered.keepColumns.map((/** @type {unknown} */ ref) => columnIndex(ref, columns))
      : columns.filter((c) => c.keep).map((c) => c.index),
  );
  el.columnsBody.replaceChildren(
    ...columns.map((c) => {
      const id = `keep-${c.index}`;
      return h('tr', {}, [
        h('td', { class: 'keep' }, [
          h('input', { type: 'checkbox', id, checked: keep.has(c.index), 'data-index': String(c.index), 'aria-describedby': `why-${c.index}` }),
        ]),
        h('th', { scope: 'row' }, [h('label', { for: id }, c.name || `(column ${c.index + 1})`)]),
        h('td', {}, [h('span', { class: `role role-${c.role}` }, ROLES[c.role] ?? c.role)]),
        h('td', {}, [
          h(
            'div',
            { class: 'samples' },
            c.samples.length
              ? c.samples.slice(0, 3).map((s) => h('span', { class: 'sample' }, c.role === 'phone' ? maskNumber(s) : s))
              : [h('span', { class: 'muted' }, 'empty')],
          ),
        ]),
        h('td', { class: 'why', id: `why-${c.index}` }, sentence(c.why)),
      ]);
    }),
  );
  syncColumnLocks();
  renderConsentRule();
}

/**
 * @param {HTMLSelectElement} select
 * @param {import('./phonescrub.js').ColumnProfile[]} columns
 * @param {string | null} noneLabel  a first "none" option, or null when a column is required
 * @param {number | undefined | null} selected
 */
function fillColumnSelect(select, columns, noneLabel, selected) {
  const options = columns.map((c) => h('option', { value: String(c.index) }, c.name || `(column ${c.index + 1})`));
  if (noneLabel !== null) options.unshift(h('option', { value: '' }, noneLabel));
  select.replaceChildren(...options);
  select.value = selected === undefined || selected === null || selected < 0 ? '' : String(selected);
  if (noneLabel === null && select.selectedIndex < 0) select.selectedIndex = 0;
}

/** The phone column is always written (the engine insists): its box is ticked and locked. */
function syncColumnLocks() {
  const phone = el.phoneColumn.value;
  for (const box of el.columnsBody.querySelectorAll('input[type=checkbox]')) {
    const input = /** @type {HTMLInputElement} */ (box);
    const isPhone = input.dataset.index === phone;
    if (isPhone) input.checked = true;
    input.disabled = isPhone;
    input.title = isPhone ? 'The phone column is always kept' : '';
  }
}

/** Consent values from the profile's distinct values of the chosen consent column. */
function renderConsentRule() {
  const profile = state.profile;
  const index = el.consentColumn.value;
  const column = profile && index !== '' ? profile.columns[Number(index)] : undefined;
  el.consentRule.hidden = !column;
  el.consentNone.hidden = Boolean(column);
  if (!profile || !column) {
    el.consentValues.replaceChildren();
    syncRuleAvailability();
    return;
  }
  // The remembered yes-values apply only to the same column of a file with the same header.
  const remembered = loadPolicy();
  const rememberedYes =
    remembered?.consent?.granted && sameColumns(remembered, profile.columns) && columnIndex(remembered.consent.column, profile.columns) === column.index
      ? new Set(remembered.consent.granted.map(consentKey))
      : null;
  const values = column.values.filter(([value]) => value.trim() !== '');
  if (values.length === 0) {
    el.consentValues.replaceChildren(
      h('p', { class: 'hint' }, 'This column has too many different values to list. The usual yes values (yes, y, true, 1, opt-in, …) count as consent; add others below.'),
    );
  } else {
    el.consentValues.replaceChildren(
      ...values.map(([value, count], i) => {
        const yes = rememberedYes ? rememberedYes.has(consentKey(value)) : LOOKS_LIKE_YES.has(consentKey(value));
        return h('label', { class: 'check' }, [
          h('input', { type: 'checkbox', 'data-value': value, checked: yes, id: `consent-value-${i}` }),
          h('span', {}, [
            h('span', { class: 'consent-value' }, value),
            ' ',
            h('span', { class: 'muted' }, `(${count.toLocaleString()} ${plural(count, 'row')} in the sample)`),
          ]),
        ]);
      }),
    );
  }
  const emptyRows = column.values.find(([value]) => value.trim() === '')?.[1];
  if (emptyRows) {
    el.consentValues.append(h('p', { class: 'hint' }, `${emptyRows.toLocaleString()} sampled ${plural(emptyRows, 'row has', 'rows have')} no value: no consent.`));
  }
  const listed = new Set(values.map(([v]) => consentKey(v)));
  el.consentExtra.value = rememberedYes ? [...(remembered?.consent?.granted ?? [])].filter((v) => !listed.has(consentKey(v))).join(', ') : '';
  syncRuleAvailability();
}

function syncRuleAvailability() {
  const hasConsentDate = el.consentDateColumn.value !== '';
  el.consentMaxAge.disabled = !hasConsentDate;
  const hasRetention = el.retentionColumn.value !== '';
  el.retentionRule.hidden = !hasRetention;
  el.retentionNone.hidden = hasRetention;
}

// ---------------------------------------------------------------- step 3: rules -> policy

/**
 * Reads the form into a policy for the engine, or returns an error message.
 * @returns {{policy: Policy, secrets: {hashKey?: string, passphrase?: string}} | {error: string, focus: HTMLElement}}
 */
function buildPolicy() {
  const profile = /** @type {Profile} */ (state.profile);
  const columns = profile.columns;
  const ref = (/** @type {string} */ value) => columnRef(Number(value), columns);
  const region = regionCode(el.region.value);
  if (!region) {
    describeRegion();
    return { error: 'Choose a default country (step 2).', focus: el.region };
  }
  /** @type {Policy} */
  const policy = { phoneColumn: ref(el.phoneColumn.value), defaultRegion: region };
  if (el.regionColumn.value !== '') policy.regionColumn = ref(el.regionColumn.value);

  const keep = [...el.columnsBody.querySelectorAll('input[type=checkbox]')]
    .filter((box) => /** @type {HTMLInputElement} */ (box).checked)
    .map((box) => Number(/** @type {HTMLInputElement} */ (box).dataset.index));
  if (keep.length < columns.length) policy.keepColumns = keep.map((i) => columnRef(i, columns));

  if (el.consentColumn.value !== '') {
    const granted = [
      ...[...el.consentValues.querySelectorAll('input[type=checkbox]:checked')].map(
        (box) => /** @type {string} */ (/** @type {HTMLInputElement} */ (box).dataset.value),
      ),
      ...el.consentExtra.value.split(',').map((v) => v.trim()).filter(Boolean),
    ];
    const listed = el.consentValues.querySelector('input[type=checkbox]') !== null;
    if (listed && granted.length === 0) {
      return { error: 'Tick at least one consent value that means yes, or choose “No consent column”.', focus: el.consentValues };
    }
    /** @type {NonNullable<Policy['consent']>} */
    const consent = { column: ref(el.consentColumn.value) };
    if (granted.length) consent.granted = granted;
    if (el.consentDateColumn.value !== '') {
      consent.dateColumn = ref(el.consentDateColumn.value);
      const days = wholeDays(el.consentMaxAge);
      if (days === null) return { error: 'Consent expiry must be a whole number of days, or empty.', focus: el.consentMaxAge };
      if (days !== undefined) consent.maxAgeDays = days;
    }
    policy.consent = consent;
  }
  if (el.retentionColumn.value !== '') {
    const days = wholeDays(el.retentionDays);
    if (days === null) return { error: 'The retention period must be a whole number of days, or empty.', focus: el.retentionDays };
    if (days !== undefined) policy.retention = { column: ref(el.retentionColumn.value), maxAgeDays: days };
  }
  if (el.dateOrder.value) policy.dateOrder = /** @type {'dmy' | 'mdy'} */ (el.dateOrder.value);
  policy.dedupe = el.dedupe.checked;
  policy.invalidNumbers = el.keepInvalid.checked ? 'keep' : 'remove';
  policy.mode = /** @type {'remove' | 'flag'} */ (checkedMode());
  policy.output = {
    phoneFormat: /** @type {any} */ (el.phoneFormat.value),
    formulaSafe: el.formulaSafe.checked,
    bom: el.bom.checked,
  };
  if (el.outputFormat.value === 'xlsx') policy.output.format = 'xlsx';
  /** @type {{hashKey?: string, passphrase?: string}} */
  const secrets = {};
  if (el.hashTarget.value) {
    const keyed = el.hashKeyed.checked;
    policy.output.hash = {
      target: /** @type {'google' | 'meta' | 'tiktok'} */ (el.hashTarget.value),
      column: /** @type {'replace' | 'add'} */ (checkedRadio('hash-column', 'replace')),
      keyed,
    };
    if (keyed) {
      if (!el.hashKey.value) return { error: 'Type the secret key for the keyed hash, or untick “Keyed hash”.', focus: el.hashKey };
      secrets.hashKey = el.hashKey.value;
    }
  }
  if (el.encrypt.checked) {
    if (!el.passphrase.value) return { error: 'Type a passphrase to encrypt the files, or untick “Encrypt”.', focus: el.passphrase };
    if (el.passphrase.value !== el.passphraseAgain.value) {
      return { error: 'The two passphrases differ: type the same one twice.', focus: el.passphraseAgain };
    }
    secrets.passphrase = el.passphrase.value;
  }
  return { policy, secrets };
}

/**
 * Shows the hashing and encryption fields that apply. The key and the passphrase live
 * only in their fields: never in the remembered policy, the report or storage.
 */
function syncProtect() {
  el.hashOptions.hidden = !el.hashTarget.value;
  el.hashKeyField.hidden = !el.hashKeyed.checked;
  el.encryptFields.hidden = !el.encrypt.checked;
}

/**
 * @param {HTMLInputElement} input
 * @returns {number | undefined | null} undefined when empty, null when not a whole number
 */
function wholeDays(input) {
  const text = input.value.trim();
  if (!text) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= 4_000_000_000 ? n : null;
}

function checkedMode() {
  return checkedRadio('mode', 'remove');
}

/**
 * @param {string} name
 * @param {string} fallback
 */
function checkedRadio(name, fallback) {
  return /** @type {HTMLInputElement | null} */ (el.rulesForm.querySelector(`input[name=${name}]:checked`))?.value ?? fallback;
}

/**
 * Ticks the radio button of group `name` whose value is `value`.
 * @param {string} name
 * @param {string} value
 */
function checkRadio(name, value) {
  for (const radio of el.rulesForm.querySelectorAll(`input[name=${name}]`)) {
    const input = /** @type {HTMLInputElement} */ (radio);
    input.checked = input.value === value;
  }
}

/**
 * A column as the policy names it: by header when that is unambiguous (so the report
 * and the remembered policy read well), by index otherwise.
 * @param {number} index
 * @param {import('./phonescrub.js').ColumnProfile[]} columns
 * @returns {string | number}
 */
function columnRef(index, columns) {
  const name = columns[index].name.trim();
  const clashes = columns.filter((c) => c.name.trim().toLowerCase() === name.toLowerCase()).length;
  return name && clashes === 1 && !/^\d+$/.test(name) ? name : index;
}

/**
 * @param {unknown} ref
 * @param {import('./phonescrub.js').ColumnProfile[]} columns
 * @returns {number}
 */
function columnIndex(ref, columns) {
  if (typeof ref === 'number') return ref < columns.length ? ref : -1;
  if (typeof ref !== 'string') return -1;
  const wanted = ref.trim().toLowerCase();
  return columns.find((c) => c.name.trim().toLowerCase() === wanted)?.index ?? -1;
}

/** The rule settings of a remembered policy (none of its column choices). @param {any} policy */
function rulesOf(policy) {
  if (!policy) return {};
  return {
    consentMaxAgeDays: policy.consent?.maxAgeDays != null ? String(policy.consent.maxAgeDays) : DEFAULT_RULES.consentMaxAgeDays,
    retentionDays: policy.retention?.maxAgeDays != null ? String(policy.retention.maxAgeDays) : DEFAULT_RULES.retentionDays,
    dateOrder: policy.dateOrder ?? '',
    dedupe: policy.dedupe ?? true,
    keepInvalid: policy.invalidNumbers === 'keep',
    phoneFormat: policy.output?.phoneFormat ?? 'e164',
    mode: policy.mode ?? 'remove',
    formulaSafe: policy.output?.formulaSafe ?? true,
    bom: policy.output?.bom ?? false,
    hashTarget: policy.output?.hash?.target ?? '',
    hashColumn: policy.output?.hash?.column ?? 'replace',
    hashKeyed: policy.output?.hash?.keyed ?? false,
    // Whether to encrypt is remembered (the passphrase never is).
    encrypt: policy.encrypt === true,
    outputFormat: policy.output?.format ?? 'csv',
  };
}

/** @param {Rules} rules */
function applyRules(rules) {
  el.consentMaxAge.value = rules.consentMaxAgeDays;
  el.retentionDays.value = rules.retentionDays;
  el.dateOrder.value = rules.dateOrder;
  el.dedupe.checked = rules.dedupe;
  el.keepInvalid.checked = rules.keepInvalid;
  el.phoneFormat.value = rules.phoneFormat;
  checkRadio('mode', rules.mode);
  el.formulaSafe.checked = rules.formulaSafe;
  el.bom.checked = rules.bom;
  el.hashTarget.value = rules.hashTarget;
  checkRadio('hash-column', rules.hashColumn);
  el.hashKeyed.checked = rules.hashKeyed;
  el.encrypt.checked = rules.encrypt;
  el.outputFormat.value = rules.outputFormat;
  syncProtect();
}

/**
 * The remembered policy, with the header it was made for. Only the policy is stored:
 * rules and column names, never a row of data.
 * @returns {any}
 */
function loadPolicy() {
  try {
    const saved = JSON.parse(localStorage.getItem(POLICY_KEY) ?? 'null');
    return saved && typeof saved === 'object' ? saved : null;
  } catch {
    return null;
  }
}

/**
 * @param {Policy} policy
 * @param {import('./phonescrub.js').ColumnProfile[]} columns
 */
function savePolicy(policy, columns) {
  try {
    // The passphrase and the hash key are never part of it; whether to encrypt is.
    const encrypt = el.encrypt.checked;
    localStorage.setItem(POLICY_KEY, JSON.stringify({ ...policy, encrypt, header: columns.map((c) => c.name) }));
  } catch {
    // Storage full or disabled: remembering is a convenience only.
  }
}

/**
 * True when the remembered policy was made for a file with the same header, so its
 * column choices (not only its rules) apply.
 * @param {any} remembered
 * @param {import('./phonescrub.js').ColumnProfile[]} columns
 */
function sameColumns(remembered, columns) {
  const header = remembered?.header;
  return Array.isArray(header) && header.length === columns.length && header.every((name, i) => name === columns[i].name);
}

// ---------------------------------------------------------------- step 4: run

async function startScrub() {
  if (!state.file || !state.profile || state.run) return;
  showError(el.rulesError, null);
  const built = buildPolicy();
  if ('error' in built) {
    showError(el.rulesError, [built.error]);
    built.focus.focus();
    return;
  }
  const { policy, secrets } = built;
  const file = state.file;
  const profile = state.profile;
  const optOuts = [...state.optOuts];
  savePolicy(policy, profile.columns);

  const controller = new AbortController();
  state.run = controller;
  setRunning(true);
  showError(el.runError, null);
  el.stepResults.hidden = true;
  el.stepRun.hidden = false;
  el.progress.value = 0;
  el.runStats.textContent = '';
  setStatus(`Scrubbing ${file.name}…`);
  el.stepRun.scrollIntoView({ behavior: 'smooth', block: 'nearest' });

  const started = performance.now();
  const meter = progressMeter(profile, started);
  try {
    const scrubber = await state.scrubber;
    const result = await scrubber.scrub(file, policy, {
      optOut: optOuts,
      ...(profile.sheet ? { sheet: profile.sheet } : {}),
      signal: controller.signal,
      onProgress: meter,
      ...secrets,
    });
    meter.stop();
    el.progress.value = 1;
    el.runStats.textContent = `${result.report.rowsRead.toLocaleString()} rows in ${formatDuration(result.report.elapsedMs / 1000)}`;
    setStatus(
      `Done: ${result.report.rowsKept.toLocaleString()} ${plural(result.report.rowsKept, 'row')} kept, ${result.report.rowsRemoved.toLocaleString()} removed. Results below.`,
    );
    renderResults(file, optOuts, result, maskedOutputColumns(policy, profile.columns), secrets.passphrase !== undefined);
  } catch (err) {
    meter.stop();
    const e = /** @type {import('./phonescrub.js').ScrubError} */ (err);
    el.progress.value = 0;
    el.runStats.textContent = '';
    if (e?.kind === 'cancelled') {
      setStatus('Cancelled. Nothing was written; your file and rules are as they were.');
    } else if (e?.kind === 'crash') {
      setStatus('Stopped: the engine crashed.');
      const where = e.rows ? ` after about ${e.rows.toLocaleString()} rows` : '';
      showError(el.runError, [
        `The engine crashed${where} and has been restarted. Your file and rules are kept; you can try again.`,
        'This is a bug in phonescrub, not in your file. The browser console has the details.',
      ]);
    } else {
      setStatus('Stopped: the scrub could not finish.');
      showError(el.runError, [
        e?.kind === 'policy' ? 'A rule cannot be applied to this file.' : 'The scrub could not finish.',
        sentence(e?.message ?? String(err)),
      ]);
    }
  } finally {
    if (state.run === controller) state.run = null;
    setRunning(false);
  }
}

/** @param {boolean} running */
function setRunning(running) {
  el.scrubButton.disabled = running;
  el.cancelButton.hidden = !running;
  el.stepRun.classList.toggle('running', running);
  el.stepRun.setAttribute('aria-busy', String(running));
  if (running) el.cancelButton.focus();
  else if (document.activeElement === el.cancelButton || document.activeElement === document.body) el.scrubButton.focus();
}

/**
 * A progress callback that paints the bar at most once a frame and tells screen readers
 * at most every few seconds.
 * @param {Profile} profile
 * @param {number} started
 */
function progressMeter(profile, started) {
  /** @type {Progress | null} */
  let latest = null;
  let frame = 0;
  let lastSpoken = performance.now();
  let phaseStart = { phase: '', at: started };
  const paint = () => {
    frame = 0;
    const p = latest;
    if (!p) return;
    const now = performance.now();
    if (p.phase !== phaseStart.phase) phaseStart = { phase: p.phase, at: now };
    el.progress.value = p.fraction;
    const elapsed = (now - started) / 1000;
    const phaseSeconds = Math.max(0.001, (now - phaseStart.at) / 1000);
    const rate = p.rows / phaseSeconds;
    const left = p.fraction > 0.02 ? (elapsed * (1 - p.fraction)) / p.fraction : NaN;
    const total = profile.estimatedRows ? ` of ~${profile.estimatedRows.toLocaleString()}` : '';
    const pass = p.twoPasses ? (p.phase === 'scan' ? 'Pass 1 of 2 (consent) · ' : 'Pass 2 of 2 · ') : '';
    const text = `${pass}${p.rows.toLocaleString()}${total} rows · ${Math.round(rate).toLocaleString()} rows/s · ${
      Number.isFinite(left) ? `about ${formatDuration(left)} left` : 'estimating time left'
    }`;
    el.runStats.textContent = text;
    if (now - lastSpoken > 4000) {
      lastSpoken = now;
      setStatus(`${Math.round(p.fraction * 100)}% done. ${text}.`);
    }
  };
  /** @param {Progress} p */
  const onProgress = (p) => {
    latest = p;
    if (!frame) frame = requestAnimationFrame(paint);
  };
  onProgress.stop = () => {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    latest = null;
  };
  return onProgress;
}

// ---------------------------------------------------------------- step 5: results

/**
 * The output columns whose cells the previews mask: the phone column, and any other
 * kept column the profile found phone numbers in. Output columns are the kept columns in
 * the policy's order, the phone column first if it was not among them (src/scrub.rs);
 * the columns the engine adds after them (line, reasons, scrub_status) are not masked.
 * @param {Policy} policy
 * @param {import('./phonescrub.js').ColumnProfile[]} columns
 * @returns {Set<number>}
 */
function maskedOutputColumns(policy, columns) {
  const phone = columnIndex(policy.phoneColumn, columns);
  const kept = policy.keepColumns ? policy.keepColumns.map((ref) => columnIndex(ref, columns)) : columns.map((c) => c.index);
  if (!kept.includes(phone)) kept.unshift(phone);
  return new Set(kept.flatMap((index, at) => (index === phone || columns[index]?.role === 'phone' ? [at] : [])));
}

/**
 * @param {File} file
 * @param {File[]} optOuts
 * @param {import('./phonescrub.js').ScrubResult} result
 * @param {Set<number>} masked  output columns whose cells the previews mask
 * @param {boolean} sealed  the cleaned and removed files are age-encrypted
 */
function renderResults(file, optOuts, { cleaned, removed, report }, masked, sealed) {
  for (const url of state.urls) URL.revokeObjectURL(url);
  state.urls = [];
  const flag = report.policy.mode === 'flag';

  /** @type {Array<[string, number, string]>} */
  const totals = [
    ['Rows read', report.rowsRead, ''],
    [flag ? 'Rows in the cleaned file' : 'Kept', report.rowsKept, 'good'],
    [flag ? 'Flagged' : 'Removed', flag ? report.rowsFlagged : report.rowsRemoved, 'bad'],
    ['Distinct numbers kept', report.distinctNumbers, ''],
  ];
  el.totals.replaceChildren(
    ...totals.map(([label, n, tone]) =>
      h('div', { class: `total ${tone}` }, [h('span', { class: 'total-n' }, n.toLocaleString()), h('span', { class: 'total-label' }, label)]),
    ),
  );
  if (report.invalidKept > 0) {
    el.totals.append(h('p', { class: 'hint wide' }, `${report.invalidKept.toLocaleString()} kept ${plural(report.invalidKept, 'row has', 'rows have')} a missing or invalid number, as you asked.`));
  }

  el.chartCaption.textContent = flag
    ? 'Flagged rows by reason (a row can have several reasons)'
    : 'Removed rows by reason (a row can have several reasons)';
  el.chart.replaceChildren(reasonChart(report.reasons));

  const base = file.name.replace(/\.[^.]+$/, '') || 'list';
  const reportJson = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
  const receipt = new Blob([receiptHtml(file, optOuts, report)], { type: 'text/html' });
  const age = sealed ? '.age' : '';
  const encrypted = sealed ? ' (encrypted)' : '';
  /** @type {Array<[string, Blob, string, string]>} */
  const files = [
    [`Download cleaned CSV${encrypted}`, cleaned, `${base}-cleaned.csv${age}`, `${report.rowsKept.toLocaleString()} rows`],
    [`Download removed rows CSV${encrypted}`, removed, `${base}-removed.csv${age}`, `${report.rowsRemoved.toLocaleString()} rows, with line and reasons`],
    ['Download report JSON', reportJson, `${base}-report.json`, 'counts, policy and input checksum'],
    ['Download printable receipt', receipt, `${base}-receipt.html`, 'for your records: open and print'],
  ];
  el.downloads.replaceChildren(
    ...files.map(([label, blob, name, note]) => {
      const url = URL.createObjectURL(blob);
      state.urls.push(url);
      return h('li', {}, [
        h('a', { href: url, download: name, class: 'download' }, [
          h('span', { class: 'download-label' }, label),
          h('span', { class: 'download-meta' }, `${name} · ${formatBytes(blob.size)} · ${note}`),
        ]),
      ]);
    }),
  );

  if (sealed) {
    // The page keeps no clear copy of an encrypted output, so there is nothing to preview.
    for (const target of [el.previewCleaned, el.previewRemoved]) {
      target.replaceChildren(h('p', { class: 'hint' }, 'Encrypted: no preview. Open the downloaded .age file with age -d or rage -d.'));
    }
  } else if (report.policy.output.format !== 'xlsx') {
    renderPreview(el.previewCleaned, cleaned, 'The cleaned list is empty.', masked);
    renderPreview(el.previewRemoved, removed, 'Nothing was removed.', masked);
  }
  if (report.policy.output.format === 'xlsx') showWorkbookDownloads();
  el.stepResults.hidden = false;
  el.resultsHeading.focus();
  el.stepResults.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

/**
 * .xlsx outputs: name the cleaned and removed downloads for what they are, and say why
 * there is no preview (the previews read CSV).
 */
function showWorkbookDownloads() {
  for (const link of el.downloads.querySelectorAll('a[download]')) {
    const a = /** @type {HTMLAnchorElement} */ (link);
    if (!/-(cleaned|removed)\.csv/.test(a.download)) continue;
    a.download = a.download.replace(/\.csv(?=\.age$|$)/, '.xlsx');
    for (const span of a.querySelectorAll('span')) {
      span.textContent = (span.textContent ?? '').replace(/\bCSV\b/, 'Excel workbook').replace(/\.csv\b/, '.xlsx');
    }
  }
  // Encrypted outputs already say why there is no preview (and how to decrypt).
  if (el.downloads.querySelector('a[download$=".age"]')) return;
  for (const target of [el.previewCleaned, el.previewRemoved]) {
    target.replaceChildren(h('p', { class: 'hint' }, 'Excel workbook: no preview here. Open the download in Excel or LibreOffice.'));
  }
}

/**
 * A horizontal bar chart of rows per reason, drawn as SVG.
 * @param {Record<string, number>} reasons
 * @returns {Element}
 */
function reasonChart(reasons) {
  const rows = Object.entries(reasons)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return h('p', { class: 'hint' }, 'No row failed a rule.');
  const max = Math.max(...rows.map(([, n]) => n));
  const labelWidth = 230;
  const barMax = 330;
  const rowHeight = 34;
  const width = labelWidth + barMax + 90;
  const height = rows.length * rowHeight + 8;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'bars',
    role: 'img',
    'aria-label': rows.map(([code, n]) => `${REASONS[/** @type {keyof typeof REASONS} */ (code)] ?? code}: ${n}`).join('; '),
  });
  rows.forEach(([code, n], i) => {
    const y = i * rowHeight + 4;
    const w = Math.max(3, Math.round((n / max) * barMax));
    const g = s('g', { class: `bar reason-${code}` });
    g.append(
      s('text', { x: labelWidth - 12, y: y + rowHeight / 2, class: 'bar-label', 'text-anchor': 'end', 'dominant-baseline': 'central' },
        REASONS[/** @type {keyof typeof REASONS} */ (code)] ?? code),
      s('rect', { x: labelWidth, y: y + 5, width: w, height: rowHeight - 10, rx: 4, class: 'bar-rect' }),
      s('text', { x: labelWidth + w + 8, y: y + rowHeight / 2, class: 'bar-value', 'dominant-baseline': 'central' }, n.toLocaleString()),
    );
    const title = s('title', {}, `${code}: ${n.toLocaleString()} ${plural(n, 'row')}`);
    g.prepend(title);
    svg.append(g);
  });
  return svg;
}

/**
 * Shows the first rows of an output, phone numbers masked (the files keep them whole).
 * Display only: this reads the start of the engine's own output (RFC 4180,
 * comma-separated); the page never parses the user's input.
 * @param {HTMLElement} target
 * @param {Blob} blob
 * @param {string} emptyText
 * @param {Set<number>} masked  columns whose cells are masked
 */
async function renderPreview(target, blob, emptyText, masked) {
  const text = await blob.slice(0, 64 * 1024).text();
  const rows = parseCsvStart(text.replace(/^\ufeff/, ''), 11);
  if (rows.length <= 1) {
    target.replaceChildren(h('p', { class: 'hint' }, emptyText));
    return;
  }
  const [header, ...body] = rows;
  target.replaceChildren(
    h('table', { class: 'preview' }, [
      h('thead', {}, [h('tr', {}, header.map((cell) => h('th', { scope: 'col' }, cell)))]),
      h('tbody', {}, body.map((row) => h('tr', {}, row.map((cell, i) => h('td', {}, masked.has(i) ? maskNumber(cell) : cell))))),
    ]),
  );
}

/**
 * The first `limit` complete records of CSV text.
 * @param {string} text
 * @param {number} limit
 * @returns {string[][]}
 */
function parseCsvStart(text, limit) {
  /** @type {string[][]} */
  const rows = [];
  /** @type {string[]} */
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

/**
 * The printable audit receipt: a standalone HTML file (its own strict policy, no script).
 * @param {File} file
 * @param {File[]} optOuts
 * @param {Report} report
 */
function receiptHtml(file, optOuts, report) {
  const e = escapeHtml;
  const now = new Date();
  const row = (/** @type {string} */ k, /** @type {string | number} */ v) => `<tr><th scope="row">${e(k)}</th><td>${e(String(v))}</td></tr>`;
  const n = (/** @type {number} */ x) => x.toLocaleString('en');
  const reasonRows = Object.entries(report.reasons)
    .map(([code, count]) => `<tr><th scope="row"><code>${e(code)}</code></th><td>${e(REASONS[/** @type {keyof typeof REASONS} */ (code)] ?? '')}</td><td class="n">${n(count)}</td></tr>`)
    .join('');
  const consentRows = report.consentValues
    .map((c) => `<tr><td>${e(c.value || '(empty)')}</td><td>${c.granted ? 'consent' : 'no consent'}</td><td class="n">${n(c.rows)}</td></tr>`)
    .join('');
  const optOutRows = report.optOutLists
    .map((l) => `<tr><td>${e(l.name)}</td><td class="n">${n(l.numbers)}</td><td class="n">${n(l.rowsMatched)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Scrub receipt: ${e(file.name)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;max-width:52rem;margin:2rem auto;padding:0 1.25rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.75rem 0 .5rem;border-bottom:1px solid #d5dae0;padding-bottom:.25rem}
.sub{color:#4a5565;margin:0 0 1.5rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem .3rem 0;border-bottom:1px solid #eceff2;vertical-align:top}
th{font-weight:600;width:34%}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code,pre,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
.hash{word-break:break-all}pre{background:#f4f6f8;padding:.75rem;border-radius:6px;white-space:pre-wrap;word-break:break-word}
.totals{display:flex;gap:2rem;margin:1rem 0}.totals div{font-size:.9rem;color:#4a5565}.totals b{display:block;font-size:1.6rem;color:#1c2430}
footer{margin-top:2rem;color:#4a5565;font-size:.85rem}@media print{body{margin:0}h2{break-after:avoid}}
</style></head><body>
<h1>Scrub receipt</h1>
<p class="sub">${e(file.name)} · scrubbed ${e(now.toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short' }))} · phonescrub engine ${e(report.engineVersion)}</p>
<div class="totals"><div><b>${n(report.rowsRead)}</b>rows read</div><div><b>${n(report.rowsKept)}</b>kept</div><div><b>${n(report.rowsRemoved)}</b>removed</div>${
    report.policy.mode === 'flag' ? `<div><b>${n(report.rowsFlagged)}</b>flagged</div>` : ''
  }</div>
<h2>Input</h2>
<table>${row('File', file.name)}${row('Size', `${n(report.inputBytes)} bytes`)}<tr><th scope="row">SHA-256</th><td class="hash">${e(report.inputSha256)}</td></tr>${row('Encoding', report.encoding)}${row(
    'Separator',
    report.delimiter === '\t' ? 'tab' : report.delimiter,
  )}${row('Columns kept', report.columnsKept.join(', '))}${row('Columns left out', report.columnsDropped.join(', ') || 'none')}</table>
<h2>Counts</h2>
<table>${row('Rows read', n(report.rowsRead))}${row('Rows kept', n(report.rowsKept))}${row('Rows removed', n(report.rowsRemoved))}${row('Rows flagged', n(report.rowsFlagged))}${row(
    'Kept with missing or invalid number',
    n(report.invalidKept),
  )}${row('Distinct numbers kept', n(report.distinctNumbers))}</table>
<h2>Rows per reason</h2>
<p>A row can have several reasons.</p>
<table><thead><tr><th scope="col">Code</th><th scope="col">Meaning</th><th scope="col" class="n">Rows</th></tr></thead><tbody>${reasonRows}</tbody></table>
${consentRows ? `<h2>Consent values found</h2><table><thead><tr><th scope="col">Value</th><th scope="col">Read as</th><th scope="col" class="n">Rows</th></tr></thead><tbody>${consentRows}</tbody></table>${report.consentOtherValuesRows ? `<p>${n(report.consentOtherValuesRows)} more rows held other values (read as no consent).</p>` : ''}` : ''}
${optOutRows ? `<h2>Opt-out lists</h2><table><thead><tr><th scope="col">List</th><th scope="col" class="n">Numbers</th><th scope="col" class="n">Rows matched</th></tr></thead><tbody>${optOutRows}</tbody></table>` : ''}
<h2>Policy</h2>
<p>Ages measured against ${e(report.today)}. Every default filled in:</p>
<pre>${e(JSON.stringify(report.policy, null, 2))}</pre>
<footer>Made in the browser by phonescrub. The list was processed on this computer and not uploaded. Scrub time ${e(formatDuration(report.elapsedMs / 1000))}.${
    optOuts.length ? ` Opt-out files: ${e(optOuts.map((f) => f.name).join(', '))}.` : ''
  }</footer>
</body></html>
`;
}

function startOver() {
  state.run?.abort();
  state.generation++;
  state.file = null;
  state.profile = null;
  for (const url of state.urls) URL.revokeObjectURL(url);
  state.urls = [];
  el.listInput.value = '';
  el.listStatus.hidden = true;
  showError(el.fileError, null);
  for (const section of [el.stepReview, el.stepRules, el.stepRun, el.stepResults]) section.hidden = true;
  $('step-file').focus();
  window.scrollTo({ top: 0, behavior: 'smooth' });
  announce('Ready for another list. Opt-out lists and rules are kept.');
}

// ---------------------------------------------------------------- helpers

/**
 * Creates an HTML element. Text is always set as text, never as markup: cells come from
 * the user's file.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {string | Node | Array<string | Node>} [children]
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'checked' || key === 'disabled') /** @type {any} */ (node)[key] = Boolean(value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, String(value));
  }
  node.append(...(Array.isArray(children) ? children : [children]));
  return node;
}

/**
 * Creates an SVG element.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
function s(tag, attrs = {}, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {HTMLElement} box
 * @param {string[] | null} lines  null hides the box
 */
function showError(box, lines) {
  box.hidden = !lines;
  box.replaceChildren(...(lines ?? []).map((line, i) => h(i === 0 ? 'strong' : 'p', {}, line)));
}

/** A polite announcement for screen readers (and the sighted: it is the status line). */
const announcer = (() => {
  const node = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  document.body.append(node);
  return node;
})();

/** @param {string} text */
function announce(text) {
  announcer.textContent = '';
  // A fresh text node in a later task, so that repeating a message is announced again.
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

/** @param {string} text */
function setStatus(text) {
  el.runStatus.textContent = text;
}

/** @param {string} value */
function consentKey(value) {
  return value.replace(/\s+/g, '').toLowerCase();
}

/** @param {Profile} profile */
function rowsPhrase(profile) {
  if (profile.estimatedRows == null) return 'row count unknown';
  const n = profile.estimatedRows.toLocaleString();
  return profile.complete ? `${n} ${plural(profile.estimatedRows, 'row')}` : `about ${n} rows`;
}

/**
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
function plural(n, one, many = `${one}s`) {
  return n === 1 ? one : many;
}

/** Capital first letter and a full stop. @param {string} text */
function sentence(text) {
  const t = text.trim();
  if (!t) return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
}

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} ${plural(bytes, 'byte')}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toLocaleString(undefined, { maximumFractionDigits: value < 10 ? 1 : 0 })} ${units[unit]}`;
}

/** @param {number} seconds */
function formatDuration(seconds) {
  if (seconds < 1) return 'less than a second';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const sec = Math.round(seconds % 60);
  return sec ? `${m} min ${sec} s` : `${m} min`;
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
