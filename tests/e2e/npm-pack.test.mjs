// The npm package: scripts/pack-npm.mjs packs it; it installs into a fresh project from
// the tarball alone; its exports resolve and its types check there; and a host page that
// serves nothing but the installed package's files (copied to its own origin, under the
// production CSP) scrubs a list with <phone-scrubber> in headless Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setUp, FIXTURES, ROOT } from './helpers.mjs';
import { startServer } from '../../scripts/serve.mjs';

const run = promisify(execFile);
/** npm with no network side trips (no audit, fund or update checks). */
const NPM_ENV = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

/** @type {{tarball: string, size: number, unpackedSize: number, files: string[], version: string}} */
let packed;
/** @type {string} */
let project;

before(async () => {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts/pack-npm.mjs'), '--json'], { cwd: ROOT, timeout: 120_000 });
  packed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  project = await mkdtemp(path.join(tmpdir(), 'phonescrub-npm-'));
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'intranet-portal', private: true, type: 'module' }, null, 2));
  // A local tarball with no dependencies: nothing to fetch (--offline proves it).
  await run('npm', ['install', '--no-audit', '--no-fund', '--offline', packed.tarball], { cwd: project, env: NPM_ENV, timeout: 120_000 });
});

after(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

test('npm pack: the tarball holds the API, element, worker, engine, types, README and LICENSE', async () => {
  const cargo = await readFile(path.join(ROOT, 'Cargo.toml'), 'utf8');
  assert.equal(packed.version, cargo.match(/^version = "([^"]+)"/m)?.[1], 'version from Cargo.toml');
  assert.equal(path.basename(packed.tarball), `phonescrub-${packed.version}.tgz`);
  assert.deepEqual(packed.files, [
    'LICENSE',
    'README.md',
    'mask.js',
    'package.json',
    'phone-scrubber.js',
    'phonescrub.js',
    'pkg-full/phonescrub.d.ts',
    'pkg-full/phonescrub.js',
    'pkg-full/phonescrub_bg.wasm',
    'pkg-full/phonescrub_bg.wasm.d.ts',
    'pkg/phonescrub.d.ts',
    'pkg/phonescrub.js',
    'pkg/phonescrub_bg.wasm',
    'pkg/phonescrub_bg.wasm.d.ts',
    'regions.js',
    'types/phone-scrubber.d.ts',
    'types/phonescrub.d.ts',
    'worker.js',
  ]);
  const installed = path.join(project, 'node_modules/phonescrub');
  const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'phonescrub');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.version, packed.version);
  const readme = await readFile(path.join(installed, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(`^# phonescrub ${packed.version.replaceAll('.', '\\.')}`));
  assert.ok(!readme.includes('{{'), 'the README template is filled in');
  // The shipped files are the checkout's, byte for byte.
  for (const [from, to] of [['www/phonescrub.js', 'phonescrub.js'], ['www/pkg/phonescrub_bg.wasm', 'pkg/phonescrub_bg.wasm']]) {
    assert.ok((await readFile(path.join(ROOT, from))).equals(await readFile(path.join(installed, to))), `${to} as built`);
  }
});

test('the installed package: exports resolve, and an app type-checks against its declarations', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "for (const s of ['phonescrub', 'phonescrub/element', 'phonescrub/worker', 'phonescrub/wasm']) console.log(s, import.meta.resolve(s))",
    ],
    { cwd: project },
  );
  const base = new URL(`file://${project}/node_modules/phonescrub/`).href;
  assert.deepEqual(stdout.trim().split('\n'), [
    `phonescrub ${base}phonescrub.js`,
    `phonescrub/element ${base}phone-scrubber.js`,
    `phonescrub/worker ${base}worker.js`,
    `phonescrub/wasm ${base}pkg/phonescrub_bg.wasm`,
  ]);

  // No `paths`: the types come through the package's "exports" alone.
  await writeFile(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true },
      include: ['app.ts'],
    }),
  );
  await writeFile(
    path.join(project, 'app.ts'),
    [
      "import { Scrubber, ScrubError, type Policy } from 'phonescrub';",
      "import 'phonescrub/element';",
      "const policy: Policy = { phoneColumn: 'Phone', defaultRegion: 'GB', keepColumns: ['Name', 'Phone'] };",
      'export async function go(file: File): Promise<number> {',
      '  const scrubber = await Scrubber.create();',
      '  try { return (await scrubber.scrub(file, policy)).report.rowsKept; }',
      "  catch (e) { if (e instanceof ScrubError && e.kind === 'input') return -(e.line ?? 0); throw e; }",
      '  finally { scrubber.terminate(); }',
      '}',
      "document.querySelector('phone-scrubber')?.addEventListener('scrubbed', (e) => console.log(e.detail.report.rowsRead));",
      '// @ts-expect-error -- a wrong policy key is caught through the package types too',
      "export const wrong: Policy = { phoneColumn: 0, keep: ['Name'] };",
      '',
    ].join('\n'),
  );
  try {
    await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', project], { cwd: project, timeout: 120_000 });
  } catch (err) {
    const e = /** @type {any} */ (err);
    assert.fail(`tsc in the installed project failed:\n${e.stdout}${e.stderr}`);
  }
});

/** @type {Awaited<ReturnType<typeof setUp>>} */
let env;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let host;

test('a host page serving only the package files scrubs a list with <phone-scrubber>', async (t) => {
  // The host's site: its own page and script, and the package copied to /vendor/phonescrub/.
  const site = path.join(project, 'public');
  await mkdir(site, { recursive: true });
  await cp(path.join(project, 'node_modules/phonescrub'), path.join(site, 'vendor/phonescrub'), { recursive: true });
  await writeFile(
    path.join(site, 'index.html'),
    `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Portal</title>
  <script type="module" src="/vendor/phonescrub/phone-scrubber.js"></script>
  <script type="module" src="/portal.js"></script>
</head>
<body>
  <h1>Portal</h1>
  <phone-scrubber default-region="GB" keep-columns="Name,Phone"></phone-scrubber>
</body>
</html>
`,
  );
  await writeFile(
    path.join(site, 'portal.js'),
    `const w = /** @type {any} */ (window);
w.events = [];
const element = document.querySelector('phone-scrubber');
element.addEventListener('scrubbed', async (event) => {
  const { report, cleaned, removed } = event.detail;
  w.events.push({ type: 'scrubbed', report, cleaned: await cleaned.text(), removed: await removed.text() });
});
element.addEventListener('error', (event) => w.events.push({ type: 'error', detail: event.detail }));
`,
  );

  env = await setUp();
  host = await startServer({ root: site, port: 0 });
  t.after(async () => {
    await env?.tearDown();
    await host?.close();
  });
  const { page, context } = env;
  /** @type {string[]} */
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  /** @type {string[]} */
  const csp = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) csp.push(message.text());
  });

  await page.goto(host.url);
  await page.getByLabel('Contact list', { exact: true }).setInputFiles(path.join(FIXTURES, 'contacts.csv'));
  await page.getByLabel('Phone number column').waitFor();
  await page.getByRole('button', { name: 'Scrub list' }).click();
  await page.waitForFunction(() => /** @type {any} */ (window).events.length > 0, null, { timeout: 60_000 });
  const [event] = await page.evaluate(() => /** @type {any} */ (window).events);

  assert.equal(event.type, 'scrubbed', JSON.stringify(event.detail));
  const { report } = event;
  assert.deepEqual(
    { read: report.rowsRead, kept: report.rowsKept, removed: report.rowsRemoved, reasons: report.reasons },
    {
      read: 6,
      kept: 4,
      removed: 2,
      reasons: { malformed_row: 0, missing_number: 0, invalid_number: 1, mangled_number: 0, no_consent: 0, consent_expired: 0, opted_out: 0, retention_expired: 0, duplicate: 1 },
    },
  );
  assert.equal(report.engineVersion, packed.version);
  assert.equal(
    event.cleaned,
    ['"Name","Phone"', '"Ann Archer","+441212941091"', '"Bob Baker","+447911123456"', '"Cara Cole","+12015550123"', '"Fay Ford","+4930901820"', ''].join('\n'),
  );
  assert.equal(event.removed, ['"Name","Phone","line","reasons"', '"Dan Dale","+441212941091","5","duplicate"', '"Eve East","12345","6","invalid_number"', ''].join('\n'));

  // The JS API straight from the package, on the same page.
  const profiled = await page.evaluate(async () => {
    const { Scrubber } = await import('/vendor/phonescrub/phonescrub.js');
    const scrubber = await Scrubber.create();
    const profile = await scrubber.profile(new TextEncoder().encode('name,tel\nAnn,0121 294 1091\n'), { defaultRegion: 'GB' });
    scrubber.terminate();
    return profile.phoneColumn;
  });
  assert.equal(profiled, 1);

  // Everything came from the host's origin: its page and script, and the package's files.
  const fetched = [...new Set(requests)].map((u) => (u.startsWith(host.url) ? `/${u.slice(host.url.length)}` : u)).sort();
  assert.deepEqual(fetched, [
    '/',
    '/portal.js',
    '/vendor/phonescrub/mask.js',
    '/vendor/phonescrub/phone-scrubber.js',
    '/vendor/phonescrub/phonescrub.js',
    '/vendor/phonescrub/pkg/phonescrub.js',
    '/vendor/phonescrub/pkg/phonescrub_bg.wasm',
    '/vendor/phonescrub/regions.js',
    '/vendor/phonescrub/worker.js',
  ]);
  assert.deepEqual(csp, [], 'no CSP violation under the production policy');
  assert.deepEqual(env.pageErrors, []);
});
