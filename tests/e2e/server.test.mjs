// The static server: the policy headers on every response, MIME types, no listings, no
// way out of the root. Plain Node (no browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer } from '../../scripts/serve.mjs';
import { ROOT } from './helpers.mjs';

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
  "style-src 'self'; img-src 'self' data: blob:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;

before(async () => {
  server = await startServer({ root: path.join(ROOT, 'www'), port: 0 });
});

after(async () => {
  await server.close();
});

/**
 * A raw request: the path is sent exactly as given (fetch would normalise `..` away).
 * @param {string} rawPath
 * @param {string} [method]
 * @returns {Promise<{status: number, headers: import('node:http').IncomingHttpHeaders, body: Buffer}>}
 */
function raw(rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: rawPath, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** @param {{get(name: string): string | null} | import('node:http').IncomingHttpHeaders} headers */
function header(headers, name) {
  return typeof headers.get === 'function' ? headers.get(name) : /** @type {any} */ (headers)[name.toLowerCase()];
}

/** @param {any} headers @param {string} where */
function assertPolicyHeaders(headers, where) {
  assert.equal(header(headers, 'content-security-policy'), EXPECTED_CSP, `CSP on ${where}`);
  assert.equal(header(headers, 'x-content-type-options'), 'nosniff', `nosniff on ${where}`);
  assert.equal(header(headers, 'referrer-policy'), 'no-referrer', `referrer policy on ${where}`);
  assert.equal(header(headers, 'cache-control'), 'no-cache', `cache-control on ${where}`);
}

test('every response carries the CSP and safety headers, with the right MIME type', async () => {
  const cases = [
    ['/', 200, 'text/html'],
    ['/index.html', 200, 'text/html'],
    ['/app.js', 200, 'text/javascript'],
    ['/worker.js', 200, 'text/javascript'],
    ['/phonescrub.js', 200, 'text/javascript'],
    ['/style.css', 200, 'text/css'],
    ['/pkg/phonescrub.js', 200, 'text/javascript'],
    ['/pkg/phonescrub_bg.wasm', 200, 'application/wasm'],
    ['/no-such-file.js', 404, 'text/plain'],
  ];
  for (const [p, status, type] of cases) {
    const res = await fetch(new URL(p, server.url));
    await res.arrayBuffer();
    assert.equal(res.status, status, p);
    assert.ok(res.headers.get('content-type')?.startsWith(type), `${p}: ${res.headers.get('content-type')}`);
    assertPolicyHeaders(res.headers, p);
  }
});

test('files carry validators, and a request with a current one gets 304 with the policy headers', async () => {
  const url = new URL('/pkg/phonescrub_bg.wasm', server.url);
  const first = await fetch(url);
  const body = Buffer.from(await first.arrayBuffer());
  const etag = first.headers.get('etag');
  const lastModified = first.headers.get('last-modified');
  assert.match(etag ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(Number.isFinite(Date.parse(lastModified ?? '')), `${lastModified}`);
  // no-cache: the browser asks every time, and keeps its copy (and the code it compiled
  // from it) when the answer is 304.
  for (const headers of [{ 'If-None-Match': etag }, { 'If-None-Match': `"other", ${etag?.slice(2)}` }, { 'If-Modified-Since': lastModified }]) {
    const res = await fetch(url, { headers: /** @type {Record<string, string>} */ (headers) });
    assert.equal(res.status, 304, JSON.stringify(headers));
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    assert.equal(res.headers.get('etag'), etag);
    assertPolicyHeaders(res.headers, `304 for ${JSON.stringify(headers)}`);
  }
  // A changed file (another validator, or modified since) is sent again in full.
  for (const headers of [{ 'If-None-Match': 'W/"0-0"' }, { 'If-Modified-Since': new Date(Date.parse(lastModified ?? '') - 1000).toUTCString() }]) {
    const res = await fetch(url, { headers });
    assert.equal(res.status, 200, JSON.stringify(headers));
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(body));
  }
  // If-None-Match wins over If-Modified-Since.
  const both = await fetch(url, { headers: { 'If-None-Match': 'W/"0-0"', 'If-Modified-Since': /** @type {string} */ (lastModified) } });
  await both.arrayBuffer();
  assert.equal(both.status, 200);
});

test('no directory listing: a directory without index.html is not found', async () => {
  const res = await raw('/pkg/');
  assert.equal(res.status, 404);
  assert.doesNotMatch(res.body.toString(), /phonescrub_bg\.wasm/);
  assertPolicyHeaders(res.headers, '/pkg/');
  const bare = await raw('/pkg');
  assert.equal(bare.status, 301, 'a directory without its slash is redirected');
  assertPolicyHeaders(bare.headers, '/pkg');
});

test('no path traversal, however the dots are written', async () => {
  for (const p of ['/../package.json', '/pkg/../../package.json', '/%2e%2e/package.json', '/%2E%2E%2Fpackage.json', '/..%5cpackage.json', '/a%00.js']) {
    const res = await raw(p);
    assert.ok(res.status === 400 || res.status === 404, `${p} -> ${res.status}`);
    assert.doesNotMatch(res.body.toString(), /devDependencies/, p);
    assertPolicyHeaders(res.headers, p);
  }
});

test('a file just outside the root cannot be reached', async () => {
  // Serve www/pkg, so that www/index.html sits one level above the root.
  const inner = await startServer({ root: path.join(ROOT, 'www/pkg'), port: 0 });
  try {
    for (const p of ['/../index.html', '/%2e%2e/index.html', '/..%2findex.html', '/%2e%2e%2findex.html', '/.%2e/index.html']) {
      const res = await new Promise((resolve, reject) => {
        request({ host: '127.0.0.1', port: inner.port, path: p }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode, body }));
        })
          .on('error', reject)
          .end();
      });
      assert.ok(res.status === 400 || res.status === 404, `${p} -> ${res.status}`);
      assert.doesNotMatch(res.body, /<title>/, p);
    }
  } finally {
    await inner.close();
  }
});

test('only GET and HEAD are served', async () => {
  const post = await raw('/index.html', 'POST');
  assert.equal(post.status, 405);
  assertPolicyHeaders(post.headers, 'POST');
  const head = await raw('/index.html', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assertPolicyHeaders(head.headers, 'HEAD');
});

test('the command line prints the address (port 0 = any free port) and serves there', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
    });
    const match = /^phonescrub is running: open (http:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(line);
    assert.ok(match, line);
    assert.notEqual(match[2], '0');
    const res = await fetch(match[1]);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<title>phonescrub/);
  } finally {
    child.kill();
  }
});
