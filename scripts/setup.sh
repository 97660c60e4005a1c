#!/usr/bin/env bash
# phonescrub set-up: installs everything `make run` and `make test` need, and nothing else.
#
#   bash scripts/setup.sh            (make runs it for you before every target)
#
# Idempotent: every step first checks whether its work is already done and prints
# "ok (cached)" if so; a second run takes a few seconds. Steps:
#   1. Debian packages, only those missing: chromium + chromium-driver, firefox-esr (browser tests),
#      nodejs/npm (if node is missing), build-essential/pkg-config (if cc is missing),
#      curl, ca-certificates.
#   2. Rust with a wasm32-unknown-unknown standard library:
#        rustup route  - `rustup target add wasm32-unknown-unknown` (60 s time limit)
#        debian route  - used when rustup is absent or cannot download the target
#                        (machines that reach only package registries): Debian's
#                        rustc-web/cargo-web 1.96 + library source + lld-22 + rustfmt and
#                        clippy, and the wasm32 std built once with -Zbuild-std into
#                        Debian's sysroot.
#      Then rustfmt and clippy (make test runs cargo fmt --check and clippy).
#      The choice is written to target/toolchain.env; scripts/env.sh reads it.
#      PHONESCRUB_TOOLCHAIN=debian forces the Debian route, =rustup forces rustup
#      (and fails if it cannot add the target); unset means try rustup, then Debian.
#   3. wasm-pack, and wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock;
#      rage (pinned), which the page tests use to decrypt encrypted exports.
#   4. npm dev packages (`npm ci`: playwright-core, axe-core, binaryen's wasm-opt).
#
# Output of each step goes to target/setup-logs/<step>.log; on failure its tail is
# printed. PHONESCRUB_SETUP_VERBOSE=1 streams it to the terminal instead.
# Works from any directory, as root or via `sudo -n`, and with no stdin (CI=true).

set -Eeuo pipefail

SETUP_T0=$SECONDS
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export DEBIAN_FRONTEND=noninteractive
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
LOG_DIR="$ROOT/target/setup-logs"
TOOLCHAIN_ENV="$ROOT/target/toolchain.env"
WASM_TARGET=wasm32-unknown-unknown
mkdir -p "$LOG_DIR"

STEP="start"
STEP_T0=$SECONDS
LOG="$LOG_DIR/setup.log"

# ---------------------------------------------------------------------------- helpers

on_error() {
    local rc=$? line=${BASH_LINENO[0]:-?}
    # In a subshell, let the parent report (its command fails in turn).
    [ "$BASHPID" = "$$" ] || return "$rc"
    trap - ERR
    printf '\nsetup: %s ... FAILED (exit %s, scripts/setup.sh line %s)\n' "$STEP" "$rc" "$line" >&2
    if [ -n "$RUN_CMD" ]; then echo "setup: failing command: $RUN_CMD" >&2; fi
    if [ -s "$LOG" ]; then
        echo "setup: last lines of $LOG:" >&2
        tail -n 60 "$LOG" | sed 's/^/    /' >&2
    fi
    echo "setup: set-up stopped at step \"$STEP\"; fix the error above and run it again (finished steps are skipped)." >&2
    exit "$rc"
}
trap on_error ERR

die() {
    # A failure we detected ourselves: explain it, then stop through the same report.
    echo "setup: $STEP: $*" >> "$LOG"
    printf '\nsetup: %s ... FAILED: %s\n' "$STEP" "$*" >&2
    trap - ERR
    exit 1
}

step() {
    STEP="$1"
    STEP_T0=$SECONDS
    LOG="$LOG_DIR/$(printf '%s' "$1" | tr -cs 'A-Za-z0-9._' '-' | sed 's/-$//').log"
    : > "$LOG"
    printf 'setup: %s ... ' "$STEP"
    # Keep the line open while a long step works; close it in done_step.
    if [ "${PHONESCRUB_SETUP_VERBOSE:-0}" = 1 ]; then echo; fi
}

done_step() {
    echo "ok ($*, $((SECONDS - STEP_T0)) s)"
}

# run CMD...: run a command for the current step, output into the step's log.
RUN_CMD=""
run() {
    RUN_CMD="$*"
    echo "+ $*" >> "$LOG"
    if [ "${PHONESCRUB_SETUP_VERBOSE:-0}" = 1 ]; then
        "$@" < /dev/null 2>&1 | tee -a "$LOG"
    else
        "$@" < /dev/null >> "$LOG" 2>&1
    fi
    RUN_CMD=""
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo > /dev/null 2>&1; then
        sudo -n "$@"
    else
        die "needs root to run: $* (run setup as root, or install sudo)"
    fi
}

have_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q 'install ok installed'
}

APT_UPDATED=0
apt_install() {
    command -v apt-get > /dev/null 2>&1 ||
        die "apt-get not found; this set-up installs system packages with Debian's apt. Install by hand: $*"
    if [ "$APT_UPDATED" = 0 ]; then
        run as_root apt-get -o DPkg::Lock::Timeout=600 update
        APT_UPDATED=1
    fi
    run as_root apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
}

# ----------------------------------------------------------- 1. Debian packages

step "system packages (chromium, chromium-driver, firefox-esr, node, cc, curl)"
want=()
# firefox-esr: the page tests run in Firefox too (tests/e2e/firefox.test.mjs).
for pkg in chromium chromium-driver firefox-esr; do
    have_pkg "$pkg" || want+=("$pkg")
done
command -v node > /dev/null 2>&1 || want+=(nodejs)
command -v npm > /dev/null 2>&1 || want+=(npm)
command -v cc > /dev/null 2>&1 || want+=(build-essential pkg-config)
command -v curl > /dev/null 2>&1 || want+=(curl)
[ -s /etc/ssl/certs/ca-certificates.crt ] || want+=(ca-certificates)
if [ "${#want[@]}" = 0 ]; then
    done_step "cached"
else
    apt_install "${want[@]}"
    done_step "installed ${want[*]}"
fi

# ---------------------------------------------------- 2. Rust with a wasm32 std

RUSTUP=""
if command -v rustup > /dev/null 2>&1; then
    RUSTUP="$(command -v rustup)"
elif [ -x "$CARGO_BIN/rustup" ]; then
    RUSTUP="$CARGO_BIN/rustup"
fi

rustup_has_wasm() {
    [ -n "$RUSTUP" ] &&
        "$RUSTUP" target list --installed < /dev/null 2> /dev/null | grep -qx "$WASM_TARGET"
}

# rustfmt-web and rust-web-clippy: make test's native tier runs cargo fmt --check and clippy.
DEBIAN_RUST_PKGS=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 rustfmt-web rust-web-clippy)

debian_rust_installed() {
    local pkg
    for pkg in "${DEBIAN_RUST_PKGS[@]}"; do have_pkg "$pkg" || return 1; done
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ]
}

# The wasm32 std built into Debian's sysroot, stamped with the exact compiler that built
# it (an apt upgrade of rustc-web makes the old rlibs unusable and triggers a rebuild).
debian_sysroot_dir() {
    echo "$(/usr/bin/rustc --print sysroot)/lib/rustlib/$WASM_TARGET/lib"
}
debian_sysroot_ready() {
    [ -x /usr/bin/rustc ] || return 1
    local dir
    dir="$(debian_sysroot_dir)"
    [ -f "$dir/.phonescrub-stamp" ] &&
        [ "$(cat "$dir/.phonescrub-stamp")" = "$(/usr/bin/rustc -vV)" ] &&
        compgen -G "$dir/libstd-*.rlib" > /dev/null &&
        compgen -G "$dir/libtest-*.rlib" > /dev/null
}

recorded_route() {
    if [ -f "$TOOLCHAIN_ENV" ]; then
        sed -n 's/^PHONESCRUB_ROUTE=//p' "$TOOLCHAIN_ENV" | tail -n 1
    fi
}

record_route() {
    local route="$1" version="$2"
    cat > "$TOOLCHAIN_ENV" << EOF
# Written by scripts/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); read by scripts/env.sh.
# rustup: ~/.cargo/bin first in PATH. debian: /usr/bin (rustc-web + wasm32 sysroot) first.
PHONESCRUB_ROUTE=$route
PHONESCRUB_RUSTC_VERSION="$version"
EOF
}

build_debian_sysroot() {
    local work dir
    work="$(mktemp -d "${TMPDIR:-/tmp}/phonescrub-wasm-sysroot.XXXXXX")"
    mkdir -p "$work/src"
    printf '[package]\nname = "wasm-sysroot"\nversion = "0.0.0"\nedition = "2021"\n\n[workspace]\n' \
        > "$work/Cargo.toml"
    echo '#![no_std]' > "$work/src/lib.rs"
    # An empty no_std crate, only there to drive -Zbuild-std (RUSTC_BOOTSTRAP allows the
    # unstable flag on a stable compiler). Later builds need no unstable flags at all.
    run env -C "$work" PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_DIR="$work/target" \
        /usr/bin/cargo build --release --target "$WASM_TARGET" \
        -Zbuild-std=std,panic_abort,proc_macro,test
    dir="$(debian_sysroot_dir)"
    as_root mkdir -p "$dir"
    # Old rlibs from another compiler version would be ambiguous candidates: drop them.
    if [ -f "$dir/.phonescrub-stamp" ]; then as_root rm -f "$dir"/*.rlib; fi
    as_root cp "$work"/target/"$WASM_TARGET"/release/deps/*.rlib "$dir"/
    as_root rm -f "$dir"/libwasm_sysroot*
    /usr/bin/rustc -vV | as_root tee "$dir/.phonescrub-stamp" > /dev/null
    rm -rf "$work"
}

use_debian_route() {
    local why="$1"
    step "rust toolchain (debian rustc-web; $why)"
    local missing=() pkg
    for pkg in "${DEBIAN_RUST_PKGS[@]}"; do have_pkg "$pkg" || missing+=("$pkg"); done
    if [ "${#missing[@]}" = 0 ]; then
        done_step "cached, $(/usr/bin/rustc --version)"
    else
        apt_install "${missing[@]}"
        debian_rust_installed || die "apt installed ${missing[*]} but /usr/bin/rustc or /usr/bin/cargo is missing"
        done_step "installed ${missing[*]}, $(/usr/bin/rustc --version)"
    fi

    step "wasm32 std (debian sysroot)"
    if debian_sysroot_ready; then
        done_step "cached"
    else
        build_debian_sysroot
        debian_sysroot_ready || die "built the wasm32 std but $(debian_sysroot_dir) still lacks libstd/libtest"
        done_step "built into $(debian_sysroot_dir)"
    fi
    record_route debian "$(/usr/bin/rustc --version)"
}

# rustup route: the step line is printed by the caller.
rustup_version() {
    "$CARGO_BIN/rustc" --version 2> /dev/null || "$RUSTUP" run stable rustc --version 2> /dev/null || echo unknown
}

choice="${PHONESCRUB_TOOLCHAIN:-auto}"
case "$choice" in
    auto | rustup | debian) ;;
    *)
        STEP="rust toolchain"
        die "PHONESCRUB_TOOLCHAIN must be 'rustup', 'debian' or unset (auto), not '$choice'"
        ;;
esac

if [ "$choice" = debian ]; then
    use_debian_route "forced by PHONESCRUB_TOOLCHAIN=debian"
elif rustup_has_wasm; then
    step "rust toolchain + wasm32 std (rustup)"
    record_route rustup "$(rustup_version)"
    done_step "cached, $(rustup_version)"
elif [ "$choice" = auto ] && [ "$(recorded_route)" = debian ] && debian_sysroot_ready; then
    # An earlier run already found that rustup cannot add the target here: do not wait
    # for its time-out again.
    use_debian_route "chosen by an earlier run"
else
    step "rust toolchain + wasm32 std (rustup)"
    if [ -n "$RUSTUP" ] && run timeout -k 5 60 "$RUSTUP" target add "$WASM_TARGET" && rustup_has_wasm; then
        record_route rustup "$(rustup_version)"
        done_step "added $WASM_TARGET, $(rustup_version)"
    elif [ "$choice" = rustup ]; then
        die "PHONESCRUB_TOOLCHAIN=rustup, but '${RUSTUP:-rustup} target add $WASM_TARGET' failed or timed out (see $LOG)"
    else
        if [ -n "$RUSTUP" ]; then
            echo "not available (rustup target add failed or timed out; see $LOG)"
            use_debian_route "rustup could not add $WASM_TARGET"
        else
            echo "not available (no rustup)"
            use_debian_route "no rustup"
        fi
    fi
fi

# From here on, use exactly the toolchain the Makefile will use.
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
command -v cargo > /dev/null 2>&1 || { STEP="rust toolchain"; die "no cargo on PATH after set-up"; }

step "rustfmt + clippy"
if cargo fmt --version < /dev/null > /dev/null 2>&1 && cargo clippy --version < /dev/null > /dev/null 2>&1; then
    done_step "cached"
elif [ "$PHONESCRUB_ROUTE" = rustup ]; then
    run timeout -k 5 60 "$RUSTUP" component add rustfmt clippy ||
        die "'rustup component add rustfmt clippy' failed or timed out; PHONESCRUB_TOOLCHAIN=debian uses Debian's rustfmt-web and rust-web-clippy instead"
    cargo fmt --version > /dev/null 2>&1 && cargo clippy --version > /dev/null 2>&1 ||
        die "rustup added rustfmt and clippy but 'cargo fmt' or 'cargo clippy' still does not run"
    done_step "added with rustup"
else
    die "'cargo fmt' or 'cargo clippy' does not run although rustfmt-web and rust-web-clippy are installed"
fi

# ------------------------------------------------- 3. wasm-pack, wasm-bindgen-cli

step "wasm-pack"
if wasm-pack --version < /dev/null > /dev/null 2>&1; then
    done_step "cached, $(wasm-pack --version)"
else
    run cargo install wasm-pack --locked --force
    wasm-pack --version > /dev/null 2>&1 || die "cargo install wasm-pack finished but wasm-pack does not run (is $CARGO_BIN on PATH?)"
    done_step "installed $(wasm-pack --version)"
fi

step "wasm-bindgen-cli (version from Cargo.lock)"
if [ ! -f Cargo.lock ]; then
    run cargo generate-lockfile
fi
# The CLI must match the wasm-bindgen crate exactly; the lock file is the one source.
mapfile -t bindgen_versions < <(awk '
    /^\[\[package\]\]/ { name = "" }
    /^name = /         { name = $3 }
    /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3 }
' Cargo.lock | sort -u)
case "${#bindgen_versions[@]}" in
    1) bindgen_version="${bindgen_versions[0]}" ;;
    0) die "Cargo.lock has no wasm-bindgen package" ;;
    *) die "Cargo.lock has several wasm-bindgen versions (${bindgen_versions[*]}); the CLI can match only one" ;;
esac
installed_bindgen="$(wasm-bindgen --version < /dev/null 2> /dev/null | awk '{ print $2 }' || true)"
if [ "$installed_bindgen" = "$bindgen_version" ]; then
    done_step "cached, wasm-bindgen $bindgen_version"
else
    # No --locked: the CLI's own lock file names a crate version crates.io does not serve.
    run cargo install wasm-bindgen-cli --version "$bindgen_version" --force
    installed_bindgen="$(wasm-bindgen --version < /dev/null 2> /dev/null | awk '{ print $2 }' || true)"
    [ "$installed_bindgen" = "$bindgen_version" ] ||
        die "installed wasm-bindgen-cli $bindgen_version but 'wasm-bindgen --version' says '${installed_bindgen:-nothing}' (another wasm-bindgen earlier on PATH?)"
    done_step "installed wasm-bindgen $bindgen_version"
fi

# rage, the Rust age tool: the page tests decrypt the page's encrypted downloads with it,
# as a user would (README: Keeping lists safe). Pinned, like every other tool here.
RAGE_VERSION=0.12.1
step "rage $RAGE_VERSION (decrypts encrypted exports in the tests)"
if [ "$(rage --version < /dev/null 2> /dev/null | awk '{ print $2 }' || true)" = "$RAGE_VERSION" ]; then
    done_step "cached, rage $RAGE_VERSION"
else
    run cargo install rage --version "$RAGE_VERSION" --locked --no-default-features --force
    [ "$(rage --version < /dev/null 2> /dev/null | awk '{ print $2 }' || true)" = "$RAGE_VERSION" ] ||
        die "installed rage $RAGE_VERSION but 'rage --version' does not say so (is $CARGO_BIN on PATH?)"
    done_step "installed rage $RAGE_VERSION"
fi

# ------------------------------------------------------------ 4. npm dev packages

step "npm dev packages (npm ci)"
npm_stamp=node_modules/.phonescrub-npm-ci.stamp
npm_fresh() {
    # node_modules counts as up to date if our stamp, or npm's own record of the last
    # install, is newer than both package files.
    local mark
    for mark in "$npm_stamp" node_modules/.package-lock.json; do
        if [ -f "$mark" ] && [ ! package-lock.json -nt "$mark" ] && [ ! package.json -nt "$mark" ]; then
            return 0
        fi
    done
    return 1
}
if [ -d node_modules ] && npm_fresh && [ -x node_modules/.bin/wasm-opt ]; then
    done_step "cached"
else
    [ -f package-lock.json ] || die "package-lock.json is missing; npm ci needs it"
    run npm ci --no-audit --no-fund
    touch "$npm_stamp"
    [ -x node_modules/.bin/wasm-opt ] || die "npm ci finished but node_modules/.bin/wasm-opt (binaryen) is missing"
    done_step "installed"
fi

echo "setup: done in $((SECONDS - SETUP_T0)) s (toolchain: $PHONESCRUB_ROUTE, $(rustc --version))"
