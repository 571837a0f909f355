# Tandem — `make run` serves the app, `make test` runs every test. Both install what they need first.
# Tested on Debian as root with only rustup, Node and npm present (see README).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.11
# Must equal the wasm-bindgen crate pinned in Cargo.toml: cargo-leptos uses the CLI on PATH without checking.
WASM_BINDGEN_VERSION := 0.2.130
ADDR ?= 127.0.0.1:3000
DATABASE_URL ?= sqlite://data/tandem.db

# wasm-opt comes from the npm package binaryen (end2end devDependency), never from Debian's binaryen.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export CARGO_TERM_COLOR ?= never

.PHONY: help run test setup setup-test toolchain cargo-tools npm-packages chromium cluster-tools site-release lint unit e2e size fmt clean-data bench soak

help:
	@echo "make run    build (release) and serve Tandem on http://$(ADDR) with SQLite at $(DATABASE_URL)"
	@echo "make test   lint, unit, property and integration tests, then Playwright in Debian's chromium"

## Installation ---------------------------------------------------------------------------------------------

toolchain:
	@rustup toolchain install  # reads rust-toolchain.toml: pinned version + wasm32 target
	@rustc --version

cargo-tools: toolchain
	@if cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)"; then \
	  echo "cargo-leptos $(CARGO_LEPTOS_VERSION) already installed"; \
	else \
	  cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked; \
	fi
	@# --locked fails for wasm-bindgen-cli (a locked dependency is missing from the index).
	@if wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)"; then \
	  echo "wasm-bindgen $(WASM_BINDGEN_VERSION) already installed"; \
	else \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

npm-packages: end2end/node_modules/.installed

end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	@touch $@

chromium:
	@if [ -x /usr/bin/chromium ]; then \
	  echo "chromium already installed"; \
	else \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	fi

setup: cargo-tools npm-packages

# The multi-relay tests (issue 20): Debian's PostgreSQL (a throwaway cluster, .ci/with-postgres) and HAProxy.
cluster-tools:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v haproxy >/dev/null; then \
	  echo "postgresql and haproxy already installed"; \
	else \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql haproxy; \
	fi

setup-test: setup chromium cluster-tools

## Release build of the browser code ------------------------------------------------------------------------

# The release wasm is built with the size flags that the Leptos book recommends and that only nightly Rust accepts:
# the standard library rebuilt from source (rust-src, installed with the toolchain) with `opt-level = "z"`, panics
# that abort at once without formatting a message, no `Debug` formatting code and no panic locations. The pinned
# stable compiler is allowed them with RUSTC_BOOTSTRAP=1, for this build only: 8 % smaller session page, measured
# (docs/performance.md). The standard library is built with its `optimize_for_size` feature (smaller sorting, float
# parsing and number formatting code): 7 KB less. The server, the tests and `cargo leptos watch` build without them
# (hence two builds in `run`). The rustflags replace .cargo/config.toml's for this build, so they repeat
# `--cfg erase_components`.
# `.ci/shrink-wasm` then shortens the wasm's import and export names, leaves out exports the page never calls, runs
# wasm-opt -Oz once more and reorders the functions so that gzip finds more repeats, and `.ci/precompress` stores
# each file gzip- and brotli-compressed beside itself; the server sends those.
WASM_RELEASE_ENV := RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components \
  -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"
WASM_RELEASE_ARGS := --lib-cargo-args=-Zbuild-std=std,panic_abort --lib-cargo-args=-Zbuild-std-features=optimize_for_size

## Run ------------------------------------------------------------------------------------------------------

run: setup site-release
	cargo leptos build --release --server-only
	LEPTOS_ENV=PROD TANDEM_ADDR=$(ADDR) TANDEM_DATABASE_URL=$(DATABASE_URL) LEPTOS_SITE_ROOT=target/site \
	  ./target/release/server

## Test -----------------------------------------------------------------------------------------------------

test: setup-test lint unit size e2e

lint:
	cargo fmt --all -- --check
	@# The patched crate must be the one in use (app/vendor/tachys/PATCH.md): a newer crates.io release would bypass it.
	@if grep -A2 '^name = "tachys"' Cargo.lock | grep -q '^source'; then \
	  echo "Cargo.lock takes tachys from crates.io instead of app/vendor/tachys: see app/vendor/tachys/PATCH.md"; \
	  exit 1; fi
	cargo clippy -p tandem-core --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p tandem-load --all-targets -- -D warnings
	cargo clippy -p app --all-targets --features ssr -- -D warnings
	cargo clippy -p app --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

# Every wait in the tests is bounded; the timeout is a last guard so that a hang fails fast with its output. The
# store's tests run on SQLite and on a throwaway PostgreSQL cluster (.ci/with-postgres installs and starts it); then
# the server's integration tests run once more, every server of them on PostgreSQL (TANDEM_TEST_ENGINE; less the two
# that are about several relays, which run on PostgreSQL already).
unit:
	.ci/with-postgres bash -c 'timeout --foreground 40m cargo test -p tandem-core -p app -p server -p tandem-load && \
	  TANDEM_TEST_ENGINE=postgres timeout --foreground 20m cargo test -p server --test integration -- --skip cluster:: --skip multi_relay::'

# The browser bundle is the release one (what people get, and what `size` measures); the server is a plain debug
# cargo build, shared with `cargo test`. Both are built with `--cfg erase_components` (.cargo/config.toml).
site-release: npm-packages
	@# A failed step below must not leave the last build's compressed files beside new ones: the server sends those.
	rm -f target/site/pkg/*.gz target/site/pkg/*.br
	$(WASM_RELEASE_ENV) cargo leptos build --release --split --frontend-only $(WASM_RELEASE_ARGS)
	.ci/shrink-wasm
	.ci/precompress

# One spec (cluster.spec.ts) runs two relays on PostgreSQL behind HAProxy: the throwaway cluster of .ci/with-postgres.
e2e: site-release
	cargo build -p server --bin server
	cd end2end && ../.ci/with-postgres npx playwright test

# Brotli size of what each page downloads (wasm + JS + CSS, split-out pages with their chunks: what browsers receive)
# against the committed budgets: the session page and any page. Gzip is printed too. See docs/performance.md.
# Any page, and the session page with the parts it fetches when shown (join form, feedback form): 330 KB.
SESSION_BUDGET_KB ?= 270
PAGE_BUDGET_KB ?= 330
size: setup site-release
	.ci/size-report $(SESSION_BUDGET_KB) $(PAGE_BUDGET_KB)

# Relay benchmarks (issue 5): Tandem vs a bare relay vs y-websocket under the same load, ~10 minutes after the build;
# rewrites the Relay figures in docs/performance.md. Run it on an otherwise idle machine.
bench: toolchain npm-packages
	.ci/bench

# The relay's seeded frame fuzzer (issue 19, server/tests/fuzz.rs) at 1,000,000 frames instead of the 10,000 that
# `make test` sends: no panic, every offending connection closed with a reason within 1 s, the honest pages see each
# other's edits, RSS back within 10 %. It prints its seed; FUZZ_SEED=<seed> replays a run. Then the kill -9 crash
# loop (server/tests/integration/crash_loop.rs) at 100 cycles instead of 20, about 3.5 minutes.
soak: toolchain
	FUZZ_FRAMES=1000000 cargo test -p server --test fuzz -- --nocapture
	TANDEM_CRASH_ROUNDS=100 cargo test -p server --test integration crash_loop -- --nocapture

fmt:
	cargo fmt --all

clean-data:
	rm -rf data end2end/.data
