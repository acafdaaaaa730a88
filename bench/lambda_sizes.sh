#!/usr/bin/env bash
# The size of each Lambda function's release binary (the bootstrap Lambda downloads at a
# cold start), built from its own package as cargo lambda builds it: with that package's
# features alone. `--arm64` builds with cargo lambda for Graviton (needs `pip install
# cargo-lambda` and `rustup target add aarch64-unknown-linux-gnu`).
#
#   bench/lambda_sizes.sh            # x86_64, target/release/NAME
#   bench/lambda_sizes.sh --arm64    # aarch64, target/lambda/NAME/bootstrap
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-target}

declare -A package=(
  [api]=wisaw-api [dispatch]=wisaw-ingest
  [validate]=wisaw-validate [thumbnail]=wisaw-thumbnail
  [persist]=wisaw-persist [notify]=wisaw-notify
)
for function in api dispatch validate thumbnail persist notify; do
  start=$(date +%s)
  if [ "${1:-}" = "--arm64" ]; then
    cargo lambda build --release --arm64 -p "${package[$function]}" --bin "$function" >/dev/null
    binary="$target_dir/lambda/$function/bootstrap"
  else
    cargo build --release -p "${package[$function]}" --bin "$function" --quiet
    binary="$target_dir/release/$function"
  fi
  printf '%-10s %10d bytes  (%s s to build)\n' "$function" "$(stat -c %s "$binary")" "$(( $(date +%s) - start ))"
done
