#!/usr/bin/env python3
"""Writes the committed seed corpora, fuzz/corpus/<target>/ (deterministic; rerun freely).

Sources: the fixture lists (tests/fixtures/lists/), a fixed sample of the golden corpus's
input column (tests/fixtures/golden/corpus.tsv), the phonenumber crate's known crash inputs
(issue #43, the two RFC 3966 advisories and the crafted inputs upstream tests around them),
the vendored crate's own test examples, RFC 3966 / length / '+' edge cases, and the
workbooks of tests/fixtures/sheets/ (.xlsx, .xls, .ods), whole.

Input layouts are those of fuzz/checks.rs: normalise = region byte + cell; pipeline =
policy byte + opt-out-length byte + list (policy byte >= 240: policy JSON, NUL, list);
profile = selector byte + file.

An input that crashes is not a seed (libFuzzer would stop on it while loading the corpus):
it belongs in tests/fixtures/fuzz/ (see tests/fuzz_regressions.rs). EXCLUDE lists those.
"""

import csv
import hashlib
import io
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTS = os.path.join(ROOT, "tests", "fixtures", "lists")
SHEETS = os.path.join(ROOT, "tests", "fixtures", "sheets")
GOLDEN = os.path.join(ROOT, "tests", "fixtures", "golden", "corpus.tsv")
OUT = os.path.join(ROOT, "fuzz", "corpus")

# Same order as checks::REGIONS.
REGIONS = ["", "US", "GB", "DE", "FR", "IN", "BR", "RU", "CN", "JP", "NZ", "AU"]
RAW_POLICY = 240  # checks::RAW_POLICY_FROM

# Inputs (as normalise cells) that crash today: kept out of the seeds, see
# tests/fixtures/fuzz/. Filled in from the replay test's findings.
EXCLUDE = set()

KNOWN_CRASH_INPUTS = [
    # whisperfish/rust-phonenumber issue 43 (natural.rs unwrap on None).
    "  2 22#:",
    " 2 22#:",
    # issue 32: unknown region for a number (validator.rs unwrap), under CH in the report.
    "003-836-4618x3001",
    # The two RFC 3966 advisories (GHSA-whhr-7f2w-qqj2, GHSA-mjw4-jj88-v687) and the
    # crafted inputs around them (empty components, multibyte at slice boundaries).
    ".;phone-context=",
    "+dwPAA;phone-context=AA",
    ";phone-context=",
    "tel:;phone-context=+",
    "tel:+;phone-context=",
    "+;phone-context=",
    "tel:;phone-context=",
    "+;phone-context=\u00e9",
    "tel:\u00e9;phone-context=+\u00e9",
    "+1;phone-context=\u00e9\u00e9\u00e9",
    "+\u0080;phone-context=",
    "tel:0;phone-context=+\U00010000",
    "+\U0001F4A9;phone-context=\U0001F4A9",
    "tel:+\uFF1Bphone-context=",
    "+\uFFFC;phone-context=\uFFFC",
    # Upstream proptest regressions.
    "-;phone-context=\u03a3",
    "+3a;phone-context=AAa0a",
    # Other implementations' phone-context ordering bugs (tel: after the context).
    "5;phone-context=+1;tel:x",
    ";phone-context=example.com;tel:1234",
]

RFC3966_AND_EDGES = [
    "tel:+1-201-555-0123;phone-context=",
    "tel:1234;phone-context=+",
    ";phone-context=+1;phone-context=",
    "+1;ext=",
    "tel:+1-201-555-0123;ext=1;phone-context=+1",
    "tel:+44-121-294-1091;ext=12",
    "tel:03-331-6005;phone-context=+64",
    "tel:331-6005;phone-context=+64-3",
    "tel:03-331-6005;phone-context=+64;a=%A1",
    "tel:03-331-6005;isub=12345;phone-context=+64",
    "tel:+64-3-331-6005;isub=12345",
    "03-331-6005;phone-context=+64",
    "tel:2034567890;ext=456;phone-context=+44",
    "tel:+64-3-331-6005;ext=1235",
    "tel:7042;phone-context=example.com",
    "tel:+;ext=;phone-context=+;isub=",
    "TEL:+44 121 294 1091",
    "tel:",
    "tel:+",
    "+",
    "++",
    "+" * 64,
    "+" * 200,
    "+1" * 40,
    "+-+-+-+1",
    "1" * 17,
    "1" * 40,
    "9" * 128,
    "9" * 129,
    "0" * 300,
    "+" + "9" * 250,
    "+1 " + "2" * 1000,
    "0" * 20 + "1",
    "+00000000000000000000000000001",
    "+44 (0)121 294 1091",
    "+44 121 294 1091 ext. 12345678901234567890",
    "+44 121 294 1091 x",
    "+44 121 294 1091 #",
    "\uff0b\uff14\uff14 \uff11\uff12\uff11 \uff12\uff19\uff14 \uff11\uff10\uff19\uff11",
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "'+441212941091",
    "=HYPERLINK(\"http://x\")",
    "\ufeff+441212941091",
    "\u00a0+44\u00a0121\u00a0294\u00a01091",
    "011 44 121 260 5333",
    "+01164 3 331 6005",
    "+ 00 64 3 331 6005",
    "+0064 3 331 6005",
    "64(0)64123456",
    "18446744073709551616",
    "+18446744073709551616",
    "+999999999999999999999",
]

# The vendored crate's own examples (its README's example takes the number from the
# command line, so these come from its tests).
CRATE_EXAMPLES = [
    ("NZ", "033316005"),
    ("NZ", "33316005"),
    ("NZ", "03-331 6005"),
    ("NZ", "03 331 6005"),
    ("NZ", "0064 3 331 6005"),
    ("US", "01164 3 331 6005"),
    ("US", "+64 3 331 6005"),
    ("NZ", "64(0)64123456"),
    ("DE", "301/23456"),
    ("JP", "+81 *2345"),
    ("NZ", "12"),
    ("BR", "012 3121286979"),
    ("US", "someletters1110@gmail.com"),
    ("US", "650 253 0000 extn. 4567"),
    ("CH", "003-836-4618x3001"),
    ("US", "+49-1512-5682891"),
    ("RU", "8 (800) 555-35-35"),
    ("GB", "0121 294 1091"),
]


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def region_byte(region):
    return REGIONS.index(region) if region in REGIONS else 0


def golden_rows():
    with open(GOLDEN, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [row for row in reader]


def main():
    rng = random.Random(20250630)
    rows = golden_rows()

    # normalise: golden sample (its region when in REGIONS), known crashes, edges.
    sample = rng.sample(rows, 300)
    for inp, region, *_ in sample:
        if inp not in EXCLUDE:
            write("normalise", bytes([region_byte(region)]) + inp.encode("utf-8"))
    for text in KNOWN_CRASH_INPUTS + RFC3966_AND_EDGES:
        if text in EXCLUDE:
            continue
        for region in ["", "US", "GB", "NZ"]:
            write("normalise", bytes([region_byte(region)]) + text.encode("utf-8"))
    for region, text in CRATE_EXAMPLES:
        if text not in EXCLUDE:
            write("normalise", bytes([region_byte(region)]) + text.encode("utf-8"))

    # pipeline / profile: the fixture lists under fitting policies.
    fixtures = {}
    for name in sorted(os.listdir(LISTS)):
        with open(os.path.join(LISTS, name), "rb") as f:
            fixtures[name] = f.read()
    lists = [n for n in fixtures if not n.endswith(".json")]
    # checks::POLICIES indices that fit the fixtures' columns (name, phone, consent,
    # consent_date, last_contact[, notes]).
    for name in lists:
        for policy in [0, 2, 3, 4, 7, 10, 11]:
            write("pipeline", bytes([policy, 40]) + fixtures[name])
        for selector in [0, 1, 2, 0x15, 0x2a]:
            write("profile", bytes([selector]) + fixtures[name])
    write(
        "pipeline",
        bytes([RAW_POLICY, 60])
        + fixtures["every_reason.policy.json"]
        + b"\0"
        + fixtures["every_reason.csv"],
    )

    # Lists built from the golden sample: phone, country, consent, dates; with some
    # duplicates so dedupe and opt-outs match.
    consent = ["yes", "no", "Y", "opted in", "", "Maybe", "ja"]
    dates = ["2025-01-10", "30/06/2024", "06/30/2024", "2019-01-01", "", "not a date"]
    for k in range(6):
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["phone", "country", "consent", "consent_date", "last_contact"])
        picked = rng.sample(rows, 25)
        picked += picked[:3]
        for inp, region, _shape, source, *_ in picked:
            w.writerow(
                [inp, rng.choice([region, source, "United Kingdom", "USA", ""]),
                 rng.choice(consent), rng.choice(dates), rng.choice(dates)]
            )
        data = out.getvalue().encode("utf-8")
        for policy in [k, 5, 10, 11]:
            write("pipeline", bytes([policy, 80]) + data)
        write("profile", bytes([k]) + data)
    raw = b'{"phoneColumn":"phone","regionColumn":"country","consent":{"column":"consent"}}'
    write("pipeline", bytes([RAW_POLICY + 1, 0]) + raw + b"\0" + data)

    # Workbooks (.xlsx, .xls, .ods made by LibreOffice and openpyxl): whole (no opt-out
    # tail cut off them), under their own policy and the fixed ones, so the fuzzer starts
    # inside calamine's zip, XML and OLE2 readers rather than at their magic bytes.
    with open(os.path.join(SHEETS, "contacts.policy.json"), "rb") as f:
        sheet_policy = f.read().strip()
    for name in sorted(os.listdir(SHEETS)):
        if not name.endswith((".xlsx", ".xls", ".ods")):
            continue
        with open(os.path.join(SHEETS, name), "rb") as f:
            book = f.read()
        write("pipeline", bytes([RAW_POLICY, 0]) + sheet_policy + b"\0" + book)
        for policy in [0, 2, 7]:
            write("pipeline", bytes([policy, 0]) + book)
        write("profile", bytes([0]) + book)


if __name__ == "__main__":
    main()
