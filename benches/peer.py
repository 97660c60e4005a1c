#!/usr/bin/env python3
"""The Python peer: what a data engineer would write with the standard csv module and
phonenumbers (Google's libphonenumber, ported), doing the same scrub as phonescrub under
benches/policy.json, streaming: normalise + validate (E.164), consent (values and age),
opt-out (the list, and numbers another row refuses, found by a first pass as phonescrub
does), retention, dedupe, and the cleaned and removed CSVs written formula-safe. The
same rules as the JS peer (benches/browser/peer-worker.js), line for line.

    python3 benches/peer.py LIST OPTOUT POLICY CLEANED REMOVED   # prints the report (JSON)

benches/run.mjs runs it under /usr/bin/time -v in a venv with phonenumbers pinned.
"""
import csv
import json
import re
import sys
import time
from datetime import datetime, timezone

import phonenumbers

DEFAULT_GRANTED = ['yes', 'y', 'true', 't', '1', 'x', 'opt-in', 'optin', 'opt in', 'opted in', 'opted-in',
                   'granted', 'consent', 'consented', 'subscribed', 'agreed', 'accepted', 'ja', 'oui', 'si', 'sí']
DAY = 86400
DIGIT = re.compile('[0-9\uff10-\uff19]')
ISO = re.compile(r'^\s*(\d{4})-(\d{2})-(\d{2})')
DMY = re.compile(r'^\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\s*$')
RISKY = re.compile('^[ \u00a0\u3000]*[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]')
E164 = re.compile(r'^\+\d{1,15}$')
SPACE = re.compile(r'\s+')


def key(s):
    return SPACE.sub('', s).lower()


def normalise(raw, region):
    """None (no digit), False (invalid) or the E.164 string."""
    cell = raw.strip()
    if cell.startswith("'"):
        cell = cell[1:]
    if not DIGIT.search(cell):
        return None
    if not region and not cell.startswith('+'):
        return False
    try:
        number = phonenumbers.parse(cell, region)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(number):
        return False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(cell, fallback):
    code = cell.strip().upper()
    return code if len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS else fallback


def parse_date(cell):
    m = ISO.match(cell)
    try:
        if m:
            return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=timezone.utc).timestamp()
        s = DMY.match(cell)
        if not s:
            return None
        year = int(s[3])
        if len(s[3]) == 2:
            year += 2000 if year < 70 else 1900
        return datetime(year, int(s[2]), int(s[1]), tzinfo=timezone.utc).timestamp()  # dmy (GB)
    except ValueError:
        return None


def safe(cell):
    """OWASP CSV injection, with phonescrub's exception for plain E.164."""
    return "'" + cell if RISKY.match(cell) and not E164.match(cell) else cell


def rows_of(path):
    with open(path, newline='', encoding='utf-8') as f:
        for row in csv.reader(f):
            if row:  # empty lines skipped, as papaparse's skipEmptyLines
                yield row


def scrub(list_path, optout_path, policy, cleaned_path, removed_path):
    fallback = policy['defaultRegion']
    granted = {key(v) for v in policy.get('consent', {}).get('granted', DEFAULT_GRANTED)}
    today = datetime.fromisoformat(policy['today']).replace(tzinfo=timezone.utc).timestamp()
    consent_age = policy['consent'].get('maxAgeDays')
    retention_age = policy['retention']['maxAgeDays']

    opted_out = set()
    for row in rows_of(optout_path):
        for cell in row:
            n = normalise(cell, fallback) if cell else None
            if n:
                opted_out.add(n)

    header = None
    col = None

    def columns(row):
        def find(name):
            names = [h.strip().lower() for h in row]
            name = str(name).lower()
            return names.index(name) if name in names else -1
        return {
            'phone': find(policy['phoneColumn']),
            'region': find(policy['regionColumn']) if policy.get('regionColumn') else -1,
            'consent': find(policy['consent']['column']),
            'consent_date': find(policy['consent']['dateColumn']) if policy['consent'].get('dateColumn') else -1,
            'retention': find(policy['retention']['column']),
            'keep': [find(k) for k in policy['keepColumns']],
        }

    # Pass 1: numbers some row refuses.
    refusals = {}
    for row in rows_of(list_path):
        if header is None:
            header = row
            col = columns(row)
            continue
        if len(row) != len(header) or key(row[col['consent']]) in granted:
            continue
        region = region_of(row[col['region']], fallback) if col['region'] >= 0 else fallback
        n = normalise(row[col['phone']], region)
        if n:
            refusals[n] = refusals.get(n, 0) + 1

    # Pass 2: decide and write.
    kept = set()
    counts = {}
    rows_read = rows_kept = 0
    line = 1
    header = None
    with open(cleaned_path, 'w', newline='', encoding='utf-8') as cf, \
            open(removed_path, 'w', newline='', encoding='utf-8') as rf:
        cleaned = csv.writer(cf, quoting=csv.QUOTE_ALL, lineterminator='\n')
        removed = csv.writer(rf, quoting=csv.QUOTE_ALL, lineterminator='\n')
        for row in rows_of(list_path):
            if header is None:
                header = row
                cleaned.writerow([header[i] for i in col['keep']])
                removed.writerow([header[i] for i in col['keep']] + ['line', 'reasons'])
                continue
            rows_read += 1
            line += 1
            reasons = []
            e164 = None
            if len(row) != len(header):
                reasons.append('malformed_row')
            else:
                region = region_of(row[col['region']], fallback) if col['region'] >= 0 else fallback
                n = normalise(row[col['phone']], region)
                if n is None:
                    reasons.append('missing_number')
                elif n is False:
                    reasons.append('invalid_number')
                else:
                    e164 = n
                refuses = key(row[col['consent']]) not in granted
                if refuses:
                    reasons.append('no_consent')
                if consent_age is not None:
                    d = parse_date(row[col['consent_date']]) if col['consent_date'] >= 0 else None
                    if d is None or (today - d) / DAY > consent_age:
                        reasons.append('consent_expired')
                if e164 and (e164 in opted_out or refusals.get(e164, 0) > (1 if refuses else 0)):
                    reasons.append('opted_out')
                last = parse_date(row[col['retention']])
                if last is None or (today - last) / DAY > retention_age:
                    reasons.append('retention_expired')
                if e164:
                    if e164 in kept:
                        reasons.append('duplicate')
                    elif not reasons:
                        kept.add(e164)
            for r in reasons:
                counts[r] = counts.get(r, 0) + 1
            out = [safe(e164 if i == col['phone'] and e164 else (row[i] if i < len(row) else '')) for i in col['keep']]
            if not reasons:
                rows_kept += 1
                cleaned.writerow(out)
            else:
                removed.writerow(out + [str(line), ';'.join(reasons)])
    return {'rowsRead': rows_read, 'rowsKept': rows_kept, 'rowsRemoved': rows_read - rows_kept,
            'reasons': counts, 'distinctNumbers': len(kept)}


def main():
    list_path, optout_path, policy_path, cleaned_path, removed_path = sys.argv[1:6]
    with open(policy_path, encoding='utf-8') as f:
        policy = json.load(f)
    # Ready means the metadata has been used once, as for the others.
    normalise('+441212941091', 'GB')
    started = time.perf_counter()
    report = scrub(list_path, optout_path, policy, cleaned_path, removed_path)
    report['ms'] = (time.perf_counter() - started) * 1000
    print(json.dumps(report))


if __name__ == '__main__':
    main()
