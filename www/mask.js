// Masking phone numbers for what the page shows and prints (previews, samples): the
// engine's rule (src/protect.rs `mask`), ported so the page can mask without a round
// trip to the worker. Files written by the engine are never masked by this.

/** A number as it is written: digits, with the separators people write numbers with. */
const NUMBER_RUN = /\d(?:[\d \t().\/-]*\d)?/g;

/** More digits than any one number has (E.164 allows 15): several numbers run together. */
const MAX_DIGITS = 15;

/**
 * Masks the phone numbers in a cell: in each run of digits, the four digits before the
 * last two are hidden ("+447700900123" -> "+447700****23", "0121 294 1091" ->
 * "0121 2** **91"); fewer in runs too short for that; a run longer than any one number
 * keeps only its last two digits. Separators and other text are left as they are.
 * Agrees with the engine's `mask` on every E.164 number and run of plain digits.
 * @param {string} text
 * @returns {string}
 */
export function maskNumber(text) {
  return text.replace(NUMBER_RUN, (run) => {
    const digits = run.replace(/\D/g, '').length;
    const shownAtEnd = Math.min(2, digits);
    const hidden = digits > MAX_DIGITS ? digits - shownAtEnd : Math.min(4, Math.max(0, digits - 2));
    const shownAtStart = digits - hidden - shownAtEnd;
    let seen = 0;
    return run.replace(/\d/g, (d) => (seen++ >= shownAtStart && seen <= shownAtStart + hidden ? '*' : d));
  });
}
