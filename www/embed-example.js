// The host page's own script: it listens to the element. (A file, not an inline script:
// the page's CSP allows only scripts from its own origin.)

const scrubber = document.querySelector('phone-scrubber');
const log = /** @type {HTMLElement} */ (document.getElementById('log'));

scrubber?.addEventListener('scrubbed', (event) => {
  const { report, cleaned, removed } = /** @type {CustomEvent} */ (event).detail;
  log.textContent = `scrubbed: ${report.rowsRead} rows read, ${report.rowsKept} kept (${cleaned.size} bytes), ${report.rowsRemoved} removed (${removed.size} bytes)`;
});

scrubber?.addEventListener('error', (event) => {
  const { message, kind, line } = /** @type {CustomEvent} */ (event).detail;
  log.textContent = `error (${kind}${line ? `, line ${line}` : ''}): ${message}`;
});
