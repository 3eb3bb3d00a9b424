#!/usr/bin/env bash
# Installs the build tools Gemscope needs when they are missing. Idempotent: a second run is quick.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130

rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  # `cargo install --locked` fails here: the lock file names webpki-roots 1.0.11, which the registry lacks.
  # Unpack the crate, pin that one dependency back, and install from the unpacked path.
  work=$(mktemp -d)
  (cd "$work" && cargo new --quiet fetcher && cd fetcher && \
     cargo add --quiet "wasm-bindgen-cli@=$WASM_BINDGEN_VERSION" && cargo fetch --quiet) || true
  src=$(ls -d "$HOME"/.cargo/registry/src/*/wasm-bindgen-cli-"$WASM_BINDGEN_VERSION" | head -n1)
  cp -r "$src" "$work/cli"
  (cd "$work/cli" && cargo update --quiet -p webpki-roots@1.0.11 --precise 1.0.10 || true)
  cargo install --path "$work/cli" --locked --root "$HOME/.cargo"
  rm -rf "$work"
fi
