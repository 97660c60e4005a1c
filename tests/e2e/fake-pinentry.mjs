#!/usr/bin/env node
// A stand-in for the `pinentry` program, speaking just enough of its Assuan protocol to
// hand `rage -d` the passphrase in $FAKE_PINENTRY_PASSPHRASE. rage asks pinentry (named by
// $PINENTRY_PROGRAM) for passphrases; without a terminal, it has no other way to be told
// one, and this lets a test decrypt a page export exactly as a user would with rage.
// Every prompt it is asked is appended to $FAKE_PINENTRY_LOG when that is set, so a test
// can prove this program (not a silent fallback) supplied the passphrase.

import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const passphrase = process.env.FAKE_PINENTRY_PASSPHRASE ?? '';
const log = process.env.FAKE_PINENTRY_LOG;
/** Assuan data lines escape %, CR and LF. @param {string} s */
const escape = (s) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

process.stdout.write('OK Pleased to meet you\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.split(' ', 1)[0].toUpperCase();
  if (log) appendFileSync(log, `${command}\n`);
  if (command === 'GETPIN') {
    process.stdout.write(`D ${escape(passphrase)}\nOK\n`);
  } else if (command === 'BYE') {
    process.stdout.write('OK closing connection\n');
    process.exit(0);
  } else {
    process.stdout.write('OK\n');
  }
});
