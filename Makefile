# `make test` installs what it needs and runs every suite; CI calls it through .ci/run.
CARGO ?= cargo
NOSTD_TARGET := thumbv7em-none-eabihf
EXAMPLE := tests/vectors/alertmanager/firing_single.json

.PHONY: test setup fmt-check lint nostd test-rust doc run bless vectors-check

test: setup fmt-check lint nostd doc vectors-check test-rust

setup:
	rustup component add rustfmt clippy
	rustup target add $(NOSTD_TARGET)

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The core must stay no_std: prove it on a bare-metal target.
nostd:
	$(CARGO) build -p alertgate --no-default-features --target $(NOSTD_TARGET)

# The signature vectors are generated independently (Python stdlib); they must be current.
vectors-check:
	python3 tests/vectors/signatures/gen.py
	git diff --exit-code -- tests/vectors/signatures

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

test-rust:
	$(CARGO) test --workspace
	$(CARGO) test -p alertgate --no-default-features

# The main job: ingest a bundled Alertmanager payload and print the canonical alert.
run:
	$(CARGO) run --release -p alertgate-server -- ingest --pretty -H 'User-Agent: Alertmanager/0.27.0' $(EXAMPLE)

# Rewrite tests/vectors/**/*.expected.json from the current code; review the diff before committing.
bless:
	BLESS=1 $(CARGO) test -p alertgate --test vectors
