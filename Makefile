# kube-mcp's stable entry points: `make build`, `make run`, `make test`.
# Later work extends these targets; it never renames them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PLUGIN_TARGET := wasm32-wasip2

# Every directory under plugins/ with a Cargo.toml is a first-party plugin;
# it is built to target/plugins/<directory name>.wasm.
PLUGINS := $(patsubst plugins/%/Cargo.toml,%,$(wildcard plugins/*/Cargo.toml))
PLUGINS_OUT := target/plugins
# Plugins written for tests (hostile ones among them): tests/plugins/<name>,
# built to target/test-plugins/<name>.wasm, never shipped.
TEST_PLUGINS := $(filter-out greeter,$(patsubst tests/plugins/%/Cargo.toml,%,$(wildcard tests/plugins/*/Cargo.toml)))
TEST_PLUGINS_OUT := target/test-plugins
# Example plugins for authors: examples/<name> (package <name>-plugin),
# built to target/examples/<name>.wasm.
EXAMPLES := $(patsubst examples/%/Cargo.toml,%,$(wildcard examples/*/Cargo.toml))
EXAMPLES_OUT := target/examples
# Test-only plugins: built with the rest, never loaded by `make run`.
TEST_ONLY_PLUGINS := conformance

.DEFAULT_GOAL := help
.PHONY: help build host plugins wit-package toolchain test-tools run test test-rust test-sdk test-e2e env-up env-down bench soak lint fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: host plugins wit-package ## Build the server (release), every plugin, and the WIT package

host: ## Build the server binary: target/release/kube-mcp
	@echo "==> building the host (release)" >&2
	$(CARGO) build --release --locked -p kube-mcp

WIT_VERSION = $(shell sed -n 's/^package kube-mcp:plugin@\(.*\);/\1/p' wit/world.wit)
wit-package: ## The WIT package as a release artifact: target/dist/kube-mcp-plugin-wit-<version>.tar.gz
	@rm -rf target/dist/stage && mkdir -p target/dist/stage/kube-mcp-plugin-$(WIT_VERSION)
	@cp wit/*.wit wit/README.md target/dist/stage/kube-mcp-plugin-$(WIT_VERSION)/
	@# Reproducible: sorted, no owners, no timestamps.
	@tar -C target/dist/stage --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - kube-mcp-plugin-$(WIT_VERSION) \
	  | gzip -n > target/dist/kube-mcp-plugin-wit-$(WIT_VERSION).tar.gz
	@rm -rf target/dist/stage
	@printf '    %-40s %8d bytes\n' target/dist/kube-mcp-plugin-wit-$(WIT_VERSION).tar.gz "$$(stat -c %s target/dist/kube-mcp-plugin-wit-$(WIT_VERSION).tar.gz)" >&2

toolchain: ## Install the plugin target and lint components if missing
	@rustup target list --installed | grep -qx $(PLUGIN_TARGET) || rustup target add $(PLUGIN_TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

plugins: toolchain ## Build every plugin to target/plugins/<name>.wasm (test plugins to target/test-plugins)
	@echo "==> building plugins for $(PLUGIN_TARGET): $(PLUGINS) (tests: $(TEST_PLUGINS))" >&2
	$(CARGO) build --profile plugin --locked --target $(PLUGIN_TARGET) $(addprefix -p ,$(PLUGINS) $(TEST_PLUGINS) $(addsuffix -plugin,$(EXAMPLES)))
	@mkdir -p $(PLUGINS_OUT) $(TEST_PLUGINS_OUT) $(EXAMPLES_OUT)
	@for e in $(EXAMPLES); do cp target/$(PLUGIN_TARGET)/plugin/$${e//-/_}_plugin.wasm $(EXAMPLES_OUT)/$$e.wasm; done
	@for p in $(PLUGINS); do cp target/$(PLUGIN_TARGET)/plugin/$${p//-/_}.wasm $(PLUGINS_OUT)/$$p.wasm; done
	@for p in $(TEST_PLUGINS); do cp target/$(PLUGIN_TARGET)/plugin/$${p//-/_}.wasm $(TEST_PLUGINS_OUT)/$$p.wasm; done
	@# The greeter, twice: the reload tests replace one build with the other.
	@for v in v1 v2; do \
	  $(CARGO) build -q --profile plugin --locked --target $(PLUGIN_TARGET) -p greeter $$([[ $$v == v2 ]] && echo --features v2); \
	  cp target/$(PLUGIN_TARGET)/plugin/greeter.wasm $(TEST_PLUGINS_OUT)/greeter-$$v.wasm; \
	done
	@for f in $(PLUGINS_OUT)/*.wasm $(TEST_PLUGINS_OUT)/*.wasm $(EXAMPLES_OUT)/*.wasm; do printf '    %-40s %8d bytes\n' "$$f" "$$(stat -c %s "$$f")" >&2; done

run: build ## Run the server with the first-party plugins (see README)
	@PLUGINS_OUT=$(PLUGINS_OUT) TEST_ONLY_PLUGINS="$(TEST_ONLY_PLUGINS)" scripts/run

test-tools: ## Install the system tools the tests need if missing (buildah, umoci, maven, ...)
	@scripts/test-tools

test: test-tools toolchain build lint test-rust test-sdk test-e2e ## Run every test (what CI runs); installs what it needs

test-rust: ## Unit and integration tests of the host (needs `make build`)
	@echo "==> cargo test" >&2
	$(CARGO) test --locked -p kube-mcp-plugin --lib
	$(CARGO) test --locked -p kube-core -p kube-rollouts -p kube-nodes -p kube-exec -p helm --lib
	KUBE_MCP_TEST_PLUGINS=$(CURDIR)/$(PLUGINS_OUT) KUBE_MCP_TEST_ONLY_PLUGINS=$(CURDIR)/$(TEST_PLUGINS_OUT) KUBE_MCP_TEST_EXAMPLES=$(CURDIR)/$(EXAMPLES_OUT) $(CARGO) test --release --locked -p kube-mcp --lib --tests

test-sdk: ## The JavaScript and Python SDKs' own tests (Node and componentize-py come with tests/env/up)
	@eval "$$(tests/env/up)" \
	  && echo "==> sdk/js: npm ci && npm test" >&2 \
	  && (cd sdk/js && npm ci --no-audit --no-fund --loglevel=error && npm test --silent) \
	  && echo "==> sdk/python: pytest" >&2 \
	  && COMPONENTIZE_PY=$$COMPONENTIZE_PY $$PLUGIN_PYTHON -m pytest -q sdk/python/tests

test-e2e: ## End-to-end tests against the local control plane and IdPs (starts them)
	@echo "==> tests/env/up" >&2
	@eval "$$(tests/env/up)" && echo "==> npm ci (tests/e2e: MCP SDK, conformance suite, Inspector)" >&2 \
	  && (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) \
	  && echo "==> node --test tests/e2e" >&2 && node --test --test-concurrency=1 'tests/e2e/*.test.mjs'

bench: build ## Benchmarks (criterion); see docs/benchmarks.md
	KUBE_MCP_TEST_ONLY_PLUGINS=$(CURDIR)/$(TEST_PLUGINS_OUT) KUBE_MCP_TEST_EXAMPLES=$(CURDIR)/$(EXAMPLES_OUT) $(CARGO) bench --locked -p kube-mcp

SOAK_DURATION ?= 10m
SOAK_CLIENTS ?= 64
SOAK_OUT ?= target/soak
soak: build ## The soak under faults (SOAK_DURATION=10m SOAK_CLIENTS=64); report in target/soak
	@eval "$$(tests/env/up)" && (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) \
	  && node tests/e2e/soak/soak.mjs --duration $(SOAK_DURATION) --clients $(SOAK_CLIENTS) --out $(SOAK_OUT)

env-up: ## Start the local environment (prints its exports; see tests/README.md)
	@tests/env/up

env-down: ## Stop the local environment and remove its state (caches stay)
	@tests/env/down

lint: toolchain ## rustfmt and clippy (warnings are errors)
	@echo "==> cargo fmt --check" >&2
	$(CARGO) fmt --all -- --check
	@echo "==> clippy: host" >&2
	$(CARGO) clippy --release --locked -p kube-mcp --all-targets -- -D warnings
	@echo "==> clippy: plugins and SDK ($(PLUGIN_TARGET))" >&2
	$(CARGO) clippy --profile plugin --locked --target $(PLUGIN_TARGET) -p kube-mcp-plugin -p greeter $(addprefix -p ,$(PLUGINS) $(TEST_PLUGINS) $(addsuffix -plugin,$(EXAMPLES))) -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

clean: ## Remove build outputs
	$(CARGO) clean
