#!/usr/bin/env bash
# Rebuilds models/gazetteer-default from the open sources in ../shared (docs/linking.md).
# Extra arguments are passed on as more sources, e.g. your own entries:
#   scripts/build_gazetteer.sh my-entries.tsv
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES="${GAZETTEER_SOURCES:-../shared/data/gazetteer-sources}"
cargo build --release --quiet
./target/release/byline gazetteer build "$SOURCES" "$@" -o models/gazetteer-default
