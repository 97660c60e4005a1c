#!/usr/bin/env bash
# Makes the spreadsheet fixtures in tests/fixtures/sheets/ with other programs, so the
# tests read files as real spreadsheet software writes them. The files are committed;
# the tests need neither LibreOffice nor Python. Run it again only to change them.
#
#   apt-get install -y libreoffice-calc-nogui   (Debian 12: LibreOffice 7.4)
#   pip install openpyxl                         (3.1)
#   bash scripts/make-sheet-fixtures.sh
#
# 1. LibreOffice (headless) opens contacts.csv as a user would (comma-separated, UTF-8,
#    default column types) and saves it as .xlsx, .xls and .ods. Its import does to the
#    phone column what Excel does: "+447400123456" and "07400123457" become the number
#    cells 447400123456 and 7400123457 (the + and the leading 0 lost), dates become date
#    cells.
# 2. openpyxl writes excel_mangled.xlsx: two sheets ("Read me" first, then "Contacts"),
#    a numeric phone column, phone text in scientific notation as Excel shows it, one
#    with digits lost to precision, a date cell and a boolean.

set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=tests/fixtures/sheets
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v soffice > /dev/null || { echo "make-sheet-fixtures: soffice not found (apt-get install libreoffice-calc-nogui)" >&2; exit 1; }
python3 -c 'import openpyxl' || { echo "make-sheet-fixtures: pip install openpyxl" >&2; exit 1; }

# CSV import: comma (44), double quote (34), UTF-8 (76), from line 1.
for target in 'xlsx:Calc MS Excel 2007 XML' 'xls:MS Excel 97' 'ods:calc8'; do
    soffice --headless -env:UserInstallation="file://$work/profile" \
        --infilter='CSV:44,34,76,1' --convert-to "$target" --outdir "$work" "$DIR/contacts.csv" > /dev/null
done
cp "$work/contacts.xlsx" "$work/contacts.xls" "$work/contacts.ods" "$DIR/"

python3 - "$DIR/excel_mangled.xlsx" << 'EOF'
import datetime
import sys

import openpyxl

wb = openpyxl.Workbook()
notes = wb.active
notes.title = "Read me"
notes.append(["Exported from the CRM; the contacts are on the next sheet."])
sheet = wb.create_sheet("Contacts")
sheet.append(["Name", "Phone", "Opt-in", "Signed up"])
rows = [
    ("Ann", 447400123456, "yes"),           # number cell: the + is gone
    ("Bob", 7400123457, "yes"),             # number cell: the leading 0 is gone
    ("Cy", "4.47400123458E+11", "yes"),     # text as Excel shows a long number: every digit there
    ("Di", "1.20155501E+10", "yes"),        # text with digits lost to precision
    ("Ed", 16502530000, True),              # another country's number, + gone; a boolean consent
    ("Fi", "+44 7400 123459", "yes"),       # text, as it should be
    ("Gus", 447400123456, "yes"),           # the same number as Ann
]
for name, phone, consent in rows:
    sheet.append([name, phone, consent, datetime.date(2025, 1, 10)])
for row in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
    row[0].number_format = "yyyy-mm-dd"
# Fixed metadata, so the file changes only when its content does.
wb.properties.creator = "phonescrub fixtures"
wb.properties.created = wb.properties.modified = datetime.datetime(2025, 1, 1)
wb.save(sys.argv[1])
EOF

# far-cell.xlsx: contacts.xlsx with one more cell, at XFD1048576, the last there is: a
# 5 KB file whose cells span 17 billion (calamine's Range::from_sparse allocated them all
# until vendor/calamine PATCHES.md 11). (far-cells.xls is the fuzzer's .xls of the same
# kind: tests/fixtures/fuzz/profile/xls-cells-far-apart-oom-04fe52e9 without its first
# byte.)
python3 - "$DIR/contacts.xlsx" "$DIR/far-cell.xlsx" << 'EOF'
import sys
import zipfile

src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED)
for item in src.infolist():
    data = src.read(item.filename)
    if item.filename == "xl/worksheets/sheet1.xml":
        far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
        data = data.replace(b"</sheetData>", far + b"</sheetData>")
    info = zipfile.ZipInfo(item.filename, date_time=(2025, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    dst.writestr(info, data)
dst.close()
EOF

ls -l "$DIR"
