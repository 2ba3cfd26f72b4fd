# coldpay — developer entry points. `make demo` and `make test` are the README's quick start.
CARGO ?= cargo
FUZZ_SECONDS ?= 60

.PHONY: all build test lint fmt bench demo demo-multisig fuzz fuzz-smoke docs release release-check vendor deny clean

all: build

build:
	$(CARGO) build --workspace --release

## test: formatting check, clippy with warnings as errors, then every test in the workspace.
test: lint
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## bench: release builds, then every benchmark; one JSON object on stdout and in target/bench.json.
## (TronWeb/tronpy comparison figures appear once `scripts/sdk-bench/setup.sh` has installed them.)
bench:
	$(CARGO) build --release -p coldpay-signer -p coldpay-broadcaster
	$(CARGO) run --release -q -p coldpay-tests --bin bench

## demo: release build, then a whole payout ceremony against a local dev node (QR both ways).
demo:
	$(CARGO) build --release -p coldpay-signer -p coldpay-broadcaster -p coldpay-devnode
	./scripts/demo.sh

## demo-multisig: release build, then 2-of-3 approval with three signer homes, QR both ways.
demo-multisig:
	$(CARGO) build --release -p coldpay-signer -p coldpay-broadcaster -p coldpay-devnode
	./scripts/demo-multisig.sh

## docs: regenerate docs/cli.md and the man pages from the clap definitions, and the runbook's
## screenshots (docs/img/: the signer's review screen, a request's PNG part).
docs:
	$(CARGO) build -q -p coldpay-signer
	$(CARGO) run -q -p coldpay-tests --bin gen-docs

## fuzz: run each cargo-fuzz target for FUZZ_SECONDS (needs nightly features: RUSTC_BOOTSTRAP=1;
## FUZZ_SANITIZER=none skips the slow AddressSanitizer build).
fuzz:
	./fuzz/run.sh $(FUZZ_SECONDS)

## fuzz-smoke: every target for a few seconds (not part of `make test`: the ASan build of the
## fuzz crate alone takes several minutes on 2 cores).
fuzz-smoke:
	./fuzz/run.sh 5

## release: dist/coldpay-VERSION-x86_64-linux/ (+ .tar.gz) from the commit HEAD: the static,
## stripped signer, the broadcaster, man pages, completions, docs, CycloneDX SBOMs, SHA256SUMS.
## Needs cargo-cyclonedx 0.5.9 (`cargo install cargo-cyclonedx --version 0.5.9 --locked`).
release:
	./scripts/release.sh

## release-check: two release builds in different directories (other CARGO_HOME, TMPDIR) must
## give identical SHA256SUMS, and the signer built offline from `make vendor`'s bundle must be
## the release's. Three release builds: not part of `make test`.
release-check:
	./scripts/release-check.sh

## vendor: dist/coldpay-VERSION-src.tar.gz, the source with every dependency vendored, which
## `cargo build --offline --locked --release -p coldpay-signer` builds without a network.
vendor:
	./scripts/vendor.sh

## deny: licences, sources and banned crates (deny.toml); needs cargo-deny 0.20.2. Advisories
## need the RustSec database from the internet: `cargo deny check advisories` where it is reachable.
deny:
	$(CARGO) deny --offline check bans licenses sources

clean:
	$(CARGO) clean
