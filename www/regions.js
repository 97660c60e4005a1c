// Region codes the engine has phone metadata for (libphonenumber's supported regions:
// ISO 3166 alpha-2, plus AC Ascension, TA Tristan da Cunha and XK Kosovo). Taken from
// the source_region column of tests/fixtures/golden/corpus.tsv; the engine rejects a
// defaultRegion outside this list, so the page offers only these.

export const REGION_CODES = Object.freeze(
  `
    AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE
    DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM
    GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE
    KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH
    MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ
    OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
    SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW
    TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
  `
    .trim()
    .split(/\s+/),
);

const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/**
 * The regions with English names, sorted by name.
 * @returns {Array<{code: string, name: string}>}
 */
export function regions() {
  return REGION_CODES.map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) =>
    a.name.localeCompare(b.name, 'en'),
  );
}

/**
 * The region of a BCP 47 language tag ("en-GB" -> "GB"), when the engine knows it.
 * @param {string | undefined} tag
 * @returns {string | undefined}
 */
export function regionOfLanguage(tag) {
  try {
    const region = tag ? new Intl.Locale(tag).region : undefined;
    return region && REGION_CODES.includes(region) ? region : undefined;
  } catch {
    return undefined;
  }
}
