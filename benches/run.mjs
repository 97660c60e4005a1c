#!/usr/bin/env node
// The benchmark behind `make bench`: one generated list, scrubbed under benches/policy.json
// with one opt-out list by
//   - the native engine (target/release/phonescrub scrub, under /usr/bin/time -v),
//   - the wasm engine in headless Chromium through the real worker path (www/phonescrub.js
//     -> www/worker.js; the page is benches/browser/),
//   - the JS peer (papaparse + libphonenumber-js/max, benches/browser/peer-worker.js) in a
//     worker of the same Chromium,
//   - the Python peer (the csv module + phonenumbers 9.0.33, benches/peer.py) in a venv
//     under target/bench/ (made on first use; pip needs the package registry),
// then prints a side-by-side table and checks that the peer agrees with phonescrub.
// Each browser engine scrubs twice, on fresh pages: a timed run, then a run with the
// memory of Chromium's process tree sampled (sampling slows what it measures). The wasm
// engine is also timed on a return visit: a persistent profile that scrubbed the list
// once before, as a user's browser keeps (compiled code cached); and as the page is
// used, the list looked at for 2 s (--pause MS) after its profile before the scrub.
// Figures only: nothing here passes or fails on time.
//
//   node benches/run.mjs [--rows N | --bytes SIZE] [--only native,wasm,peer] [--keep] [--loads N]
//                        [--repeat N] [--peer-repeat N] [--no-warm-wait] [--pause MS]
//
// --repeat N (default 3): each wasm engine's scrub is timed N times, each on a fresh page,
// and the table shows the median (all N are printed below it); --peer-repeat N (default 1)
// the same for the JS peer.
//
// --loads N (default 7): the ready time is the median of N page loads in a fresh browser
// context (nothing cached: a first visit) and of N reloads (a returning visit), each
// measured from navigation start and from the page's load event.
//
// The wasm engine warms up once loaded (src/warm.rs): each page waits for that to end
// before it is given the list, as a user who takes a second to pick a file would; its end
// is printed with the ready times. --no-warm-wait gives the list as soon as the engine is
// ready (the warm-up then stops where it is when the list's parts start).
//
// --keep keeps the native outputs in target/bench/native/; PHONESCRUB_BIN=path runs another
// CLI build (an older commit's, say) as the native engine.
//
// The list (and its opt-out list) is generated once per size into target/bench/ and reused.

import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = path.join(ROOT, 'target/bench');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'];

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]?.startsWith('--') ? 'true' : (all[i + 1] ?? 'true')]] : pairs), []),
);
const only = new Set((args.only ?? 'native1,native,wasm1,wasm,peer,python').split(','));
const size = args.bytes ? { flag: '--bytes', value: args.bytes } : { flag: '--rows', value: args.rows ?? '1000000' };
const MB = 1e6;
const MiB = 1 << 20;

const log = (...m) => console.error('bench:', ...m);

// ---------------------------------------------------------------------------------------
// The input.
await mkdir(OUT, { recursive: true });
const list = path.join(OUT, `list-${size.value}.csv`);
const optout = path.join(OUT, `optout-${size.value}.txt`);
if (!existsSync(list) || !existsSync(optout)) {
  log(`generating ${size.flag} ${size.value} -> ${list}`);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'benches/gen-list.mjs'), size.flag, size.value, '--out', list, '--optout', optout], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const inputBytes = statSync(list).size;
const policyPath = path.join(ROOT, 'benches/policy.json');

/** @type {Record<string, any>} */
const results = {};

// ---------------------------------------------------------------------------------------
// Native: the CLI under /usr/bin/time -v (wall time and peak RSS).
async function native(threads) {
  const bin = process.env.PHONESCRUB_BIN ?? path.join(ROOT, 'target/release/phonescrub');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: cargo build --release`);
  const dir = path.join(OUT, threads === 1 ? 'native1' : 'native');
  await mkdir(dir, { recursive: true });
  const files = { cleaned: path.join(dir, 'cleaned.csv'), removed: path.join(dir, 'removed.csv'), report: path.join(dir, 'report.json') };
  const loadBefore = loadavg()[0];
  const r = spawnSync('/usr/bin/time', ['-v', bin, 'scrub', list, '--policy', policyPath, '--optout', optout,
    '--out', files.cleaned, '--removed', files.removed, '--report', files.report, ...(threads ? ['--threads', String(threads)] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`native scrub failed: ${r.stderr}`);
  const field = (name) => {
    const m = new RegExp(`${name}: (.*)`).exec(r.stderr);
    return m ? m[1].trim() : '';
  };
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').map(Number).reduce((a, b) => a * 60 + b, 0);
  const report = JSON.parse(readFileSync(files.report, 'utf8'));
  return {
    ms: report.elapsedMs,
    wallMs: wall * 1000,
    cpuMs: (Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'))) * 1000,
    peakBytes: Number(field('Maximum resident set size \\(kbytes\\)')) * 1024,
    report,
    files,
    load: [loadBefore, loadavg()[0]],
  };
}

// ---------------------------------------------------------------------------------------
// The Python peer (benches/peer.py): the standard csv module + phonenumbers, pinned, in a
// venv under target/bench/, run under /usr/bin/time -v (peak RSS).
const PHONENUMBERS = 'phonenumbers==9.0.33';

async function pythonPeer() {
  const venv = path.join(OUT, 'py-venv');
  const python = path.join(venv, 'bin/python');
  const stamp = path.join(venv, '.installed');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== PHONENUMBERS) {
    log(`python: creating ${path.relative(ROOT, venv)} with ${PHONENUMBERS} ...`);
    const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
    if (made.status !== 0) return { failed: `no Python venv (python3 -m venv: ${made.stderr.trim().split('\n').at(-1)})`, peakBytes: 0, load: [0, 0] };
    const pip = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', PHONENUMBERS], { encoding: 'utf8' });
    if (pip.status !== 0) return { failed: `pip could not install ${PHONENUMBERS}: ${pip.stderr.trim().split('\n').at(-1)}`, peakBytes: 0, load: [0, 0] };
    writeFileSync(stamp, PHONENUMBERS);
  }
  const dir = path.join(OUT, 'python');
  await mkdir(dir, { recursive: true });
  const loadBefore = loadavg()[0];
  const r = spawnSync('/usr/bin/time', ['-v', python, path.join(ROOT, 'benches/peer.py'), list, optout, policyPath,
    path.join(dir, 'cleaned.csv'), path.join(dir, 'removed.csv')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the Python peer failed: ${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { ms: report.ms, peakBytes: Number(rss?.[1] ?? 0) * 1024, report, load: [loadBefore, loadavg()[0]], dir };
}

// ---------------------------------------------------------------------------------------
// Chromium: memory of the browser's whole process tree, sampled from /proc.
function processTree(rootPid) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const inTree = (pid) => {
    for (let p = pid, depth = 0; p > 1 && depth < 64; p = parent.get(p) ?? 0, depth++) if (p === rootPid) return true;
    return false;
  };
  return [...parent.keys()].filter(inTree);
}

// PSS (proportional set size): pages shared between Chromium's processes are counted once
// in all, where summing each process's RSS would count them once per process.
function treeRss(rootPid) {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += pss ? Number(pss[1]) * 1024 : 0;
    } catch {
      // gone
    }
  }
  return total;
}

function sampler(rootPid) {
  let peak = 0;
  const tick = () => (peak = Math.max(peak, treeRss(rootPid)));
  tick();
  const timer = setInterval(tick, 100);
  return { baseline: peak, stop: () => (clearInterval(timer), tick(), peak) };
}

/** Ready times over repeated page loads: first visits (fresh context) and reloads. */
async function pageLoads(browser, server, engine) {
  const n = Number(args.loads ?? 7);
  const first = [];
  const again = [];
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const [list, load] of [[first, () => page.goto(`${server.url}benches/browser/index.html?engine=${engine}`)], [again, () => page.reload()]]) {
      await load();
      const ready = await page.evaluate(() => window.benchReady);
      if (ready.error) throw new Error(`${engine}: ${ready.error}`);
      const loaded = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
      list.push({ ready: ready.readyMs, compiled: ready.compiledMs, afterLoad: ready.readyMs - loaded, warmed: ready.warmedMs });
    }
    await context.close();
  }
  const median = (list, key) => list.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const summary = (list) => ({ ready: median(list, 'ready'), compiled: median(list, 'compiled'), afterLoad: median(list, 'afterLoad'), warmed: list[0].warmed === undefined ? undefined : median(list, 'warmed'), all: list.map((r) => Math.round(r.ready)) });
  return { n, first: summary(first), again: summary(again) };
}

/**
 * One scrub of the list on a fresh page: timed (`pid` null), or with the Chromium tree's
 * PSS sampled (`pid`: the browser's).
 */
async function pageRun(browser, server, engine, pid) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const ready = await openWithList(page, server, engine);
  const loadBefore = loadavg()[0];
  const mem = pid ? sampler(pid) : null;
  log(`${engine}: scrubbing in Chromium${pid ? ', sampling memory' : ', timed'} ...`);
  const started = Date.now();
  // A tab that runs out of memory crashes: that is a result too, not the end of the run.
  const run = await page.evaluate(() => window.runBench()).catch((err) => ({ error: `the tab crashed: ${err.message}`, crashed: true }));
  const peak = mem?.stop() ?? 0;
  const result = { run, ready, peak, baseline: mem?.baseline ?? 0, load: [loadBefore, loadavg()[0]], ms: Date.now() - started, crashed: Boolean(run.crashed), error: run.error };
  if (run.error && !run.crashed) throw new Error(`${engine}: ${run.error}\n${errors.join('\n')}`);
  if (!run.crashed) await page.close();
  return result;
}

/** Loads the benchmark page for `engine` and gives it the list and the opt-out list: its ready times. */
async function openWithList(page, server, engine, query = '') {
  await page.goto(`${server.url}benches/browser/index.html?engine=${engine}${args['no-warm-wait'] ? '&nowait' : ''}${query}`);
  const ready = await page.evaluate(() => window.benchReady);
  if (ready.error) throw new Error(`${engine}: ${ready.error}`);
  await page.locator('#list').setInputFiles(list);
  await page.locator('#optout').setInputFiles(optout);
  return ready;
}

/**
 * The wasm engine on a return visit: a persistent profile, as a user's browser keeps one
 * (the benchmark's other pages are fresh contexts: nothing cached). A first visit scrubs
 * the list; the second visit's scrub is timed. Between them Chromium keeps the engine's
 * compiled code (the server sends validators, so the revalidated .wasm is a 304). The
 * return visit is timed `--repeat` times (reloads of the same profile); the median is
 * printed, as for the other runs: one return visit took 1.03-1.39 s in three bench runs in
 * a row.
 */
async function returnVisit(server) {
  const dir = await mkdtemp(path.join(tmpdir(), 'phonescrub-bench-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const visit = async () => {
      const ready = await openWithList(page, server, 'wasm');
      const run = await page.evaluate(() => window.runBench());
      if (run.error) throw new Error(`wasm, return visit: ${run.error}`);
      return { ...run, ...ready };
    };
    const times = Math.max(1, Number(args.repeat ?? 3));
    log(`wasm: a first visit in a persistent profile, then ${times} timed return visits ...`);
    const first = await visit();
    const loadBefore = loadavg()[0];
    const runs = [];
    for (let i = 0; i < times; i++) runs.push(await visit());
    const sorted = [...runs].sort((a, b) => a.ms - b.ms);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    return { ...median, timedRuns: runs.map((r) => r.ms), firstVisitMs: first.ms, load: [loadBefore, loadavg()[0]] };
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pause between the profile and the scrub in the wasm engine's "review" runs (`--pause MS`). */
const REVIEW_MS = Number(args.pause ?? 2000);

/**
 * The wasm engine as the page is used: the list profiled, then looked at for REVIEW_MS
 * before the scrub (the page shows the columns and their roles); the engine starts the
 * part workers and the input's SHA-256 at the profile. Timed `--repeat` times on fresh
 * pages (the median is printed).
 */
async function reviewedRuns(browser, server) {
  const times = Math.max(1, Number(args.repeat ?? 3));
  const runs = [];
  for (let i = 0; i < times; i++) {
    const page = await browser.newPage();
    await openWithList(page, server, 'wasm', `&pause=${REVIEW_MS}`);
    log('wasm: profiled, a pause, then a timed scrub ...');
    const run = await page.evaluate(() => window.runBench());
    if (run.error) throw new Error(`wasm, after a pause: ${run.error}`);
    runs.push(run);
    await page.close();
  }
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], timedRuns: runs.map((r) => r.ms) };
}

async function browserRuns(engines) {
  const server = await startServer({ root: ROOT, port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  // The browser is a child of this process (playwright's Browser does not expose it).
  const pid = processTree(process.pid).find((p) => p !== process.pid && /chrom/i.test(readFileSync(`/proc/${p}/comm`, 'utf8')));
  if (!pid) throw new Error('cannot find the Chromium process');
  const out = { loads: {} };
  try {
    for (const engine of engines.filter((e) => e !== 'wasm1')) out.loads[engine] = await pageLoads(browser, server, engine);
    for (const engine of engines) {
      // Two runs on fresh pages: one timed, one for memory. Sampling PSS walks the page
      // tables of every Chromium process (about 65 ms of kernel time a sample here, holding
      // each process's memory-map lock), which on two cores slowed the timed scrub itself.
      // On a shared 2-core machine one scrub can take 40% longer than the next: the wasm
      // engines' timed run is repeated (--repeat, default 3) and the median goes in the
      // table; the peer's (20-40 s each) once unless --peer-repeat says otherwise.
      const times = Math.max(1, Number(engine === 'peer' ? args['peer-repeat'] ?? 1 : args.repeat ?? 3));
      const runs = [];
      for (let i = 0; i < times; i++) {
        const run = await pageRun(browser, server, engine, null);
        runs.push(run);
        if (run.crashed) break;
      }
      const timed = runs.find((r) => r.crashed) ?? [...runs].sort((a, b) => a.run.ms - b.run.ms)[Math.floor((runs.length - 1) / 2)];
      if (timed.crashed) {
        out[engine] = { failed: `${timed.error} after ${(timed.ms / 1000).toFixed(0)} s`, peakBytes: 0, baselineBytes: 0, load: timed.load };
        log(`${engine}: ${out[engine].failed}`);
        continue;
      }
      const memory = await pageRun(browser, server, engine, pid);
      if (memory.crashed) {
        out[engine] = { failed: `the memory run: ${memory.error} after ${(memory.ms / 1000).toFixed(0)} s`, peakBytes: memory.peak, baselineBytes: memory.baseline, load: timed.load };
        log(`${engine}: ${out[engine].failed}`);
        continue;
      }
      out[engine] = { ...timed.run, ...timed.ready, peakBytes: memory.peak, baselineBytes: memory.baseline, memoryRunMs: memory.run.ms, load: timed.load, timedRuns: runs.map((r) => r.run.ms) };
      if (engine === 'wasm') out.wasmReturn = await returnVisit(server);
      if (engine === 'wasm') out.wasmReviewed = await reviewedRuns(browser, server);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Agreement: the peer's sampled rows against the native engine's outputs (the wasm engine's
// counts are checked against the native ones: the same engine must give the same report).
async function sampledNative(files, every) {
  const rows = new Map();
  // policy.json's output is formula-safe, so every field is quoted; the kept columns hold
  // no quote, comma or newline of their own.
  const unquote = (line) => line.slice(1, -1).split('","');
  for (const [file, kept] of [[files.cleaned, true], [files.removed, false]]) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let header = true;
    for await (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      const f = unquote(line);
      if (Number(f[0]) % every === 0) rows.set(f[0], { kept, phone: f[2], reasons: kept ? '' : f[f.length - 1] });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
const machine = `${cpus().length} cores (${cpus()[0]?.model?.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`;
log(`input ${list}: ${(inputBytes / MB).toFixed(1)} MB; ${machine}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (only.has('native1')) {
  log('native, one thread: scrubbing ...');
  results.native1 = await native(1);
}
if (only.has('native')) {
  log('native: scrubbing ...');
  results.native = await native();
}
if (only.has('python')) {
  log('python peer: scrubbing (about 50 s) ...');
  results.python = await pythonPeer();
}
const engines = ['wasm1', 'wasm', 'peer'].filter((e) => only.has(e));
let loads = {};
/** The wasm engine's return visit (see returnVisit). */
let returnRun;
/** The wasm engine's scrubs after a pause on the profile (see reviewedRuns). */
let reviewedRun;
if (engines.length) {
  const runs = await browserRuns(engines);
  loads = runs.loads;
  delete runs.loads;
  returnRun = runs.wasmReturn;
  delete runs.wasmReturn;
  reviewedRun = runs.wasmReviewed;
  delete runs.wasmReviewed;
  Object.assign(results, runs);
}

const wasmFile = path.join(ROOT, 'www/pkg/phonescrub_bg.wasm');
const sizes = {
  wasm: existsSync(wasmFile) ? [statSync(wasmFile).size, gzipSync(readFileSync(wasmFile), { level: 9 }).length] : null,
  get wasm1() { return this.wasm; },
  peer: (() => {
    const files = ['node_modules/papaparse/papaparse.min.js', 'node_modules/libphonenumber-js/bundle/libphonenumber-max.js'].map((f) => readFileSync(path.join(ROOT, f)));
    return [files.reduce((a, b) => a + b.length, 0), files.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0)];
  })(),
};

// ---------------------------------------------------------------------------------------
// The table.
const rowsRead = (r) => r.report.rowsRead;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [];
const header = ['engine', 'time s', 'rows/s', 'MB/s', 'peak memory', 'ready ms', 'code (gzip)', 'x peer rows/s'];
const peerRate = results.peer && !results.peer.failed ? rowsRead(results.peer) / (results.peer.ms / 1000) : null;
const label = {
  native1: 'phonescrub native (CLI), 1 thread',
  native: `phonescrub native (CLI), ${cpus().length} threads`,
  wasm1: 'phonescrub wasm, 1 Chromium worker',
  wasm: `phonescrub wasm, Chromium: ${Math.min(cpus().length, 4)} part workers + merge`,
  peer: 'papaparse + libphonenumber-js/max, Chromium worker',
  python: `Python csv + ${PHONENUMBERS.replace('==', ' ')}, CPython`,
};
for (const name of ['native1', 'native', 'wasm1', 'wasm', 'peer', 'python']) {
  const r = results[name];
  if (!r) continue;
  if (r.failed) {
    lines.push([label[name], 'failed', '', '', name === 'python' ? '' : `${fmt(r.peakBytes / MiB)} MiB PSS tree`, '', '', '']);
    continue;
  }
  const rate = rowsRead(r) / (r.ms / 1000);
  const isNative = name.startsWith('native') || name === 'python';
  const isWasm = name.startsWith('wasm');
  const mem = isNative ? `${fmt(r.peakBytes / MiB)} MiB RSS`
    : `${fmt(r.peakBytes / MiB)} MiB PSS tree${isWasm ? `, wasm ${fmt(r.wasmMemoryBytes / MiB)} MiB${name === 'wasm' ? ' (merge)' : ''}` : ''}`;
  const code = isNative || name === 'python' ? '' : sizes[name] ? `${fmt(sizes[name][0] / 1024)} KiB (${fmt(sizes[name][1] / 1024)})` : '?';
  // The median first visit (see pageLoads; wasm1 loads the same page as wasm).
  const l = loads[name === 'wasm1' ? 'wasm' : name]?.first;
  const ready = isNative ? '' : l ? (isWasm ? `${fmt(l.ready)} (${fmt(l.compiled)} init)` : fmt(l.ready)) : isWasm ? `${fmt(r.readyMs)} (${fmt(r.compiledMs)} init)` : fmt(r.readyMs);
  lines.push([label[name], fmt(r.ms / 1000, 2), fmt(rate), fmt(inputBytes / MB / (r.ms / 1000), 1), mem, ready, code, peerRate ? `${fmt(rate / peerRate, 2)}x` : '']);
}
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const row = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log();
console.log(`make bench: ${fmt(results.native?.report?.rowsRead ?? results.wasm?.report?.rowsRead ?? results.peer?.report?.rowsRead ?? 0)} rows, ${fmt(inputBytes / MB, 1)} MB (${path.relative(ROOT, list)}), policy benches/policy.json, 1 opt-out list`);
console.log(`machine: ${machine}; load average (1 min) before/after each run: ${Object.entries(results).map(([k, r]) => `${k} ${r.load.map((l) => l.toFixed(2)).join('/')}`).join(', ')}`);
console.log();
console.log(row(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const l of lines) console.log(row(l));
if (returnRun) {
  const rate = rowsRead(returnRun) / (returnRun.ms / 1000);
  console.log(`wasm, return visit (a persistent profile that scrubbed the list once before, ${fmt(returnRun.firstVisitMs / 1000, 2)} s): ${fmt(returnRun.ms / 1000, 2)} s (${returnRun.timedRuns.map((ms) => fmt(ms / 1000, 2)).join(', ')}), ${fmt(rate)} rows/s${peerRate ? `, ${fmt(rate / peerRate, 2)}x the peer` : ''}; ready ${fmt(returnRun.readyMs)} ms after navigation start (compiled at ${fmt(returnRun.compiledMs)})`);
}
if (reviewedRun) {
  const rate = rowsRead(reviewedRun) / (reviewedRun.ms / 1000);
  console.log(`wasm, the list looked at for ${REVIEW_MS / 1000} s after its profile, as on the page (the engine starts the part workers and the input's SHA-256 at the profile): ${fmt(reviewedRun.ms / 1000, 2)} s (${reviewedRun.timedRuns.map((ms) => fmt(ms / 1000, 2)).join(', ')}), ${fmt(rate)} rows/s${peerRate ? `, ${fmt(rate / peerRate, 2)}x the peer` : ''}`);
}
console.log();
for (const [name, l] of Object.entries(loads)) {
  const line = (k, v) => `${k} ${fmt(v.ready)} ms after navigation start (compiled at ${fmt(v.compiled)}), ${fmt(v.afterLoad)} ms after the load event [${v.all.join(', ')}]${v.warmed === undefined ? '' : `, warm-up over at ${fmt(v.warmed)}`}`;
  console.log(`${name} ready, median of ${l.n} page loads: ${line('first visit', l.first)}; ${line('reload', l.again)}`);
}
for (const name of ['native1', 'native']) if (results[name]) console.log(`${name}: ${fmt(results[name].wallMs)} ms wall for the whole process (engine ${fmt(results[name].ms)} ms), ${fmt(results[name].cpuMs)} ms CPU`);
for (const name of ['native1', 'native', 'wasm1', 'wasm', 'peer', 'python']) if (results[name]?.failed) console.log(`${name}: ${results[name].failed}`);
if (results.python && !results.python.failed) console.log(`python: ${fmt(results.python.peakBytes / MiB)} MiB peak RSS (the whole process, interpreter included)`);
for (const name of ['wasm1', 'wasm', 'peer']) {
  const r = results[name];
  if (r && !r.failed && r.timedRuns?.length > 1) console.log(`${name}: timed runs ${r.timedRuns.map((ms) => fmt(ms / 1000, 2)).join(', ')} s (the median in the table)`);
  if (r && !r.failed && name.startsWith('wasm')) console.log(`${name}: the list was given ${r.warmSteps < 0 ? 'as soon as the engine was ready (--no-warm-wait)' : `once the engine's warm-up had ended (${r.warmSteps} steps, over ${fmt(r.warmedMs)} ms after navigation start)`}`);
  if (r && !r.failed) console.log(`${name}: Chromium tree PSS ${fmt(r.baselineBytes / MiB)} MiB before the run, peak ${fmt(r.peakBytes / MiB)} MiB (+${fmt((r.peakBytes - r.baselineBytes) / MiB)}); outputs ${fmt(r.cleanedBytes / MB, 1)} MB cleaned + ${fmt(r.removedBytes / MB, 1)} MB removed; the memory was sampled in a second, untimed run (${fmt(r.memoryRunMs / 1000, 2)} s)`);
}

// ---------------------------------------------------------------------------------------
// Agreement.
const counts = (r) => {
  const reasons = Object.entries(r.report.reasons ?? {}).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  return `kept ${r.report.rowsKept}, removed ${r.report.rowsRemoved}; ${reasons.map(([k, n]) => `${k} ${n}`).join(', ')}`;
};
console.log();
for (const name of ['native1', 'native', 'wasm1', 'wasm', 'peer', 'python']) if (results[name] && !results[name].failed) console.log(`${name.padEnd(7)} ${counts(results[name])}`);
// Every engine of ours must give the same report (the time and engine aside).
const same = (a, b) => JSON.stringify({ ...a.report, elapsedMs: 0, benchWasmMemoryBytes: 0 }) === JSON.stringify({ ...b.report, elapsedMs: 0, benchWasmMemoryBytes: 0 });
const ref = results.native1 ?? results.native;
if (returnRun && ref) console.log(`wasm return visit vs ${ref === results.native1 ? 'native1' : 'native'}: ${same(ref, returnRun) ? 'identical reports' : 'REPORTS DIFFER'}`);
if (reviewedRun && ref) console.log(`wasm after a pause vs ${ref === results.native1 ? 'native1' : 'native'}: ${same(ref, reviewedRun) ? 'identical reports' : 'REPORTS DIFFER'}`);
for (const name of ['native', 'wasm1', 'wasm']) {
  const r = results[name];
  if (ref && r && !r.failed && r !== ref) console.log(`${name} vs ${ref === results.native1 ? 'native1' : 'native'}: ${same(ref, r) ? 'identical reports (counts, SHA-256 of the input, consent values, opt-out matches)' : 'REPORTS DIFFER'}`);
}
if (results.native1 && results.native) {
  const files = ['cleaned', 'removed'].map((k) => readFileSync(results.native1.files[k]).equals(readFileSync(results.native.files[k])));
  console.log(`native ${cpus().length} threads vs 1 thread: ${files.every(Boolean) ? 'byte-identical outputs' : 'OUTPUTS DIFFER'}`);
}
if (results.native && results.peer && !results.peer.failed) {
  const ours = await sampledNative(results.native.files, 1000);
  let same = 0;
  const differ = [];
  for (const s of results.peer.sample) {
    const o = ours.get(s.id);
    const agree = o && o.kept === s.kept && o.phone === s.phone && o.reasons === s.reasons;
    if (agree) same++;
    else differ.push(`  id ${s.id}: phonescrub ${o ? `${o.kept ? 'kept' : `removed (${o.reasons})`} ${o.phone}` : 'missing'}; peer ${s.kept ? 'kept' : `removed (${s.reasons})`} ${s.phone}`);
  }
  const n = results.peer.sample.length;
  console.log(`peer vs phonescrub: ${counts(results.native) === counts(results.peer) ? 'identical counts' : 'counts differ'}; ` +
    `sampled rows (every 1000th id): ${same} of ${n} identical (${fmt((100 * same) / Math.max(1, n), 2)}%: kept/removed, phone cell as written, reasons)`);
  for (const d of differ.slice(0, 10)) console.log(d);
}
if (results.python && !results.python.failed && results.native1) {
  const py = results.python;
  const files = ['cleaned', 'removed'].map((k) => readFileSync(path.join(py.dir, `${k}.csv`)).equals(readFileSync(results.native1.files[k])));
  console.log(`python vs native1: ${counts(results.native1) === counts(py) ? 'identical counts' : 'COUNTS DIFFER'}; cleaned ${files[0] ? 'byte-identical' : 'differs'}, removed ${files[1] ? 'byte-identical' : 'differs'}`);
}
if (!args.keep) for (const d of ['native', 'native1', 'python']) rmSync(path.join(OUT, d), { recursive: true, force: true });
