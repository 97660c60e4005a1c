#!/usr/bin/env bash
# Build the release WebAssembly module the page loads, into www/pkg/.
#
#   bash scripts/build-wasm.sh          (make build / make run / make test call it)
#
# 1. wasm-pack build --target web --release --out-dir www/pkg --no-pack
#    (Cargo.toml turns off wasm-pack's own wasm-opt, which would try to download binaryen)
# 2. wasm-opt -Oz from the npm package binaryen (node_modules/.bin/wasm-opt), if present;
#    the result is kept only if it still validates.
# 3. Prints the module size before/after wasm-opt and gzipped.
#
# Skips everything when www/pkg was built after the last change to src/, Cargo.toml,
# Cargo.lock, vendor/ or this script. PHONESCRUB_FORCE_BUILD=1 rebuilds anyway.
# Expects scripts/setup.sh to have run (make does that first).

set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

OUT=www/pkg
WASM="$OUT/phonescrub_bg.wasm"
STAMP="$OUT/.build-stamp"
WASM_OPT=node_modules/.bin/wasm-opt
# The post-MVP features rustc's wasm32 target emits (and every current browser supports);
# naming them keeps wasm-opt from either rejecting the module or adding others.
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)

trap 'echo "build-wasm: FAILED (exit $?, scripts/build-wasm.sh line $LINENO)" >&2' ERR

inputs=(src Cargo.toml Cargo.lock scripts/build-wasm.sh)
for extra in vendor build.rs; do [ -e "$extra" ] && inputs+=("$extra"); done

if [ "${PHONESCRUB_FORCE_BUILD:-0}" != 1 ] && [ -f "$STAMP" ] && [ -f "$WASM" ] && [ -f "$OUT/phonescrub.js" ]; then
    newer="$(find "${inputs[@]}" -newer "$STAMP" -print -quit)"
    if [ -z "$newer" ]; then
        echo "build-wasm: $WASM is up to date ($(stat -c %s "$WASM") bytes); skipping (PHONESCRUB_FORCE_BUILD=1 rebuilds)"
        exit 0
    fi
    echo "build-wasm: $newer changed since the last build; rebuilding"
fi

t0=$SECONDS
rm -f "$STAMP"
# Stamp with the start time, so an edit made during the build triggers the next one.
mkdir -p target
started=target/build-wasm.started
touch "$started"
echo "build-wasm: wasm-pack build --target web --release ($PHONESCRUB_ROUTE toolchain: $(rustc --version))"
wasm-pack build --target web --release --out-dir "$OUT" --no-pack < /dev/null
[ -f "$WASM" ] || { echo "build-wasm: wasm-pack finished but $WASM is missing" >&2; exit 1; }
echo "build-wasm: wasm-pack took $((SECONDS - t0)) s"

validates() {
    node -e 'process.exit(WebAssembly.validate(require("fs").readFileSync(process.argv[1])) ? 0 : 1)' "$1"
}

before=$(stat -c %s "$WASM")
if [ -x "$WASM_OPT" ]; then
    t1=$SECONDS
    tmp="$WASM.opt.tmp"
    "$WASM_OPT" -Oz "${WASM_OPT_FEATURES[@]}" "$WASM" -o "$tmp"
    if validates "$tmp"; then
        mv "$tmp" "$WASM"
        echo "build-wasm: wasm-opt -Oz ($("$WASM_OPT" --version)) took $((SECONDS - t1)) s"
    else
        rm -f "$tmp"
        echo "build-wasm: WARNING: wasm-opt output does not validate; keeping the unoptimised module" >&2
    fi
else
    echo "build-wasm: WARNING: $WASM_OPT not found (run scripts/setup.sh); module left unoptimised" >&2
fi
after=$(stat -c %s "$WASM")
gz=$(gzip -9 -c "$WASM" | wc -c)

mv "$started" "$STAMP"
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
echo "build-wasm: $WASM  before wasm-opt $before bytes ($(kib "$before")), after $after bytes ($(kib "$after")), gzipped $gz bytes ($(kib "$gz"))"
echo "build-wasm: done in $((SECONDS - t0)) s"
