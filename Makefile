# `make test` installs what it needs and runs every suite; CI calls it through .ci/run.
CARGO ?= cargo
NOSTD_TARGET := thumbv7em-none-eabihf
EXAMPLE := tests/vectors/alertmanager/firing_single.json

.PHONY: bench bench-python bench-node bench-server fuzz-smoke miri test-node test setup fmt-check lint nostd test-rust test-postgres pg-install doc run bless vectors-check test-c c-header c-install c-example-check test-python test-browser screenshots docs-check

test: setup fmt-check lint nostd doc vectors-check test-rust test-postgres test-python test-node test-c docs-check test-browser

setup:
	rustup component add rustfmt clippy
	rustup target add $(NOSTD_TARGET)

# The Python crate is its own workspace (maturin builds it): checked alongside.
PY_CRATE := --manifest-path bindings/python/Cargo.toml

NODE_CRATE := --manifest-path bindings/node/Cargo.toml

fmt-check:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt $(PY_CRATE) -- --check
	$(CARGO) fmt $(NODE_CRATE) -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy $(PY_CRATE) --all-targets -- -D warnings
	$(CARGO) clippy $(NODE_CRATE) --all-targets -- -D warnings

# The core must stay no_std: prove it on a bare-metal target.
nostd:
	$(CARGO) build -p alertgate --no-default-features --target $(NOSTD_TARGET)

# The signature vectors are generated independently (Python's stdlib, and the
# `cryptography` package, in a venv of their own, for ed25519 and SNS's RSA);
# they must be current.
VECTORS_VENV := target/vectors-venv
vectors-check:
	test -x $(VECTORS_VENV)/bin/python || python3 -m venv $(VECTORS_VENV)
	$(VECTORS_VENV)/bin/pip install -q "cryptography>=42"
	$(VECTORS_VENV)/bin/python tests/vectors/signatures/gen.py
	git diff --exit-code -- tests/vectors/signatures

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

# PostgreSQL's server, for the tests that start a throwaway cluster
# (server-example/tests/pg-cluster.sh runs initdb and pg_ctl as a non-root user).
pg-install:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update && apt-get install -y postgresql; }

test-rust: pg-install
	$(CARGO) test --workspace
	$(CARGO) test -p alertgate --no-default-features
	# The SNS test needs a build that may send SNS URLs to a local stand-in.
	$(CARGO) test -p alertgate-server --features test-hooks --test sns

# The server's suites again with PostgreSQL as the store (ALERTGATE_TEST_DB), on
# one throwaway cluster for the run (or ALERTGATE_TEST_POSTGRES_URL when set);
# the multi-instance tests (tests/instances.rs) run in test-rust as well.
test-postgres: pg-install
	bash server-example/tests/pg-cluster.sh run env ALERTGATE_TEST_DB=postgres \
	  $(CARGO) test -p alertgate-server --test serve --test hardening --test cli --test dashboard --test instances

# The main job: the reference server.
run:
	$(CARGO) run --release -p alertgate-server -- serve

# Rewrite tests/vectors/**/*.expected.json from the current code; review the diff before committing.
bless:
	BLESS=1 $(CARGO) test -p alertgate --test vectors

# --- C binding -------------------------------------------------------------
C_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
PREFIX ?= /usr/local

# Regenerate bindings/c/include/alertgate.h (a test fails when it is stale).
c-header:
	BLESS=1 $(CARGO) test -p alertgate-c --test header

# The C programs in bindings/c/tests, against the static and the shared library, under valgrind.
test-c:
	command -v valgrind >/dev/null || (apt-get update && apt-get install -y valgrind)
	command -v pkg-config >/dev/null || (apt-get update && apt-get install -y pkg-config)
	$(MAKE) --no-print-directory c-example-check
	$(CARGO) build -p alertgate-c --features test-hooks
	python3 bindings/c/tests/check.py target/debug

# Installs libalertgate.{a,so}, alertgate.h and alertgate.pc under PREFIX.
c-install:
	$(CARGO) build --release -p alertgate-c
	install -d $(PREFIX)/lib/pkgconfig $(PREFIX)/include
	install -m 644 target/release/libalertgate.a $(PREFIX)/lib/
	install -m 755 target/release/libalertgate.so $(PREFIX)/lib/
	install -m 644 bindings/c/include/alertgate.h $(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(C_VERSION)|' bindings/c/alertgate.pc.in > $(PREFIX)/lib/pkgconfig/alertgate.pc

# The example, built with pkg-config against a throwaway install, on a bundled payload.
c-example-check:
	rm -rf target/c-prefix && $(MAKE) --no-print-directory c-install PREFIX=$(CURDIR)/target/c-prefix
	cc -std=c11 -Wall -Wextra -Werror -pedantic -o target/alertgate_filter bindings/c/examples/alertgate_filter.c \
	  $$(PKG_CONFIG_PATH=$(CURDIR)/target/c-prefix/lib/pkgconfig pkg-config --cflags --libs alertgate) \
	  -Wl,-rpath,$(CURDIR)/target/c-prefix/lib
	test "$$(target/alertgate_filter application/json 'User-Agent: Alertmanager/0.27.0' < $(EXAMPLE))" = \
	  "critical triggered 9f3c2a71be04d5e8 PostgresDown"
	! echo '   ' | target/alertgate_filter 2>/dev/null
	@echo "c-example: ok"

# --- Python binding --------------------------------------------------------
VENV := target/py-venv

# A fresh venv, the package built from source by pip (maturin), then pytest.
test-python:
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q "maturin>=1.7,<2" "pytest>=8" "mypy>=1.10" "fastapi>=0.110" "httpx>=0.27" "prometheus-client>=0.20"
	$(VENV)/bin/pip install -q ./bindings/python
	cd bindings/python && ../../$(VENV)/bin/pytest -q tests $(patsubst bindings/python/%,%,$(wildcard bindings/python/examples/*/tests))

# --- Benchmarks and fuzzing (never part of `make test`) ---------------------
# Criterion benches in their own workspace, then every figure as a ratio against
# its same-run baseline (benches/report.py).
bench:
	cd benches && $(CARGO) bench
	python3 benches/report.py

# The Python binding against json/orjson, alone and followed by a pure-Python
# normalisation (bindings/python/bench.py). Its own venv, so that test-python's stays
# as it made it; pip builds the package from source in release mode (maturin), which
# is what users install. BENCH_ARGS passes options, e.g. BENCH_ARGS="--rounds 61".
BENCH_VENV := target/bench-venv
bench-python:
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --upgrade pip
	$(BENCH_VENV)/bin/pip install -q "orjson>=3.9"
	$(BENCH_VENV)/bin/pip install -q --force-reinstall --no-deps ./bindings/python
	$(BENCH_VENV)/bin/python bindings/python/bench.py $(BENCH_ARGS)

# The Node binding against JSON.parse, alone and followed by a JavaScript
# normalisation (bindings/node/bench.mjs), after a release build from source.
bench-node:
	cd bindings/node && npm ci --no-audit --no-fund && npm run build && node --expose-gc bench.mjs

# The reference server under wrk (server-example/bench/load.sh): an HMAC-signed
# Alertmanager alert on /api/v1/integrations/<name> against /health on the same
# server, LOAD_SECONDS (30) each with --durability process, then with 300 stalled
# connections open, then with the default --durability full; fails below 50% of
# /health (durability process) or on any non-2xx. Then the store's backends
# (server-example/bench/scale.sh): SQLite, PostgreSQL, two instances on PostgreSQL.
bench-server:
	CARGO=$(CARGO) bash server-example/bench/load.sh
	CARGO=$(CARGO) bash server-example/bench/scale.sh

# Each cargo-fuzz target for 60 s on nightly, seeded from tests/vectors (inputs up to
# the largest seed, over 1 MiB): a panic, a run over 1 s, a single allocation over
# 64 MiB or a process over 2 GiB (AddressSanitizer keeps freed memory a while) fails
# it. CI runs it. FUZZ_FLAGS adds libFuzzer flags, e.g. a long local run:
# make fuzz-smoke FUZZ_SECONDS=1800 FUZZ_FLAGS=-max_len=16384
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
fuzz-smoke:
	rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	for t in ingest mapping tier; do mkdir -p fuzz/corpus/$$t && find tests/vectors -type f ! -name '*.expected.json' -exec cp {} fuzz/corpus/$$t/ \; ; done
	cd fuzz && for t in ingest verify mapping tier; do \
	  cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=64 -print_final_stats=1 $(FUZZ_FLAGS) || exit 1; done

# Miri over the core's tests (undefined behaviour in the core or its
# dependencies); proptests and the 10 000-alert test are skipped under Miri
# (cfg_attr(miri, ignore)): minutes each at Miri's speed. CI runs it.
miri:
	rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
	rustup component add --toolchain nightly miri rust-src
	MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test -p alertgate

# --- Node binding ----------------------------------------------------------
# npm ci, the napi build from source, tsc --strict on the types, node --test (library and example).
test-node:
	command -v node >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	cd bindings/node && bash test.sh

# --- Documentation ---------------------------------------------------------
# Every fenced block of README.md and docs/*.md (docs/check.py): Python blocks in
# test-python's venv, sh blocks against an `alertgate serve` it starts, js blocks
# against test-node's build, C blocks compiled, linked and run; Rust blocks are doc
# tests (cargo test --doc, in test-rust). Needs test-python and test-node first.
docs-check:
	$(CARGO) build -p alertgate-server -p alertgate-c
	$(VENV)/bin/python docs/check.py

# --- Dashboard in a real browser -------------------------------------------
# Debian's Chromium driven by playwright-core (no browser download) against
# `alertgate serve`, which the test starts on 127.0.0.1 with a temporary database.
BROWSER_DIR := server-example/browser
test-browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	command -v node >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	$(CARGO) build -p alertgate-server
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund && \
	  ALERTGATE_BIN=$(CURDIR)/target/debug/alertgate CHROMIUM=$$(command -v chromium) npm test

# Retakes the README's screenshots (docs/dashboard-*.png) with the same tests.
screenshots:
	SCREENSHOT_DIR=$(CURDIR)/docs $(MAKE) --no-print-directory test-browser
