#!/usr/bin/env bash
# Redraws docs/view.png, the README's picture of `byline view`: annotates the sample corpus (or
# reuses out/sample.jsonl), writes out/sample.html, and has headless Chromium photograph the seed
# article with one quote selected. Needs scripts/setup_browser.sh (Chromium) and the release build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
chromium="${BYLINE_CHROMIUM:-$(command -v chromium || true)}"
[ -n "$chromium" ] || { echo "view_screenshot: chromium not found; run scripts/setup_browser.sh" >&2; exit 1; }
[ -s out/sample.jsonl ] || target/release/byline annotate corpora/sample -o out/sample.jsonl
target/release/byline view out/sample.jsonl -o out/sample.html
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# Quote 5 of the seed article: "he said", resolved to Hakob Badalyan.
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1400,900 --virtual-time-budget=3000 \
  --screenshot="$root/docs/view.png" "file://$root/out/sample.html#1/q5" 2>/dev/null
echo "wrote docs/view.png"
