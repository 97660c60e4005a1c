# phonescrub — the one entry point. On a fresh machine:
#
#   make run     set up, build the release wasm, serve www/ (prints the URL; PORT=N to move it)
#   make test    set up, then every test tier: native, wasm in headless Chromium, page tests
#
# Every target first runs scripts/setup.sh (idempotent; seconds when nothing is missing),
# then sources scripts/env.sh so the toolchain setup chose is on PATH.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.NOTPARALLEL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

CHROMEDRIVER ?= /usr/bin/chromedriver
E2E_DIR := tests/e2e
# Files node's test runner picks up in a directory (*.test.js, *-test.mjs, test-*.js, ...).
E2E_TESTS = $(shell [ -d $(E2E_DIR) ] && find $(E2E_DIR) -type f -not -path '*/node_modules/*' \
	-regextype posix-extended -regex '.*/([^/]*[._-]test|test-[^/]*|test)\.[cm]?js' 2>/dev/null)

.PHONY: help setup build run offline test test-native test-wasm test-e2e test-fuzz clean fmt lint bench

help:
	@echo "make run      set up, build the wasm, serve www/ on http://127.0.0.1:8080 (PORT=N make run)"
	echo "make test     set up, then run all test tiers (native, wasm in headless Chromium, page tests)"
	echo "make setup    install what is missing (see README: What make installs)"
	echo "make build    set up + build the release wasm into www/pkg"
	echo "make offline  build dist/phonescrub.html: the whole page in one file that works from disk"
	echo "make test-native | test-wasm | test-e2e | test-fuzz   one test tier"
	echo "make bench    speed: native CLI, wasm in headless Chromium and the JS peer on one generated list (ROWS=N or BYTES=1G)"
	echo "make fmt      cargo fmt --check"
	echo "make lint     cargo clippy --all-targets -- -D warnings"
	echo "make clean    cargo clean + remove www/pkg"

# PHONESCRUB_SETUP_DONE=1 skips it (make test sets it for its per-tier sub-makes).
setup:
	@if [ "$${PHONESCRUB_SETUP_DONE:-0}" != 1 ]; then bash scripts/setup.sh; fi

build: setup
	@source scripts/env.sh
	bash scripts/build-wasm.sh

run: build
	@source scripts/env.sh
	if [ ! -f scripts/serve.mjs ]; then echo "make run: scripts/serve.mjs not found" >&2; exit 1; fi
	exec node scripts/serve.mjs --root www

# One self-contained HTML file (wasm and worker inlined, connect-src 'none') that works
# opened from disk with no server.
offline: build
	@source scripts/env.sh
	node scripts/build-offline.mjs

# All tiers run even if an earlier one fails; the summary says which failed, and the
# exit status is non-zero if any did.
test: setup
	@source scripts/env.sh
	t0=$$SECONDS
	failed=0
	summary=()
	for tier in native wasm e2e fuzz; do
	  case $$tier in
	    native) what="cargo fmt --check, clippy -D warnings, cargo test (all targets + doc tests)" ;;
	    wasm)   what="wasm-pack test --headless --chrome (tests/web.rs, core engine, in Chromium)" ;;
	    e2e)    what="release wasm build + node --test $(E2E_DIR)/ (page tests)" ;;
	    fuzz)   what="fuzz smoke run: each cargo-fuzz target, $(FUZZ_SMOKE_RUNS) runs from the seeds, libFuzzer seed $(FUZZ_SMOKE_SEED)" ;;
	  esac
	  echo
	  echo "======== make test: tier $$tier: $$what"
	  start=$$SECONDS
	  if PHONESCRUB_SETUP_DONE=1 $(MAKE) test-$$tier; then
	    status=PASS
	    if [ $$tier = e2e ] && [ -z "$(strip $(E2E_TESTS))" ]; then status="SKIP (no page tests found)"; fi
	  else
	    status=FAIL
	    failed=1
	  fi
	  summary+=("$$(printf '  %-7s %-28s %5s s   %s' "$$tier" "$$status" "$$((SECONDS - start))" "$$what")")
	done
	echo
	echo "======== make test: summary"
	printf '%s\n' "$${summary[@]}"
	if [ $$failed = 0 ]; then
	  echo "make test: all tiers passed in $$((SECONDS - t0)) s"
	else
	  echo "make test: FAILED (see the tiers marked FAIL above), $$((SECONDS - t0)) s" >&2
	  exit 1
	fi

test-native: setup
	@source scripts/env.sh
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	# The page's core wasm is built without default features (no sheets, no seal): keep it building.
	cargo clippy --no-default-features --lib --bins -- -D warnings
	cargo test --no-default-features --lib
	cargo test --all-targets
	cargo test --doc

# A short run of every fuzz target from the committed seeds: catches a regression that
# the seeds or some thousands of mutations reach. A fixed libFuzzer seed and a fixed number
# of runs make it nearly the same run on every machine, fast or slow (not exactly: std's
# randomly keyed hash maps move coverage a little), rather than a timed random run that
# could pass or fail by luck; FUZZ_SMOKE_SECONDS only caps each target's time. Long,
# randomised runs: scripts/fuzz.sh 600 (README: Fuzzing).
FUZZ_SMOKE_RUNS ?= 20000
FUZZ_SMOKE_SEED ?= 1
FUZZ_SMOKE_SECONDS ?= 120
test-fuzz: setup
	@source scripts/env.sh
	FUZZ_ARGS="-seed=$(FUZZ_SMOKE_SEED) -runs=$(FUZZ_SMOKE_RUNS) $${FUZZ_ARGS:-}" bash scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

# wasm-bindgen-test-runner kills ChromeDriver when it has not bound its port within the
# runner's startup wait, a known spurious failure on a loaded machine (the runner's
# "driver failed to bind port during startup"; nimiq/core-rs-albatross#2830). That
# failure, and no other, is retried (twice at most), and the retry is announced.
test-wasm: setup
	@source scripts/env.sh
	mkdir -p target
	for attempt in 1 2 3; do
	  # A test's time limit (wasm-bindgen-test's default is 20 s): the unoptimised build
	  # scrubs a 9 MiB list four times in tests/web.rs, with a hashed opt-out list.
	  # Only tests/web.rs has wasm tests, and only the core engine (no default features,
	  # what the page loads first) is built: the other test files and the spreadsheet,
	  # encryption and legacy-encoding crates compiled to wasm for nothing but took
	  # minutes of CI. The full engine's extras run in the page tests (make test-e2e).
	  if WASM_BINDGEN_TEST_TIMEOUT="$${WASM_BINDGEN_TEST_TIMEOUT:-120}" wasm-pack test --headless --chrome --chromedriver "$(CHROMEDRIVER)" -- --no-default-features --test web 2>&1 | tee target/test-wasm.log; then
	    exit 0
	  fi
	  if [ $$attempt -lt 3 ] && grep -q 'driver failed to bind port during startup' target/test-wasm.log; then
	    echo "!!! test-wasm: ChromeDriver did not start in time (no test ran); trying again ($$attempt of 2 retries)"
	    continue
	  fi
	  exit 1
	done

test-e2e: setup
	@source scripts/env.sh
	bash scripts/build-wasm.sh
	if [ -z "$(strip $(E2E_TESTS))" ]; then
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	  echo "!!! make test-e2e: no page tests found in $(E2E_DIR)/ -- tier SKIPPED  !!!"
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	  exit 0
	fi
	node --test $(E2E_DIR)/

# Figures only (benches/run.mjs): the native CLI, the wasm engine in headless Chromium
# through the real worker, and papaparse + libphonenumber-js/max in the same Chromium, on
# one generated list (ROWS rows, or BYTES such as 1G), side by side. Never a pass/fail.
ROWS ?= 1000000
BYTES ?=
bench: setup
	@source scripts/env.sh
	cargo build --release --bin phonescrub
	bash scripts/build-wasm.sh
	node benches/run.mjs $(if $(strip $(BYTES)),--bytes $(BYTES),--rows $(ROWS)) $(BENCH_ARGS)

fmt:
	@source scripts/env.sh
	cargo fmt --check || { echo "make fmt: run 'cargo fmt' to fix" >&2; exit 1; }

lint:
	@source scripts/env.sh
	cargo clippy --all-targets -- -D warnings

# Keeps target/toolchain.env (the set-up's toolchain choice) across cargo clean.
clean:
	@source scripts/env.sh
	saved=""
	if [ -f target/toolchain.env ]; then saved="$$(cat target/toolchain.env)"; fi
	if command -v cargo > /dev/null; then cargo clean; else rm -rf target; fi
	rm -rf www/pkg www/pkg-full
	if [ -n "$$saved" ]; then mkdir -p target && printf '%s\n' "$$saved" > target/toolchain.env; fi
