#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need (the real nginx,
# HAProxy and keepalived are the oracles), then runs formatting, lints and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-full)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v keepalived >/dev/null 2>&1 || need+=(keepalived)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --all-targets
