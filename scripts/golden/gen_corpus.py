#!/usr/bin/env python3
"""Generate the golden phone-number parsing corpus from libphonenumber.

Every example number in libphonenumber's metadata (each supported region and
each non-geographic country calling code, every number type) is rendered in a
set of real-world "shapes" (E.164, international with various separators,
national, IDD-prefixed, tel: URI, with extensions, full-width digits, with
stray words, deliberately corrupted variants, ...).  Each rendered input is
parsed under several default regions and libphonenumber's verdict is recorded:

    expected = E.164 of the parsed number if it parses and is_valid_number()
               else "invalid"
    type     = PhoneNumberType name of the valid number, else ""

Output (TSV, UTF-8, LF, sorted, header first):
    input  region  shape  source_region  expected  type

Only the Python standard library and `phonenumbers` (pinned in
requirements.txt) are used.  The output is deterministic: all iteration is
sorted and all randomness comes from a fixed-seed RNG consumed in a fixed
order, so re-running produces byte-identical output.

Usage: gen_corpus.py --out tests/fixtures/golden/corpus.tsv
                     [--readme tests/fixtures/golden/README.md] [--all-regions]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import sys
import tempfile

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumberFormat,
    PhoneNumberType,
)

EXPECTED_PHONENUMBERS_VERSION = "9.0.33"
SEED = 20240933  # fixed; changing it reshuffles the random choices below

# Number types whose example numbers are taken, in this order.
TYPES = [
    "FIXED_LINE",
    "MOBILE",
    "TOLL_FREE",
    "PREMIUM_RATE",
    "SHARED_COST",
    "VOIP",
    "PERSONAL_NUMBER",
    "PAGER",
    "UAN",
    "VOICEMAIL",
]

# Default regions every input is parsed under, besides the source region.
# "" means no default region (phonenumbers.parse(s, None)).
EXTRA_DEFAULT_REGIONS = ["US", "GB", "DE", ""]

# Pure re-formattings of a "+CC ..." number.  libphonenumber ignores the
# default region for input that starts with "+" (or "tel:+"), so parsing these
# under all of US, GB and DE adds ~20k identical verdicts and pushes the file
# past ~4 MB.  By default they are parsed under the source region, no region,
# and ONE of US/GB/DE, rotating over (example, shape) so that every example
# still meets all three across these shapes.  `e164` itself and every other
# shape (national, IDD, "(0)", stray words, corrupted digits, ...) get the full
# set.  --all-regions turns the thinning off (full cross product, ~81k cases).
THINNED_SHAPES = [
    "intl_spaces",
    "intl_dots",
    "intl_dashes",
    "intl_parens",
    "tel_uri",
    "ext_x",
    "ext_word",
    "fullwidth",
    "intl_glued",
]
ROTATING_REGIONS = ["US", "GB", "DE"]

NON_GEO_REGION = "001"

# Shapes, in the order they are rendered (also the order of the summary).
SHAPES = [
    "e164",
    "intl_spaces",
    "intl_dots",
    "intl_dashes",
    "intl_parens",
    "intl_glued",
    "national",
    "national_digits",
    "plus_cc_zero",
    "idd_00",
    "idd_011",
    "tel_uri",
    "ext_x",
    "ext_word",
    "fullwidth",
    "stray_letters",
    "drop_digit_e164",
    "drop_digit_national",
    "add_digit_e164",
    "add_digit_national",
]

# Templates for the stray_letters shape: {n} is the international rendering.
STRAY_TEMPLATES = [
    "Tel: {n}",
    "Phone: {n}",
    "Mob. {n}",
    "Fax {n}",
    "T {n}",
    "{n} (mobile)",
    "{n} (office)",
    "{n} (home)",
    "{n} - work",
    "{n} cell",
]

FULLWIDTH = str.maketrans(
    {**{str(d): chr(0xFF10 + d) for d in range(10)}, "+": "\uff0b"}
)


def digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def type_name(t: int) -> str:
    return PhoneNumberType.to_string(t)


# --------------------------------------------------------------------------
# Collect example numbers
# --------------------------------------------------------------------------


def collect_examples():
    """Return a sorted list of (source_region, PhoneNumber), de-duplicated.

    The same example can serve several types (e.g. US fixed line == mobile);
    it is kept once per source region.
    """
    seen = set()
    out = []

    def add(src, num):
        key = (src, num.country_code, phonenumbers.national_significant_number(num))
        if key in seen:
            return
        seen.add(key)
        out.append((src, num))

    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in TYPES:
            num = phonenumbers.example_number_for_type(region, getattr(PhoneNumberType, t))
            if num is not None:
                add(region, num)

    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        num = phonenumbers.example_number_for_non_geo_entity(cc)
        if num is not None:
            add(NON_GEO_REGION, num)
        # example_number_for_type() does not accept "001"; read the per-type
        # example numbers straight from the non-geo metadata instead.
        md = PhoneMetadata.metadata_for_nongeo_region(cc)
        if md is None:
            continue
        for t in TYPES:
            desc = getattr(md, t.lower(), None)
            if desc is not None and desc.example_number:
                add(NON_GEO_REGION, phonenumbers.parse("+%d%s" % (cc, desc.example_number), None))

    return out


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------


def intl_groups(num):
    """Country code and the digit groups of the INTERNATIONAL format."""
    intl = phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    assert intl.startswith("+"), intl
    groups = [g for g in re.split(r"\D+", intl[1:]) if g]
    cc = str(num.country_code)
    assert groups[0] == cc, (intl, cc)
    return intl, cc, groups[1:]


def corrupt(s: str, n_tail: int, rng: random.Random, mode: str) -> str:
    """Drop one digit from / add one digit to the last n_tail digits of s."""
    positions = [i for i, ch in enumerate(s) if ch.isdigit()]
    positions = positions[-n_tail:] if n_tail else positions
    pos = positions[rng.randrange(len(positions))]
    if mode == "drop":
        out = s[:pos] + s[pos + 1 :]
    else:
        out = s[: pos + 1] + str(rng.randrange(10)) + s[pos + 1 :]
    # Dropping a leading digit can leave a leading separator; tidy it.
    return out.strip(" -.")


def render(num, rng: random.Random, with_corruptions: bool):
    """Yield (shape, input) for one example number."""
    e164 = phonenumbers.format_number(num, PhoneNumberFormat.E164)
    intl, cc, groups = intl_groups(num)
    rest = groups  # national-significant-number groups
    national = phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)
    rfc = phonenumbers.format_number(num, PhoneNumberFormat.RFC3966)
    nsn = phonenumbers.national_significant_number(num)

    yield "e164", e164
    yield "intl_spaces", intl
    yield "intl_dots", "+" + ".".join([cc] + rest)
    yield "intl_dashes", "+" + "-".join([cc] + rest)
    if len(rest) >= 2:
        parens = "+%s (%s) %s" % (cc, rest[0], "-".join(rest[1:]))
    else:
        parens = "+%s (%s)" % (cc, rest[0])
    yield "intl_parens", parens
    # The code run into the first group, then dashes: "+4420-7946-0000".
    if len(rest) >= 2:
        yield "intl_glued", "+%s%s-%s" % (cc, rest[0], "-".join(rest[1:]))
    yield "national", national
    yield "national_digits", digits(national)
    yield "plus_cc_zero", "+%s (0)%s" % (cc, " ".join(rest))
    yield "idd_00", "00 " + intl[1:]
    yield "idd_011", "011 " + intl[1:]
    yield "tel_uri", rfc
    yield "ext_x", intl + " x12"
    yield "ext_word", intl + " ext. 12"
    base = e164 if rng.random() < 0.5 else intl
    yield "fullwidth", base.translate(FULLWIDTH)
    yield "stray_letters", STRAY_TEMPLATES[rng.randrange(len(STRAY_TEMPLATES))].format(n=intl)
    if with_corruptions:
        yield "drop_digit_e164", corrupt(e164, len(nsn), rng, "drop")
        yield "drop_digit_national", corrupt(national, len(nsn), rng, "drop")
        yield "add_digit_e164", corrupt(e164, len(nsn), rng, "add")
        yield "add_digit_national", corrupt(national, len(nsn), rng, "add")


# --------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------


def verdict(s: str, region: str):
    try:
        n = phonenumbers.parse(s, region or None)
    except NumberParseException:
        return "invalid", ""
    if phonenumbers.is_valid_number(n):
        return (
            phonenumbers.format_number(n, PhoneNumberFormat.E164),
            type_name(phonenumbers.number_type(n)),
        )
    return "invalid", ""


# Number of example numbers per source region that also get corrupted
# (drop/add digit) variants: the first one in TYPES order (usually FIXED_LINE).
CORRUPTED_PER_REGION = 1


def build_cases(all_regions: bool):
    rng = random.Random(SEED)
    examples = collect_examples()
    corrupted_so_far = collections.Counter()
    cases = {}  # (input, region) -> (shape, source_region)
    for idx, (src, num) in enumerate(examples):
        with_corr = corrupted_so_far[src] < CORRUPTED_PER_REGION
        if with_corr:
            corrupted_so_far[src] += 1
        own = [src] if src != NON_GEO_REGION else []
        full = sorted(set(own + EXTRA_DEFAULT_REGIONS))
        for shape, s in render(num, rng, with_corr):
            assert "\t" not in s and "\n" not in s and "\r" not in s, repr(s)
            if all_regions or shape not in THINNED_SHAPES:
                regions = full
            else:
                k = (idx + THINNED_SHAPES.index(shape)) % len(ROTATING_REGIONS)
                regions = sorted(set(own + ["", ROTATING_REGIONS[k]]))
            for region in regions:
                key = (s, region)
                val = (SHAPES.index(shape), src)
                # Identical (input, region) pairs from several sources: keep
                # the earliest shape in SHAPES order (so a real e164 beats a
                # corrupted input that happens to equal it), then the smallest
                # source region.
                if key not in cases or val < cases[key]:
                    cases[key] = val
    rows = []
    for (s, region), (shape_idx, src) in cases.items():
        expected, typ = verdict(s, region)
        rows.append((s, region, SHAPES[shape_idx], src, expected, typ))
    rows.sort()
    return examples, rows


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

HEADER = ("input", "region", "shape", "source_region", "expected", "type")


def write_atomic(path: str, text: str):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def summary_table(rows):
    per = collections.OrderedDict((s, [0, 0]) for s in SHAPES)
    for r in rows:
        per[r[2]][0 if r[4] != "invalid" else 1] += 1
    lines = ["| shape | cases | valid | invalid |", "| --- | ---: | ---: | ---: |"]
    tv = ti = 0
    for shape, (v, i) in per.items():
        lines.append("| %s | %d | %d | %d |" % (shape, v + i, v, i))
        tv += v
        ti += i
    lines.append("| **total** | **%d** | **%d** | **%d** |" % (tv + ti, tv, ti))
    return "\n".join(lines)


BEGIN = "<!-- counts:begin (generated by scripts/golden/gen_corpus.py) -->"
END = "<!-- counts:end -->"


def update_readme(path: str, examples, rows):
    """Replace the block between the count markers in the README, if present."""
    if not os.path.exists(path):
        print("note: %s not found, counts not written" % path, file=sys.stderr)
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        print("note: count markers not in %s, left alone" % path, file=sys.stderr)
        return
    n_src = len({src for src, _ in examples})
    block = "\n".join(
        [
            BEGIN,
            "",
            "phonenumbers %s: %d example numbers from %d source regions "
            "(incl. `001`), %d cases." % (phonenumbers.__version__, len(examples), n_src, len(rows)),
            "",
            summary_table(rows),
            "",
            END,
        ]
    )
    head, _, tail = text.partition(BEGIN)
    _, _, tail = tail.partition(END)
    write_atomic(path, head + block + tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="corpus TSV to write")
    ap.add_argument("--readme", help="README whose count block to refresh")
    ap.add_argument(
        "--all-regions",
        action="store_true",
        help="parse every shape under all default regions (no thinning of "
        "the '+CC' re-formattings; ~81k cases, ~4.4 MB)",
    )
    args = ap.parse_args()

    if phonenumbers.__version__ != EXPECTED_PHONENUMBERS_VERSION:
        sys.exit(
            "phonenumbers %s installed, %s expected (see requirements.txt)"
            % (phonenumbers.__version__, EXPECTED_PHONENUMBERS_VERSION)
        )

    examples, rows = build_cases(args.all_regions)
    out = ["\t".join(HEADER)]
    out.extend("\t".join(r) for r in rows)
    write_atomic(args.out, "\n".join(out) + "\n")
    if args.readme:
        update_readme(args.readme, examples, rows)

    n_valid = sum(1 for r in rows if r[4] != "invalid")
    print("phonenumbers %s, %d example numbers" % (phonenumbers.__version__, len(examples)))
    print(summary_table(rows))
    print("wrote %d cases (%d valid, %d invalid) to %s" % (len(rows), n_valid, len(rows) - n_valid, args.out))


if __name__ == "__main__":
    main()
