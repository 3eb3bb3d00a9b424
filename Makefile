# Gemscope: `make run` serves it on http://127.0.0.1:3000, `make test` runs every test.
# Builds share one target directory; CI points CARGO_TARGET_DIR at a cache outside the clone.

export CARGO_TARGET_DIR ?= $(CURDIR)/target
SITE := $(CURDIR)/site
WASM := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/frontend.wasm
WASM_OPT := $(CURDIR)/end2end/node_modules/.bin/wasm-opt
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup site server-release server-debug unit integration e2e lint fmt clean

## run: install what is missing, build, migrate and serve on http://127.0.0.1:3000 (SQLite in ./data)
run: setup site server-release
	mkdir -p data
	LEPTOS_SITE_ROOT=$(SITE) GEMSCOPE_SITE_ROOT=$(SITE) GEMSCOPE_LOCAL_STACK=$${GEMSCOPE_LOCAL_STACK:-true} \
	  $(CARGO_TARGET_DIR)/release/gemscope serve

## test: unit tests, integration tests on SQLite, MariaDB and PostgreSQL and against a real
## Prometheus and Alertmanager, and Playwright in Chromium
test: setup site server-debug
	bash .ci/databases.sh > $(CARGO_TARGET_DIR)/test-databases.env
	set -a && . $(CARGO_TARGET_DIR)/test-databases.env && set +a && \
	  cargo test --workspace --exclude frontend
	cd end2end && GEMSCOPE_BIN=$(CARGO_TARGET_DIR)/debug/gemscope TESTKIT_BIN=$(CARGO_TARGET_DIR)/debug/testkit \
	  GEMSCOPE_SITE_ROOT=$(SITE) npx playwright test

setup:
	bash .ci/install-tools.sh
	cd end2end && npm ci --no-audit --no-fund
	@command -v chromium >/dev/null && [ -x /usr/bin/prometheus ] && [ -x /usr/bin/prometheus-alertmanager ] && \
	  [ -x /usr/bin/prometheus-node-exporter ] && [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium fonts-noto-cjk prometheus prometheus-alertmanager prometheus-node-exporter)

## site: the hydration bundle (size-optimised WebAssembly), stylesheet and public assets in ./site
site:
	cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
	rm -rf $(SITE) && mkdir -p $(SITE)/pkg
	wasm-bindgen --target web --no-typescript --out-dir $(SITE)/pkg --out-name gemscope $(WASM)
	$(WASM_OPT) -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
	  --enable-reference-types --enable-multivalue --enable-mutable-globals \
	  $(SITE)/pkg/gemscope_bg.wasm -o $(SITE)/pkg/gemscope.wasm
	rm $(SITE)/pkg/gemscope_bg.wasm
	cp style/main.css $(SITE)/pkg/gemscope.css
	cp -r public/. $(SITE)/

server-release:
	cargo build -p server --release

server-debug:
	cargo build -p server -p testkit

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf $(SITE)
