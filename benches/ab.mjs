#!/usr/bin/env node
// Two (or more) builds of the core engine side by side, alternated, in one run: the way to
// read a change of a few percent on a VM whose speed moves by more than that from one
// minute to the next. Figures only: nothing here passes or fails on time.
//
//   node benches/ab.mjs [--rows N] [--runs N] [--tab N] DIR_A DIR_B [DIR_C ...]
//
// Each DIR is a wasm-pack `--target web` output of the core engine (phonescrub.js and
// phonescrub_bg.wasm), e.g. `www/pkg` copied aside, or an older commit's built in a git
// worktree (README, "Speed").
//
// Default (Node): every build is loaded into this one process and scrubs the first N rows
// (default 300,000) of the bench list row by row (`scrub`, the input's SHA-256 in wasm),
// under benches/policy.json with the bench's opt-out list; the builds take turns, --runs
// times each (default 8). The first scrub of each build is left out of the median (V8
// optimises the code as it runs).
//
// --tab N: N rounds in headless Chromium instead, through the real page path (the bench
// page, benches/browser/, as `make bench`'s "wasm": part workers and merge) on the whole
// 1,000,000-row list; each round copies the next build into www/pkg and scrubs once on a
// fresh page. www/pkg is put back as it was at the end.
//
// Both modes check that every build kept the same rows.

import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const [, value] = args.splice(at, 2);
  return Number(value);
};
const rows = option('rows', 300000);
const runs = option('runs', 8);
const tab = option('tab', 0);
const dirs = args.map((d) => path.resolve(d));
if (dirs.length < 2) {
  console.error('usage: node benches/ab.mjs [--rows N] [--runs N] [--tab N] DIR_A DIR_B [DIR_C ...]');
  process.exit(2);
}
const LIST = path.join(ROOT, 'target/bench/list-1000000.csv');
const OPTOUT = path.join(ROOT, 'target/bench/optout-1000000.txt');
if (!existsSync(LIST)) {
  console.error(`${LIST} is missing: run make bench once (it generates the list)`);
  process.exit(2);
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const times = dirs.map(() => []);
const kept = dirs.map(() => new Set());

if (tab) {
  const { chromium } = await import('playwright-core');
  const { startServer } = await import(pathToFileURL(path.join(ROOT, 'scripts/serve.mjs')).href);
  const pkg = path.join(ROOT, 'www/pkg');
  const saved = mkdtempSync(path.join(tmpdir(), 'phonescrub-ab-'));
  renameSync(pkg, path.join(saved, 'pkg'));
  // Put www/pkg back on Ctrl-C too (the finally below covers errors).
  const restore = () => {
    rmSync(pkg, { recursive: true, force: true });
    renameSync(path.join(saved, 'pkg'), pkg);
    rmSync(saved, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    restore();
    process.exit(130);
  });
  const server = await startServer({ root: ROOT, port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
  });
  try {
    for (let round = 0; round < tab; round++) {
      for (const [k, dir] of dirs.entries()) {
        rmSync(pkg, { recursive: true, force: true });
        cpSync(dir, pkg, { recursive: true });
        const page = await browser.newPage(); // a fresh context: nothing cached
        await page.goto(`${server.url}benches/browser/index.html?engine=wasm`);
        const ready = await page.evaluate(() => window.benchReady);
        if (ready.error) throw new Error(`${dir}: ${ready.error}`);
        await page.locator('#list').setInputFiles(LIST);
        await page.locator('#optout').setInputFiles(OPTOUT);
        const load = loadavg()[0];
        const run = await page.evaluate(() => window.runBench());
        if (run.error) throw new Error(`${dir}: ${run.error}`);
        times[k].push(run.ms);
        kept[k].add(run.report.rowsKept);
        console.log(`round ${round + 1} ${dir}: ${(run.ms / 1000).toFixed(2)} s (load ${load.toFixed(2)})`);
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
    restore();
  }
  console.log(`\n1,000,000 rows in headless Chromium (part workers + merge), ${tab} alternated rounds:`);
  for (const [k, dir] of dirs.entries()) {
    const s = times[k];
    console.log(`${dir}: median ${(median(s) / 1000).toFixed(2)} s, range ${(Math.min(...s) / 1000).toFixed(2)}-${(Math.max(...s) / 1000).toFixed(2)} s`);
  }
} else {
  // The first `rows` rows of the list, cut at a line end.
  const whole = readFileSync(LIST);
  let end = 0;
  for (let line = 0; line <= rows && end < whole.length; line++) {
    const nl = whole.indexOf(10, end);
    end = nl < 0 ? whole.length : nl + 1;
  }
  const input = new Uint8Array(whole.subarray(0, end));
  const policy = JSON.parse(readFileSync(path.join(ROOT, 'benches/policy.json'), 'utf8'));
  const optOut = new Uint8Array(readFileSync(OPTOUT));
  const engines = [];
  for (const dir of dirs) {
    const glue = await import(pathToFileURL(path.join(dir, 'phonescrub.js')).href);
    await glue.default({ module_or_path: readFileSync(path.join(dir, 'phonescrub_bg.wasm')) });
    engines.push(glue);
  }
  for (let run = 0; run < runs; run++) {
    for (const [k, glue] of engines.entries()) {
      const started = performance.now();
      const report = glue.scrub(input, policy, [{ name: 'opt-out', data: optOut }], { cleaned() {}, removed() {}, progress() {} }, { today: policy.today });
      times[k].push(performance.now() - started);
      kept[k].add(report.rowsKept);
    }
  }
  const mb = input.length / 1e6;
  console.log(`${rows.toLocaleString('en')} rows (${mb.toFixed(1)} MB), one engine row by row in Node ${process.version}, ${runs} alternated runs each (the first left out of the median):`);
  for (const [k, dir] of dirs.entries()) {
    const s = times[k].slice(1);
    const m = median(s);
    console.log(`${dir}: median ${m.toFixed(0)} ms (${Math.round(rows / (m / 1000)).toLocaleString('en')} rows/s, ${(mb / (m / 1000)).toFixed(1)} MB/s), range ${Math.min(...s).toFixed(0)}-${Math.max(...s).toFixed(0)} ms; all: ${times[k].map((t) => t.toFixed(0)).join(' ')}`);
  }
}
const counts = kept.map((s) => [...s].join('/'));
console.log(counts.every((c) => c === counts[0] && !c.includes('/')) ? `every build kept the same ${counts[0]} rows` : `KEPT ROWS DIFFER: ${counts.join(' vs ')}`);
