#!/usr/bin/env node
// The one-file offline build: dist/phonescrub.html, the whole page in one file that works
// opened from disk (file://), with no server and no network.
//
//   node scripts/build-offline.mjs [--out FILE]          (make offline runs it)
//
// Needs the engine built into www/pkg-full/ (bash scripts/build-wasm.sh). Zero dependencies.
//
// The file carries the full engine only (www/pkg-full/: spreadsheets and encryption
// included), as the worker's one engine: the served page's split into a small core and a
// full engine fetched on demand saves transfer, which a file on disk does not need.
//
// What goes in:
//   - index.html, with style.css inlined as a <style> and its policy replaced (below);
//   - one inline module script: the page's ES modules (app.js and what it imports), each
//     in its own function scope, imports and exports turned into plain bindings (a small
//     linker, below, that knows only the static import/export forms the page uses and
//     stops on any other);
//   - the worker (worker.js with the wasm-bindgen glue pkg/phonescrub.js linked the same
//     way), as a string in that script, started from a blob: URL as a classic worker:
//     Chromium refuses module workers from blob: URLs in a file:// page (its origin is
//     opaque), and the worker needs no module features;
//   - the wasm, base64 in a non-executed data block (<script type="application/
//     octet-stream">), put in front of the worker's code when its blob is made; the
//     worker hands the bytes to the glue's init(). Nothing is ever fetched.
//
// The policy, in a <meta>: the one inline script by its sha256 hash, wasm compilation,
// a worker only from blob:, the stylesheet by its hash, images from data:/blob:, and
// connect-src 'none': nothing can call out, not even fetch() of a blob: URL. Every
// rewrite of the page's code below must match exactly once, or the build stops and says
// which: a changed page is never shipped half-adapted.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WWW = path.join(ROOT, 'www');
const DEFAULT_OUT = path.join(ROOT, 'dist/phonescrub.html');

/**
 * Rewrites of the page's code for the one-file build, by module: [why, from, to].
 * @type {Record<string, Array<[string, string, string]>>}
 */
const REWRITES = {
  'app.js': [
    [
      'the engine worker is the inlined one (a blob: URL), not worker.js beside phonescrub.js',
      'Scrubber.create()',
      'Scrubber.create({ workerUrl: PHONESCRUB_WORKER_URL })',
    ],
  ],
  'phonescrub.js': [
    [
      'the inlined worker is a classic script (no module workers from blob: URLs in a file:// page)',
      "{ type: 'module', name: 'phonescrub-engine' }",
      "{ name: 'phonescrub-engine' }",
    ],
  ],
  'worker.js': [
    [
      'the engine is the inlined wasm bytes, not a file to fetch',
      "const compileCore = (wasmUrl) => compileResponse(fetch(wasmUrl ?? new URL('./pkg/phonescrub_bg.wasm', import.meta.url)));",
      'const compileCore = () => WebAssembly.compile(inlinedWasm());',
    ],
    [
      'the one engine is the full one (spreadsheets, encryption)',
      "from './pkg/phonescrub.js';",
      "from './pkg-full/phonescrub.js';",
    ],
    [
      'so jobs never ask for another engine',
      'let engine = { engineVersion, profile, scrub, ParallelScrub, PartWorker, core: true };',
      'let engine = { engineVersion, profile, scrub, ParallelScrub, PartWorker, core: false };',
    ],
    [
      'part workers load a blob: URL this worker made of its own script (see WORKER_EPILOGUE_OF_BASE64)',
      'const partWorkerUrl = () => self.location.href;',
      'const partWorkerUrl = ownScriptUrl;',
    ],
    [
      'part workers are this (classic) worker again, from its blob: URL',
      "{ type: 'module', name: 'phonescrub-part' }",
      "{ name: 'phonescrub-part' }",
    ],
    [
      'nothing is imported at run time (the linker takes no import())',
      "const importFull = () => import('./pkg-full/phonescrub.js');",
      "const importFull = () => Promise.reject(new Error('the one-file build has one engine'));",
    ],
  ],
  'pkg-full/phonescrub.js': [
    [
      'the glue never looks for a .wasm beside itself (and a classic script has no import.meta)',
      "module_or_path = new URL('phonescrub_bg.wasm', import.meta.url);",
      "throw new Error('the one-file build passes the engine as bytes');",
    ],
  ],
};

/**
 * Put in front of the worker's code: its wasm bytes (the loader adds the base64 before
 * it). The code runs inside a function, so that the worker can rebuild its own script
 * (`PHONESCRUB_WORKER.toString()`) for its part workers: a worker of the file:// page's
 * opaque origin may not load the page's blob: URL again, only one it made itself.
 */
const WORKER_EPILOGUE_OF_BASE64 = `";
function PHONESCRUB_WORKER() {
"use strict";
/** The engine's bytes, inlined by scripts/build-offline.mjs. @returns {Uint8Array} */
function inlinedWasm() {
  const text = atob(PHONESCRUB_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
/** @type {string | undefined} */
let ownScript;
/** A blob: URL of this worker's script, made here (see scripts/build-offline.mjs). */
function ownScriptUrl() {
  ownScript ??= URL.createObjectURL(new Blob(['"use strict";\\nconst PHONESCRUB_WASM_BASE64 = "', PHONESCRUB_WASM_BASE64, '";\\n', PHONESCRUB_WORKER.toString(), '\\nPHONESCRUB_WORKER();\\n'], { type: 'text/javascript' }));
  return ownScript;
}
`;
/** After the worker's code. */
const WORKER_END = `
}
PHONESCRUB_WORKER();
`;

/**
 * Builds the one-file page.
 * @param {{out?: string}} [options]
 * @returns {Promise<{out: string, bytes: number, wasmBytes: number, modules: string[]}>}
 */
export async function buildOffline({ out = DEFAULT_OUT } = {}) {
  const wasm = await readFile(path.join(WWW, 'pkg-full/phonescrub_bg.wasm')).catch(() => {
    throw new Error('www/pkg-full/ has no engine: build it first (bash scripts/build-wasm.sh)');
  });

  const page = await link('app.js');
  const worker = await link('worker.js');
  if (/\bimport\s*\.\s*meta\b/.test(stripComments(worker.code))) {
    throw new Error('the worker uses import.meta, which a classic worker does not have');
  }
  // The page's code goes into the <script> element as it is: it must not end it early.
  const risky = page.code.match(/<\/script|<!--/i);
  if (risky) throw new Error(`the page's code holds ${risky[0]}, which would break the inline <script>; write it as '<\\/script' or '<' + '!--'`);
  // JSON is a JS expression; "<" escaped so that no source can end the <script> element.
  const json = (/** @type {unknown} */ value) => JSON.stringify(value).replace(/</g, '\\u003c');
  const loader = `
// phonescrub, one-file build (scripts/build-offline.mjs): the page's modules, linked.
const PHONESCRUB_WORKER_URL = (() => {
  const wasm = document.getElementById('phonescrub-wasm');
  const parts = ['"use strict";\\nconst PHONESCRUB_WASM_BASE64 = "', wasm.textContent.trim(), ${json(WORKER_EPILOGUE_OF_BASE64)}, ${json(worker.code)}, ${json(WORKER_END)}];
  wasm.remove();
  return URL.createObjectURL(new Blob(parts, { type: 'text/javascript' }));
})();
${page.code}`;

  const css = await readFile(path.join(WWW, 'style.css'), 'utf8');
  if (/<\/style/i.test(css)) throw new Error('style.css contains </style, which would end the inlined stylesheet');
  const style = `\n${css}\n`;

  const policy = [
    "default-src 'none'",
    `script-src '${sha256(loader)}' 'wasm-unsafe-eval'`,
    'worker-src blob:',
    `style-src '${sha256(style)}'`,
    'img-src data: blob:',
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');

  let html = await readFile(path.join(WWW, 'index.html'), 'utf8');
  html = rewriteOnce(
    html,
    'index.html',
    'the one-file policy replaces the served one',
    /<!--[^>]*-->\s*<meta\s+http-equiv="Content-Security-Policy"[^>]*>/,
    `<!-- One-file build (scripts/build-offline.mjs): nothing can call out (connect-src 'none'). -->\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`,
  );
  html = rewriteOnce(html, 'index.html', 'the stylesheet is inlined', /<link rel="stylesheet" href="style\.css"\s*\/?>/, `<style>${style}</style>`);
  html = rewriteOnce(
    html,
    'index.html',
    'the engine goes in a data block before the script (which is deferred anyway)',
    /<script type="module" src="app\.js"><\/script>/,
    `<script type="application/octet-stream" id="phonescrub-wasm">${wasm.toString('base64')}</script>\n    <script type="module">${loader}</script>`,
  );
  const reference = html.match(/\b(?:src|href)="(?!data:|#)[^"]*"/);
  if (reference) throw new Error(`index.html still refers to a file: ${reference[0]}`);

  // Written whole, then renamed: a reader never sees half a file.
  await mkdir(path.dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.partial`;
  await writeFile(partial, html);
  await rename(partial, out);
  return { out, bytes: (await stat(out)).size, wasmBytes: wasm.length, modules: [...new Set([...page.modules, ...worker.modules])].sort() };
}

/**
 * Links `entry` and the modules it imports (paths relative to www/) into one script:
 * each module in its own function scope, run once, dependencies first; its imports
 * become `const` bindings to what the others return, its exports what it returns.
 * @param {string} entry
 * @returns {Promise<{code: string, modules: string[]}>}
 */
async function link(entry) {
  /** @type {Map<string, string>} */
  const done = new Map(); // module -> its linked code, in the order they must run
  /** @type {string[]} */
  const stack = [];
  const visit = async (/** @type {string} */ name) => {
    if (done.has(name)) return;
    if (stack.includes(name)) throw new Error(`import cycle: ${[...stack, name].join(' -> ')}`);
    stack.push(name);
    let source = await readFile(path.join(WWW, name), 'utf8');
    for (const [why, from, to] of REWRITES[name] ?? []) source = rewriteOnce(source, name, why, from, to);
    const { code, deps } = unmodule(name, source);
    for (const dep of deps) await visit(dep);
    stack.pop();
    done.set(name, code);
  };
  await visit(entry);
  const id = (/** @type {string} */ name) => JSON.stringify(name);
  const code = [
    '/** The linked modules\' exports, by path. */',
    'const PHONESCRUB_MODULES = Object.create(null);',
    ...[...done].map(([name, body]) => `// ---- ${name}\nPHONESCRUB_MODULES[${id(name)}] = (() => {\n${body}\n})();`),
  ].join('\n');
  return { code, modules: [...done.keys()] };
}

/**
 * One module's code as a function body: static imports become bindings to other modules'
 * exports, `export` declarations plain declarations, and a `return` of the exports ends it.
 * Any other module syntax stops the build.
 * @param {string} name
 * @param {string} source
 * @returns {{code: string, deps: string[]}}
 */
function unmodule(name, source) {
  /** @type {string[]} */
  const deps = [];
  /** @type {string[]} */
  const exported = []; // "name" or "local: exported"-style entries of the returned object
  const resolve = (/** @type {string} */ spec) => {
    if (!/^\.{1,2}\//.test(spec)) throw new Error(`${name} imports ${spec}: only relative imports can be inlined`);
    const dep = path.posix.normalize(path.posix.join(path.posix.dirname(name), spec));
    if (dep.startsWith('../')) throw new Error(`${name} imports ${spec}, outside www/`);
    deps.push(dep);
    return `PHONESCRUB_MODULES[${JSON.stringify(dep)}]`;
  };
  let code = source
    // import X, { a, b as c } from './x.js';   import { a } from …;   import X from …;
    .replace(/^[ \t]*import\s+(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}\s*)?from\s*(['"])([^'"]+)\3\s*;?/gm, (_, dflt, named, __, spec) => {
      const bindings = [
        ...(dflt ? [`default: ${dflt}`] : []),
        ...(named ?? '')
          .split(',')
          .map((/** @type {string} */ s) => s.trim())
          .filter(Boolean)
          .map((/** @type {string} */ s) => s.replace(/^([\w$]+)\s+as\s+([\w$]+)$/, '$1: $2')),
      ];
      return `const { ${bindings.join(', ')} } = ${resolve(spec)};`;
    })
    // export { a, b as default };
    .replace(/^[ \t]*export\s*\{([^}]*)\}\s*;?[ \t]*$/gm, (_, list) => {
      for (const entry of list.split(',').map((/** @type {string} */ s) => s.trim()).filter(Boolean)) {
        const [local, as = local] = entry.split(/\s+as\s+/);
        exported.push(as === local ? local : `${JSON.stringify(as)}: ${local}`);
      }
      return '';
    })
    // export function f / export async function f / export class C / export const|let x
    .replace(/^([ \t]*)export\s+((?:async\s+)?function\*?|class|const|let)\s+([\w$]+)/gm, (_, indent, kind, local) => {
      exported.push(local);
      return `${indent}${kind} ${local}`;
    });
  const left = stripComments(code).match(/^[ \t]*(?:import\b(?!\s*[.(])|export\b).*/m);
  if (left) throw new Error(`${name}: the one-file build cannot link \`${left[0].trim()}\``);
  if (/(^|[^\w$.])import\s*\(/.test(stripComments(code))) throw new Error(`${name} uses a dynamic import(), which the one-file build cannot link`);
  code += `\nreturn { ${exported.join(', ')} };`;
  return { code, deps };
}

/** Source without its comments (for checks only; strings holding comment marks are rare here). @param {string} code */
function stripComments(code) {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/**
 * Replaces the one match of `from` in `text`, or stops the build.
 * @param {string} text
 * @param {string} file
 * @param {string} why
 * @param {string | RegExp} from
 * @param {string} to
 */
function rewriteOnce(text, file, why, from, to) {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, 'g')) ?? []).length;
  if (count !== 1) throw new Error(`cannot adapt ${file} for the one-file build (${why}): expected one ${from}, found ${count}`);
  return text.replace(from, () => to);
}

/** @param {string} text */
function sha256(text) {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/** @param {number} bytes */
function mebibytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  /** @type {{out?: string}} */
  const options = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag === '--out' && (inline ?? args[i + 1])) options.out = path.resolve(inline ?? args[++i]);
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node scripts/build-offline.mjs [--out FILE]   (default: dist/phonescrub.html)');
      process.exit(0);
    } else {
      console.error(`build-offline: bad argument ${args[i]} (try --help)`);
      process.exit(2);
    }
  }
  buildOffline(options).then(
    ({ out, bytes, wasmBytes, modules }) => {
      console.log(`build-offline: wrote ${path.relative(process.cwd(), out) || out}: ${bytes} bytes (${mebibytes(bytes)}; engine ${mebibytes(wasmBytes)} before base64; ${modules.join(', ')})`);
      console.log(`build-offline: open ${pathToFileURL(out).href} in a browser: no server, no network`);
    },
    (err) => {
      console.error(`build-offline: FAILED: ${err.message}`);
      process.exit(1);
    },
  );
}
