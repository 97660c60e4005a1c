// The JS peer: what a web developer would build with papaparse + libphonenumber-js/max,
// doing the same scrub as phonescrub under benches/policy.json, streaming, in a worker:
// normalise + validate (E.164), consent (values and age), opt-out (the list and numbers
// another row refuses, found by a first pass as phonescrub does), retention, dedupe, and
// the cleaned and removed CSVs written formula-safe. Rows whose id is a multiple of
// SAMPLE_EVERY are returned so benches/run.mjs can check it agrees with phonescrub.
/* global Papa, libphonenumber */
importScripts('/node_modules/papaparse/papaparse.min.js', '/node_modules/libphonenumber-js/bundle/libphonenumber-max.js');

const SAMPLE_EVERY = 1000;
const CHUNK = 1 << 20;
const DEFAULT_GRANTED = ['yes', 'y', 'true', 't', '1', 'x', 'opt-in', 'optin', 'opt in', 'opted in', 'opted-in', 'granted', 'consent',
  'consented', 'subscribed', 'agreed', 'accepted', 'ja', 'oui', 'si', 'sí'];
const DAY = 86400000;

const key = (s) => s.replace(/\s+/g, '').toLowerCase();

/** Missing (no digit), invalid, or the E.164 string. */
function normalise(raw, region) {
  let cell = raw.trim();
  if (cell.startsWith("'")) cell = cell.slice(1);
  if (!/[0-9０-９]/.test(cell)) return { missing: true };
  if (!region && !cell.startsWith('+')) return { invalid: true };
  const number = libphonenumber.parsePhoneNumberFromString(cell, region);
  if (!number || !number.isValid()) return { invalid: true };
  return { e164: number.number };
}

function regionOf(cell, fallback) {
  const code = cell.trim().toUpperCase();
  return code.length === 2 && libphonenumber.isSupportedCountry(code) ? code : fallback;
}

function parseDate(cell) {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})/.exec(cell) ?? null;
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3]);
  const s = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})\s*$/.exec(cell);
  if (!s) return null;
  const year = s[3].length === 2 ? (+s[3] < 70 ? 2000 + +s[3] : 1900 + +s[3]) : +s[3];
  return Date.UTC(year, +s[2] - 1, +s[1]); // dmy: the policy's default region is GB
}

// OWASP CSV injection, with phonescrub's exception for plain E.164.
function safe(cell) {
  return /^[ \u00a0\u3000]*[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/.test(cell) && !/^\+\d{1,15}$/.test(cell) ? `'${cell}` : cell;
}

/** Streams a File through papaparse, `onRows(rows)` per chunk of parsed rows. */
function stream(file, onRows) {
  return new Promise((resolve, reject) => {
    Papa.parse(file, {
      chunkSize: CHUNK,
      skipEmptyLines: true,
      chunk: (results) => onRows(results.data),
      complete: resolve,
      error: reject,
    });
  });
}

async function scrub({ file, optOut, policy }) {
  const fallback = policy.defaultRegion;
  const granted = new Set((policy.consent?.granted ?? DEFAULT_GRANTED).map(key));
  const today = Date.parse(`${policy.today}T00:00:00Z`);
  const keepNames = policy.keepColumns;

  const optedOut = new Set();
  await stream(optOut, (rows) => {
    for (const row of rows) for (const cell of row) {
      const n = cell ? normalise(cell, fallback) : null;
      if (n?.e164) optedOut.add(n.e164);
    }
  });

  let header = null;
  let col = null;
  const columns = (row) => {
    const find = (name) => row.findIndex((h) => h.trim().toLowerCase() === String(name).toLowerCase());
    const c = {
      phone: find(policy.phoneColumn),
      region: policy.regionColumn ? find(policy.regionColumn) : -1,
      consent: find(policy.consent.column),
      consentDate: policy.consent.dateColumn ? find(policy.consent.dateColumn) : -1,
      retention: find(policy.retention.column),
      keep: keepNames.map(find),
    };
    return c;
  };

  // Pass 1: numbers some row refuses.
  const refusals = new Map();
  await stream(file, (rows) => {
    for (const row of rows) {
      if (!header) {
        header = row;
        col = columns(row);
        continue;
      }
      if (row.length !== header.length || granted.has(key(row[col.consent]))) continue;
      const region = col.region >= 0 ? regionOf(row[col.region], fallback) : fallback;
      const n = normalise(row[col.phone], region);
      if (n.e164) refusals.set(n.e164, (refusals.get(n.e164) ?? 0) + 1);
    }
  });

  // Pass 2: decide and write.
  const cleanedParts = [];
  const removedParts = [];
  const kept = new Set();
  const counts = {};
  const count = (r) => (counts[r] = (counts[r] ?? 0) + 1);
  const sample = [];
  let rowsRead = 0;
  let rowsKept = 0;
  let line = 1;
  header = null;
  const unparse = (rows) => Papa.unparse(rows, { quotes: true, newline: '\n' }) + '\n';
  await stream(file, (rows) => {
    const cleaned = [];
    const removed = [];
    for (const row of rows) {
      if (!header) {
        header = row;
        cleaned.push(col.keep.map((i) => header[i]));
        removed.push([...col.keep.map((i) => header[i]), 'line', 'reasons']);
        continue;
      }
      rowsRead++;
      line++;
      const reasons = [];
      let e164 = null;
      if (row.length !== header.length) {
        reasons.push('malformed_row');
      } else {
        const region = col.region >= 0 ? regionOf(row[col.region], fallback) : fallback;
        const n = normalise(row[col.phone], region);
        if (n.missing) reasons.push('missing_number');
        else if (n.invalid) reasons.push('invalid_number');
        else e164 = n.e164;
        const refuses = !granted.has(key(row[col.consent]));
        if (refuses) reasons.push('no_consent');
        if (policy.consent.maxAgeDays != null) {
          const d = col.consentDate >= 0 ? parseDate(row[col.consentDate]) : null;
          if (d === null || (today - d) / DAY > policy.consent.maxAgeDays) reasons.push('consent_expired');
        }
        if (e164 && (optedOut.has(e164) || (refusals.get(e164) ?? 0) > (refuses ? 1 : 0))) reasons.push('opted_out');
        const last = parseDate(row[col.retention]);
        if (last === null || (today - last) / DAY > policy.retention.maxAgeDays) reasons.push('retention_expired');
        if (e164) {
          if (kept.has(e164)) reasons.push('duplicate');
          else if (reasons.length === 0) kept.add(e164);
        }
      }
      for (const r of reasons) count(r);
      const out = col.keep.map((i) => safe(i === col.phone && e164 ? e164 : (row[i] ?? '')));
      if (reasons.length === 0) {
        rowsKept++;
        cleaned.push(out);
      } else {
        removed.push([...out, String(line), reasons.join(';')]);
      }
      if (Number(row[0]) % SAMPLE_EVERY === 0) sample.push({ id: row[0], kept: reasons.length === 0, phone: out[col.keep.indexOf(col.phone)], reasons: reasons.join(';') });
    }
    if (cleaned.length) cleanedParts.push(unparse(cleaned));
    if (removed.length) removedParts.push(unparse(removed));
  });
  const cleaned = new Blob(cleanedParts, { type: 'text/csv' });
  const removed = new Blob(removedParts, { type: 'text/csv' });
  return {
    report: { rowsRead, rowsKept, rowsRemoved: rowsRead - rowsKept, reasons: counts, distinctNumbers: kept.size },
    cleanedBytes: cleaned.size,
    removedBytes: removed.size,
    sample,
  };
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      // Ready means the metadata has been used once, as for the engine.
      normalise('+441212941091', 'GB');
      self.postMessage({ ok: true });
    } else {
      self.postMessage(await scrub(data));
    }
  } catch (err) {
    self.postMessage({ error: String(err?.stack ?? err) });
  }
};
