// phonescrub's own worker (www/worker.js), unchanged, plus one thing for the benchmark:
// each scrub report gains `benchWasmMemoryBytes`, the size of the wasm instance's memory
// when the scrub ended. Wasm memory never shrinks, so that is its peak.

import { initSync } from '/www/pkg/phonescrub.js';
import '/www/worker.js';

const post = self.postMessage.bind(self);
self.postMessage = (message, ...rest) => {
  const report = message?.type === 'result' ? message.result?.report : undefined;
  if (report) {
    // The instance is already initialised, so initSync just returns its exports.
    report.benchWasmMemoryBytes = initSync({ module: new Uint8Array(0) }).memory.buffer.byteLength;
  }
  post(message, ...rest);
};
