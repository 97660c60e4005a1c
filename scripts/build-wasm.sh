#!/usr/bin/env bash
# Build the release WebAssembly modules the page loads:
#   www/pkg/       the core engine (cargo --no-default-features: UTF-8 CSV in and out,
#                  hashing), loaded at start;
#   www/pkg-full/  the full engine (default features: also spreadsheets, passphrase
#                  encryption, UTF-16 and windows-1252 text), loaded by www/worker.js only
#                  when a job needs it.
#
#   bash scripts/build-wasm.sh          (make build / make run / make test call it)
#
# For each:
# 1. wasm-pack build --target web --release --out-dir DIR --no-pack [-- --no-default-features]
#    (Cargo.toml turns off wasm-pack's own wasm-opt, which would try to download binaryen)
# 2. wasm-opt -Oz (without its memory-packing pass, see below) from the npm package
#    binaryen (node_modules/.bin/wasm-opt), if present;
#    the result is kept only if it still validates.
# 3. Prints the module size before/after wasm-opt and gzipped.
#
# Skips everything when both were built after the last change to src/, Cargo.toml,
# Cargo.lock, vendor/ or this script. PHONESCRUB_FORCE_BUILD=1 rebuilds anyway.
# Expects scripts/setup.sh to have run (make does that first).

set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

OUT=www/pkg
FULL=www/pkg-full
WASM="$OUT/phonescrub_bg.wasm"
FULL_WASM="$FULL/phonescrub_bg.wasm"
STAMP="$OUT/.build-stamp"
WASM_OPT=node_modules/.bin/wasm-opt
# The post-MVP features rustc's wasm32 target emits (and every current browser supports),
# with SIMD, which .cargo/config.toml turns on; naming them keeps wasm-opt from either
# rejecting the module or adding others.
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd)

trap 'echo "build-wasm: FAILED (exit $?, scripts/build-wasm.sh line $LINENO)" >&2' ERR

inputs=(src Cargo.toml Cargo.lock .cargo scripts/build-wasm.sh)
for extra in vendor build.rs; do [ -e "$extra" ] && inputs+=("$extra"); done

if [ "${PHONESCRUB_FORCE_BUILD:-0}" != 1 ] && [ -f "$STAMP" ] && [ -f "$WASM" ] && [ -f "$OUT/phonescrub.js" ] \
    && [ -f "$FULL_WASM" ] && [ -f "$FULL/phonescrub.js" ]; then
    newer="$(find "${inputs[@]}" -newer "$STAMP" -print -quit)"
    if [ -z "$newer" ]; then
        echo "build-wasm: $WASM ($(stat -c %s "$WASM") bytes) and $FULL_WASM ($(stat -c %s "$FULL_WASM") bytes) are up to date; skipping (PHONESCRUB_FORCE_BUILD=1 rebuilds)"
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

validates() {
    node -e 'process.exit(WebAssembly.validate(require("fs").readFileSync(process.argv[1])) ? 0 : 1)' "$1"
}
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }

# build_one DIR LABEL [cargo args...]: wasm-pack, then wasm-opt, then the sizes.
build_one() {
    local out="$1" label="$2" t1 before after gz tmp
    shift 2
    local wasm="$out/phonescrub_bg.wasm"
    t1=$SECONDS
    echo "build-wasm: $label: wasm-pack build --target web --release --out-dir $out${*:+ -- $*} ($PHONESCRUB_ROUTE toolchain: $(rustc --version))"
    wasm-pack build --target web --release --out-dir "$out" --no-pack ${1:+-- "$@"} < /dev/null
    [ -f "$wasm" ] || { echo "build-wasm: wasm-pack finished but $wasm is missing" >&2; exit 1; }
    echo "build-wasm: $label: wasm-pack took $((SECONDS - t1)) s"
    before=$(stat -c %s "$wasm")
    if [ -x "$WASM_OPT" ]; then
        t1=$SECONDS
        tmp="$wasm.opt.tmp"
        # Without memory-packing: that pass cuts every run of zeros out of the data into
        # segments of their own, which saved 64 KB of module but cost 4.9 KB gzipped (the
        # core with the validity tables: 604,768 bytes gzipped with it, 599,915 without).
        "$WASM_OPT" -Oz --skip-pass=memory-packing "${WASM_OPT_FEATURES[@]}" "$wasm" -o "$tmp"
        if validates "$tmp"; then
            mv "$tmp" "$wasm"
            echo "build-wasm: $label: wasm-opt -Oz ($("$WASM_OPT" --version)) took $((SECONDS - t1)) s"
        else
            rm -f "$tmp"
            echo "build-wasm: WARNING: wasm-opt output does not validate; keeping the unoptimised $wasm" >&2
        fi
    else
        echo "build-wasm: WARNING: $WASM_OPT not found (run scripts/setup.sh); $wasm left unoptimised" >&2
    fi
    after=$(stat -c %s "$wasm")
    gz=$(gzip -9 -c "$wasm" | wc -c)
    sizes+=("build-wasm: $label $wasm  before wasm-opt $before bytes ($(kib "$before")), after $after bytes ($(kib "$after")), gzipped $gz bytes ($(kib "$gz"))")
}

sizes=()
build_one "$OUT" core --no-default-features
build_one "$FULL" full
printf '%s\n' "${sizes[@]}"

mv "$started" "$STAMP"
echo "build-wasm: done in $((SECONDS - t0)) s"
