#!/usr/bin/env node
// Builds the npm package "phonescrub" (the JS API, the <phone-scrubber> element, the
// worker, the wasm engine and their TypeScript declarations) and packs it.
//
//   node scripts/pack-npm.mjs [--json]
//
// 1. Assembles target/npm-package/ from npm/package.json (version set from Cargo.toml),
//    npm/README.md (the same), LICENSE, www/{phonescrub,phone-scrubber,worker,regions}.js,
//    www/types/*.d.ts and the engines in www/pkg/ (core) and www/pkg-full/ (spreadsheets and
//    encryption; build both first: bash scripts/build-wasm.sh).
// 2. Checks that every relative import and `new URL(..., import.meta.url)` in the shipped
//    modules names a shipped file, and that every export target exists.
// 3. Runs `npm pack` into target/ and prints the tarball's path and size (with --json, one
//    JSON object: {tarball, size, unpackedSize, files, version}).
// Needs no network: the package has no dependencies and npm pack reads only local files.

import { execFile } from 'node:child_process';
import { access, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = path.join(ROOT, 'target/npm-package');
const DEST = path.join(ROOT, 'target');

/** Files copied as they are: [from (under the checkout), to (under the package)]. */
const FILES = [
  ['www/phonescrub.js', 'phonescrub.js'],
  ['www/phone-scrubber.js', 'phone-scrubber.js'],
  ['www/worker.js', 'worker.js'],
  ['www/regions.js', 'regions.js'],
  ['www/mask.js', 'mask.js'],
  ['www/pkg/phonescrub.js', 'pkg/phonescrub.js'],
  ['www/pkg/phonescrub_bg.wasm', 'pkg/phonescrub_bg.wasm'],
  ['www/pkg/phonescrub.d.ts', 'pkg/phonescrub.d.ts'],
  ['www/pkg/phonescrub_bg.wasm.d.ts', 'pkg/phonescrub_bg.wasm.d.ts'],
  // The full engine, which worker.js imports only when a job needs spreadsheets or encryption.
  ['www/pkg-full/phonescrub.js', 'pkg-full/phonescrub.js'],
  ['www/pkg-full/phonescrub_bg.wasm', 'pkg-full/phonescrub_bg.wasm'],
  ['www/pkg-full/phonescrub.d.ts', 'pkg-full/phonescrub.d.ts'],
  ['www/pkg-full/phonescrub_bg.wasm.d.ts', 'pkg-full/phonescrub_bg.wasm.d.ts'],
  ['LICENSE', 'LICENSE'],
];

/** The crate's version, from the [package] table of Cargo.toml. */
export async function crateVersion() {
  const toml = await readFile(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const table = toml.split(/^\[/m).find((t) => t.startsWith('package]'));
  const version = table?.match(/^version\s*=\s*"([^"]+)"/m)?.[1];
  if (!version) throw new Error('pack-npm: no version in the [package] table of Cargo.toml');
  return version;
}

/**
 * Relative module and asset references in a module's code (comments are skipped).
 * @param {string} source
 */
function references(source) {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  const found = new Set();
  for (const pattern of [
    /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ]) {
    for (const match of code.matchAll(pattern)) {
      if (!/^[a-z]+:/i.test(match[1]) && !match[1].startsWith('/')) found.add(match[1]);
    }
  }
  return [...found];
}

/**
 * Fails when a shipped module refers to a file the package lacks (say, a new import in
 * worker.js), or an export points nowhere.
 * @param {any} manifest
 */
async function checkPackage(manifest) {
  const problems = [];
  const modules = FILES.map(([, to]) => to).filter((f) => f.endsWith('.js'));
  for (const file of modules) {
    const source = await readFile(path.join(OUT, file), 'utf8');
    for (const ref of references(source)) {
      const target = path.join(path.dirname(path.join(OUT, file)), ref);
      await access(target).catch(() => problems.push(`${file} refers to ${ref}, which the package does not ship`));
    }
  }
  /** @param {unknown} entry @returns {string[]} */
  const targets = (entry) => (typeof entry === 'string' ? [entry] : Object.values(/** @type {object} */ (entry ?? {})).flatMap(targets));
  for (const [key, entry] of Object.entries(manifest.exports)) {
    for (const target of targets(entry)) {
      if (target.includes('*')) continue;
      await access(path.join(OUT, target)).catch(() => problems.push(`exports["${key}"] -> ${target} is missing`));
    }
  }
  if (problems.length) throw new Error(`pack-npm: the package is incomplete:\n  ${problems.join('\n  ')}`);
}

/** Assembles target/npm-package/ and packs it; returns what npm pack reported. */
export async function packNpm() {
  for (const dir of ['pkg', 'pkg-full']) {
    await access(path.join(ROOT, `www/${dir}/phonescrub_bg.wasm`)).catch(() => {
      throw new Error(`pack-npm: www/${dir}/ has no engine: build it first (bash scripts/build-wasm.sh)`);
    });
  }
  const version = await crateVersion();
  await rm(OUT, { recursive: true, force: true });
  await mkdir(path.join(OUT, 'pkg'), { recursive: true });
  await mkdir(path.join(OUT, 'pkg-full'), { recursive: true });
  await mkdir(path.join(OUT, 'types'), { recursive: true });

  for (const [from, to] of FILES) await copyFile(path.join(ROOT, from), path.join(OUT, to));
  const types = (await readdir(path.join(ROOT, 'www/types'))).filter((f) => f.endsWith('.d.ts'));
  for (const file of types) await copyFile(path.join(ROOT, 'www/types', file), path.join(OUT, 'types', file));

  const manifest = JSON.parse(await readFile(path.join(ROOT, 'npm/package.json'), 'utf8'));
  manifest.version = version;
  await writeFile(path.join(OUT, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const readme = await readFile(path.join(ROOT, 'npm/README.md'), 'utf8');
  await writeFile(path.join(OUT, 'README.md'), readme.replaceAll('{{VERSION}}', version));

  await checkPackage(manifest);

  await mkdir(DEST, { recursive: true });
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', DEST],
    { cwd: OUT, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } },
  );
  const [report] = JSON.parse(stdout);
  const tarball = path.join(DEST, report.filename);
  const { size } = await stat(tarball);
  return {
    tarball,
    size,
    unpackedSize: report.unpackedSize,
    files: report.files.map((/** @type {{path: string}} */ f) => f.path).sort(),
    version,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  packNpm().then(
    (result) => {
      if (process.argv.includes('--json')) {
        console.log(JSON.stringify(result));
        return;
      }
      const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(0)} KiB`;
      console.log(`pack-npm: phonescrub ${result.version}, ${result.files.length} files:`);
      for (const file of result.files) console.log(`  ${file}`);
      console.log(`pack-npm: ${path.relative(process.cwd(), result.tarball) || result.tarball}  ${result.size} bytes (${kib(result.size)}; unpacked ${kib(result.unpackedSize)})`);
    },
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
