# shellcheck shell=bash
# Source me (do not execute): puts the toolchain that scripts/setup.sh chose on PATH.
#
#   source scripts/env.sh
#
# setup.sh records its choice in target/toolchain.env:
#   PHONESCRUB_ROUTE=rustup  -> ~/.cargo/bin (rustup proxies) first in PATH
#   PHONESCRUB_ROUTE=debian  -> /usr/bin (Debian's rustc-web/cargo-web, whose sysroot
#                               has the wasm32 std) before ~/.cargo/bin
# ~/.cargo/bin stays on PATH either way: `cargo install` puts wasm-pack and wasm-bindgen
# there. Safe to source more than once and from shells running with `set -u`; it never
# calls `exit` and changes no shell options.

PHONESCRUB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PHONESCRUB_ROOT

_phonescrub_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"

# Drop one directory from PATH (every occurrence), so prepending never duplicates.
_phonescrub_path_without() {
    local dir="$1" out="" part
    local IFS=:
    for part in $PATH; do
        [ "$part" = "$dir" ] || out="${out:+$out:}$part"
    done
    printf '%s' "$out"
}

PHONESCRUB_ROUTE=""
if [ -f "$PHONESCRUB_ROOT/target/toolchain.env" ]; then
    # shellcheck disable=SC1091
    . "$PHONESCRUB_ROOT/target/toolchain.env"
fi

PATH="$(_phonescrub_path_without "$_phonescrub_cargo_bin")"
case "$PHONESCRUB_ROUTE" in
    debian)
        PATH="$(_phonescrub_path_without /usr/bin)"
        PATH="/usr/bin:$_phonescrub_cargo_bin${PATH:+:$PATH}"
        # cargo would otherwise find the rustup `rustc` proxy through RUSTC if a caller set it.
        export RUSTC=/usr/bin/rustc
        ;;
    *)
        # rustup route, or setup has not run yet: cargo-installed tools first.
        PATH="$_phonescrub_cargo_bin${PATH:+:$PATH}"
        if [ "${RUSTC:-}" = /usr/bin/rustc ]; then unset RUSTC; fi
        ;;
esac
export PATH PHONESCRUB_ROUTE
hash -r 2>/dev/null || true
unset -f _phonescrub_path_without
unset _phonescrub_cargo_bin
