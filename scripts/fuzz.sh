#!/usr/bin/env bash
# Fuzz the engine with cargo-fuzz (libFuzzer), one target after another.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 60 s, every target)
#   scripts/fuzz.sh 20                                     (a CI-sized smoke run)
#   scripts/fuzz.sh 300 normalise
#
# Targets (fuzz/fuzz_targets/, checks in fuzz/checks.rs): pipeline, normalise, profile.
#
# Each target runs under `nice -n 10` with -max_total_time=SECONDS, -rss_limit_mb=2048 and
# -timeout=10 (an input slower than 10 s is reported as a hang) and the dictionary
# fuzz/dict/<target>.dict. It starts from the committed seeds, fuzz/corpus/<target>/, and
# grows fuzz/corpus-work/<target>/ (not committed), so the seeds stay small. Prints per
# target: runs, exec/s, coverage, corpus and the crashes found, which libFuzzer writes to
# fuzz/artifacts/<target>/ (logs in fuzz/logs/). Exits 1 when
# any target crashed, hung or ran out of memory (2 on a usage or toolchain error).
#
# Toolchain: cargo-fuzz needs nightly. With rustup's nightly installed it runs
# `cargo +nightly fuzz`; without it, it says so and falls back to stable with
# RUSTC_BOOTSTRAP=1 (which lets stable rustc take the -Z sanitizer flags cargo-fuzz passes).
# cargo-fuzz itself is installed from crates.io (`cargo install cargo-fuzz --locked`) when
# missing. Idempotent: rerun freely.
#
# Environment:
#   FUZZ_SANITIZER  none (default) | address. The code under test is safe Rust, so panics
#                   (with debug assertions and overflow checks on, as cargo-fuzz builds) are
#                   what we hunt; AddressSanitizer costs several times the exec/s for the
#                   unsafe code inside dependencies. Builds go to
#                   fuzz/target/<toolchain>-<sanitizer>/, so switching rebuilds neither.
#   FUZZ_ARGS       extra libFuzzer arguments, e.g. "-jobs=2 -workers=2" or "-only_ascii=1"
#   FUZZ_TOOLCHAIN  force a toolchain: nightly | stable-bootstrap

set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

ALL_TARGETS=(pipeline normalise profile)
SECONDS_PER_TARGET="${1:-60}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]  (targets: ${ALL_TARGETS[*]})" >&2
    exit 2
fi
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
    if [ ! -f "fuzz/fuzz_targets/$t.rs" ]; then
        echo "fuzz.sh: no target '$t' (targets: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done

# Largest input libFuzzer generates, per target: a phone cell is short (phonescrub cuts
# at 128 bytes, the crate is called on the whole cell); lists need room for rows, and the
# workbook seeds (up to 17.5 KB, the .ods) must fit whole.
max_len() {
    case "$1" in
        normalise) echo 512 ;;
        *) echo 20480 ;;
    esac
}

SANITIZER="${FUZZ_SANITIZER:-none}"

# --- toolchain ---------------------------------------------------------------------------
TOOLCHAIN="${FUZZ_TOOLCHAIN:-}"
if [ -z "$TOOLCHAIN" ]; then
    if command -v rustup >/dev/null && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        TOOLCHAIN=nightly
    else
        cat >&2 <<'EOF'
fuzz.sh: no nightly Rust toolchain: cargo-fuzz needs nightly (-Z sanitizer flags).
         Install one with `rustup toolchain install nightly`. Falling back to stable with
         RUSTC_BOOTSTRAP=1, which unlocks nightly flags on a stable compiler.
EOF
        TOOLCHAIN=stable-bootstrap
    fi
fi
CARGO=(cargo)
case "$TOOLCHAIN" in
    nightly) CARGO=(cargo +nightly) ;;
    stable-bootstrap)
        export RUSTC_BOOTSTRAP=1
        if command -v rustup >/dev/null; then CARGO=(cargo +stable); fi
        ;;
    *) echo "fuzz.sh: FUZZ_TOOLCHAIN must be nightly or stable-bootstrap" >&2; exit 2 ;;
esac

# One build directory per toolchain and sanitizer, so switching rebuilds neither.
TARGET_DIR="fuzz/target/$TOOLCHAIN-$SANITIZER"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io (cargo install cargo-fuzz --locked)"
    nice -n 10 cargo install cargo-fuzz --locked
fi

echo "fuzz.sh: $("${CARGO[@]}" --version) ($TOOLCHAIN), $(cargo fuzz --version), sanitizer $SANITIZER"

# --- build (not counted in the fuzzing time) ---------------------------------------------
mkdir -p fuzz/logs
build_start=$(date +%s)
# cargo fuzz build takes one target (or none: all of them).
build_args=()
[ ${#TARGETS[@]} -eq ${#ALL_TARGETS[@]} ] || build_args=("${TARGETS[@]}")
: >fuzz/logs/build.log
for t in "${build_args[@]:-}"; do
    if ! nice -n 10 "${CARGO[@]}" fuzz build -s "$SANITIZER" --target-dir "$TARGET_DIR" ${t:+"$t"} >>fuzz/logs/build.log 2>&1; then
        tail -30 fuzz/logs/build.log >&2
        echo "fuzz.sh: build failed (log: fuzz/logs/build.log)" >&2
        exit 2
    fi
done
echo "fuzz.sh: built in $(( $(date +%s) - build_start )) s"

# --- run ---------------------------------------------------------------------------------
stat_of() { # stat_of NAME LOG -> the value of libFuzzer's final "stat::NAME: value"
    sed -n "s/^stat::$1: *//p" "$2" | tail -1
}

failed=0
summary=()
for t in "${TARGETS[@]}"; do
    work="fuzz/corpus-work/$t"
    artifacts="fuzz/artifacts/$t"
    log="fuzz/logs/$t.log"
    mkdir -p "$work" "fuzz/corpus/$t" "$artifacts"
    dict=()
    [ ! -f "fuzz/dict/$t.dict" ] || dict=(-dict="fuzz/dict/$t.dict")
    marker=$(mktemp)
    echo "fuzz.sh: $t for ${SECONDS_PER_TARGET} s (log: $log)"
    start=$(date +%s)
    set +e
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of words on purpose
    nice -n 10 "${CARGO[@]}" fuzz run -s "$SANITIZER" --target-dir "$TARGET_DIR" "$t" "$work" "fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
        -max_len="$(max_len "$t")" -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix="$ROOT/$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    set -e
    elapsed=$(( $(date +%s) - start ))
    runs=$(stat_of number_of_executed_units "$log")
    rate=$(stat_of average_exec_per_sec "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
    mapfile -t found < <(find "$artifacts" -maxdepth 1 -type f -newer "$marker" \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    rm -f "$marker"
    status=ok
    if [ "$rc" -ne 0 ] || [ ${#found[@]} -gt 0 ]; then
        status="FAILED (exit $rc)"
        failed=1
        { grep -m1 -A1 "panicked at" "$log" || grep -m1 -E "ERROR: libFuzzer|==ERROR" "$log" ||
            tail -20 "$log"; } >&2
    fi
    line=$(printf '%-10s %5ss  runs %-10s exec/s %-7s cov %-6s ft %-6s corpus %-10s crashes %d  %s' \
        "$t" "$elapsed" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
        "${#found[@]}" "$status")
    echo "$line"
    summary+=("$line")
    for f in "${found[@]}"; do
        echo "    $f   (replay: ${CARGO[*]} fuzz run -s $SANITIZER --target-dir $TARGET_DIR $t $f)"
        summary+=("    $f")
    done
done

echo
echo "fuzz.sh summary (${SECONDS_PER_TARGET} s per target; artifacts in fuzz/artifacts/<target>/):"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: crashes found: copy each to tests/fixtures/fuzz/<target>/ (see its README)" >&2
    exit 1
fi
