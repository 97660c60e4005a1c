#!/usr/bin/env node
// A zero-dependency static server for the phonescrub page.
//
//   node scripts/serve.mjs [--root www] [--port N]      (PORT env sets the default port)
//
// It binds 127.0.0.1 only and sends the page's Content-Security-Policy (and a few other
// safety headers) on EVERY response, error pages included: the worker takes its policy
// from its own response, not the page's, so the header must be on worker.js too.
// Tests start it in-process with `startServer({ root, port: 0 })`.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The policy sent as a header. The page's <meta> copy lacks frame-ancestors (meta cannot carry it). */
export const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** Headers on every response. */
export const SECURITY_HEADERS = Object.freeze({
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** MIME types by extension; anything else is served as opaque bytes. */
export const MIME_TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
});

const DEFAULT_ROOT = fileURLToPath(new URL('../www/', import.meta.url));
const DEFAULT_PORT = 8080;

/**
 * Starts the server.
 * @param {{ root?: string, port?: number, host?: string, log?: boolean }} [options]
 *   root: directory to serve (default: www/ beside this script); port 0 = any free port.
 * @returns {Promise<{ server: import('node:http').Server, port: number, url: string, close: () => Promise<void> }>}
 */
export async function startServer({ root = DEFAULT_ROOT, port = DEFAULT_PORT, host = '127.0.0.1', log = false } = {}) {
  // Resolve symlinks once so the containment check below compares real paths.
  const realRoot = await realpath(path.resolve(root));
  const server = createServer((req, res) => {
    handle(realRoot, req, res).catch((err) => {
      if (log) console.error(err);
      if (!res.headersSent) send(res, 500, 'Internal server error\n');
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const url = `http://${host}:${actual}/`;
  return {
    server,
    port: actual,
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * @param {string} root
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function handle(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    send(res, 400, 'Bad request\n');
    return;
  }
  // No NUL bytes, no backslashes (Windows separators), no dot segments after decoding.
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').some((s) => s === '..')) {
    send(res, 400, 'Bad request\n');
    return;
  }
  let file = path.join(root, pathname);
  let info = await statOrNull(file);
  if (info?.isDirectory()) {
    // No directory listings: a directory is served only through its index.html.
    if (!pathname.endsWith('/')) {
      send(res, 301, '', { Location: `${pathname}/` });
      return;
    }
    file = path.join(file, 'index.html');
    info = await statOrNull(file);
  }
  if (!info || !info.isFile()) {
    send(res, 404, 'Not found\n');
    return;
  }
  // Symlinks must not lead out of the root either.
  const real = await realpath(file);
  if (real !== root && !real.startsWith(root + path.sep)) {
    send(res, 404, 'Not found\n');
    return;
  }
  const type = MIME_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
  // Validators, so that a reload revalidates (no-cache) and gets a 304 for what has not
  // changed: the browser then keeps what it built from the cached file, such as V8's
  // compiled code for the engine's wasm.
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString();
  const validators = { ETag: etag, 'Last-Modified': lastModified };
  if (notModified(req, etag, info.mtimeMs)) {
    res.writeHead(304, { ...SECURITY_HEADERS, ...validators });
    res.end();
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, ...validators, 'Content-Type': type, 'Content-Length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(real)
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * True when the request's conditional headers say the client's copy is current
 * (If-None-Match wins over If-Modified-Since, as RFC 9110 says).
 * @param {import('node:http').IncomingMessage} req
 * @param {string} etag
 * @param {number} mtimeMs
 */
function notModified(req, etag, mtimeMs) {
  const match = req.headers['if-none-match'];
  if (match !== undefined) {
    // Weak comparison: W/"x" and "x" are the same validator.
    const bare = (/** @type {string} */ tag) => tag.trim().replace(/^W\//, '');
    return match.trim() === '*' || match.split(',').some((tag) => bare(tag) === bare(etag));
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** @param {string} file */
async function statOrNull(file) {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} body
 * @param {Record<string, string>} [extra]
 */
function send(res, status, body, extra = {}) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  const options = { root: DEFAULT_ROOT, port: process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--root') options.root = value();
    else if (flag === '--port') options.port = Number(value());
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node scripts/serve.mjs [--root DIR] [--port N]   (PORT env sets the default; 0 = any free port)');
      process.exit(0);
    } else {
      console.error(`serve.mjs: unknown argument ${argv[i]} (try --help)`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    console.error('serve.mjs: the port must be a whole number from 0 to 65535');
    process.exit(2);
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const options = parseArgs(process.argv.slice(2));
  startServer({ ...options, log: true }).then(
    ({ url }) => console.log(`phonescrub is running: open ${url}`),
    (err) => {
      console.error(`serve.mjs: cannot start: ${err.message}`);
      process.exit(1);
    },
  );
}
