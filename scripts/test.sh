#!/usr/bin/env bash
# The whole test suite: sets up what is missing (scripts/setup.sh, scripts/setup_spark.sh), then
# runs every test.
# Tests build in the release profile so they share the dependency build with the binary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
# Optional: pyspark in .venv/ for tests/spark.rs, which skips (and says why) without it.
"$root/scripts/setup_spark.sh" || true
cd "$root"
exec cargo test --release --locked "$@"
