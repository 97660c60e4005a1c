#!/usr/bin/env node
// Deterministic generator of messy international contact lists, for benchmarks and
// big-file tests. Zero dependencies; streams, so any size works.
//
//   node benches/gen-list.mjs --rows 1000000 --out target/bench/list-1m.csv [--seed 1]
//   node benches/gen-list.mjs --bytes 1G --out target/bench/list-1g.csv
//   node benches/gen-list.mjs --rows 1000000 --optout target/bench/optout.txt
//
// The list: id, name, email, phone, country, consent, consent_date, last_contact, notes.
// About 20% of rows repeat an earlier number written in another format, about 2% have
// no consent, numbers come from 12 countries in E.164, international, national, 00/011
// and decorated shapes, and a few are invalid or missing. The same seed gives the same
// bytes.

import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const parseSize = (s) => {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(String(s));
  if (!m) throw new Error(`bad size ${s}`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()]);
};
const rowsWanted = args.rows ? Number(args.rows) : Infinity;
const bytesWanted = args.bytes ? parseSize(args.bytes) : Infinity;
if (!args.out || (rowsWanted === Infinity && bytesWanted === Infinity)) {
  console.error('usage: gen-list.mjs (--rows N | --bytes SIZE) --out FILE [--seed N] [--optout FILE]');
  process.exit(2);
}

// mulberry32: small, fast, deterministic.
let state = Number(args.seed ?? 1) >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(rand() * list.length)];
const digits = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 10);
  return s;
};

// Country code, region, national prefix, a national-number maker (valid ranges).
const COUNTRIES = [
  ['44', 'GB', '0', () => '7' + pick(['400', '500', '700', '800', '900']) + digits(6)],
  ['44', 'GB', '0', () => '20' + pick(['7', '8']) + digits(7)],
  ['1', 'US', '1', () => pick(['201', '212', '415', '617', '312']) + pick(['2', '3', '4', '5', '6', '7', '8']) + digits(6)],
  ['49', 'DE', '0', () => '15' + pick(['1', '2', '7']) + digits(8)],
  ['33', 'FR', '0', () => pick(['6', '7']) + digits(8)],
  ['34', 'ES', '', () => '6' + digits(8)],
  ['39', 'IT', '', () => '3' + pick(['2', '3', '4', '9']) + digits(8)],
  ['31', 'NL', '0', () => '6' + digits(8)],
  ['61', 'AU', '0', () => '4' + digits(8)],
  ['91', 'IN', '0', () => pick(['9', '8', '7']) + digits(9)],
  ['55', 'BR', '0', () => pick(['11', '21', '31']) + '9' + digits(8)],
  ['81', 'JP', '0', () => pick(['70', '80', '90']) + digits(8)],
];
const IDD = { GB: '00', US: '011', DE: '00', FR: '00', ES: '00', IT: '00', NL: '00', AU: '0011', IN: '00', BR: '00', JP: '010' };

function shape(cc, region, prefix, national, home) {
  switch (Math.floor(rand() * 8)) {
    case 0: return `+${cc}${national}`;
    case 1: return `+${cc} ${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`;
    case 2: return region === home ? `${prefix}${national}` : `+${cc}-${national}`;
    case 3: return `${IDD[home]} ${cc} ${national}`;
    case 4: return `(+${cc}) ${national.slice(0, 4)}-${national.slice(4)}`;
    case 5: return `tel:+${cc}-${national}`;
    case 6: return `+${cc}.${national.slice(0, 3)}.${national.slice(3)}`;
    default: return region === home ? `${prefix} ${national}` : `00${cc}${national}`;
  }
}

const seen = [];
function row(id) {
  let number;
  const r = rand();
  if (r < 0.2 && seen.length > 0) {
    number = seen[Math.floor(rand() * seen.length)];
  } else {
    const [cc, region, prefix, make] = pick(COUNTRIES);
    number = [cc, region, prefix, make()];
    if (seen.length < 200000) seen.push(number);
    else seen[Math.floor(rand() * seen.length)] = number;
  }
  const [cc, region, prefix, national] = number;
  const home = rand() < 0.6 ? region : 'GB';
  let phone = shape(cc, region, prefix, national, home);
  const q = rand();
  if (q < 0.01) phone = '';
  else if (q < 0.02) phone = national.slice(0, 4);
  const consent = rand() < 0.02 ? pick(['no', 'N', 'opted out']) : pick(['yes', 'Yes', 'Y', 'opt-in', 'true', '1']);
  const y = 2020 + Math.floor(rand() * 6);
  const m = String(1 + Math.floor(rand() * 12)).padStart(2, '0');
  const d = String(1 + Math.floor(rand() * 28)).padStart(2, '0');
  const last = `${2022 + Math.floor(rand() * 4)}-${m}-${d}`;
  const name = `${pick(['Ann', 'Bob', 'Chloé', 'Dev', 'Eun-ji', 'Femi', 'Gus', 'Hana'])} ${pick(['Smith', 'Müller', 'García', 'Rossi', 'Khan', 'Sato'])}`;
  const notes = rand() < 0.1 ? '"called, said ""later"", follow up"' : '';
  return `${id},${name},user${id}@example.com,${phone},${home},${consent},${y}-${m}-${d},${last},${notes}\n`;
}

mkdirSync(dirname(args.out), { recursive: true });
const out = createWriteStream(args.out);
const optout = args.optout ? createWriteStream(args.optout) : null;
out.write('id,name,email,phone,country,consent,consent_date,last_contact,notes\n');
let rows = 0;
let bytes = 0;
let chunk = '';
const started = Date.now();
while (rows < rowsWanted && bytes < bytesWanted) {
  const line = row(rows + 1);
  chunk += line;
  bytes += Buffer.byteLength(line);
  rows++;
  if (optout && rand() < 0.02) {
    const [cc, , , national] = seen[Math.floor(rand() * seen.length)];
    optout.write(`+${cc}${national}\n`);
  }
  if (chunk.length > 1 << 20) {
    if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
    chunk = '';
  }
}
out.end(chunk);
optout?.end();
await new Promise((resolve) => out.on('finish', resolve));
console.error(`gen-list: ${rows} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB -> ${args.out} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
