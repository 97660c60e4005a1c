#!/usr/bin/env bash
# Regenerate tests/fixtures/golden/corpus.tsv from libphonenumber (Python port
# `phonenumbers`, pinned in requirements.txt).  Idempotent; works from any cwd.
#
#   scripts/golden/regen.sh            # venv in target/golden-venv, then generate
#   PYTHON=python3.11 scripts/golden/regen.sh
#
# Extra arguments are passed to gen_corpus.py (e.g. --all-regions).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
venv="target/golden-venv"
req="scripts/golden/requirements.txt"
stamp="$venv/.requirements.sha256"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating venv in $venv" >&2
    mkdir -p target
    "$python" -m venv "$venv"
fi

# (Re)install only when requirements.txt changed since the last install.
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi

export PYTHONHASHSEED=0
"$venv/bin/python" scripts/golden/gen_corpus.py \
    --out tests/fixtures/golden/corpus.tsv \
    --readme tests/fixtures/golden/README.md \
    "$@"
