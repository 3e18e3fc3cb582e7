#!/usr/bin/env bash
# Ablation of the gazetteer's sources and priors on AIDA-CoNLL dev with gold mentions
# (docs/linking.md). Builds each variant into a temporary folder (nothing in models/ changes)
# and prints one row per variant. Needs ../shared (AIDA is read from there, never copied) and
# the package sources that scripts/build_gazetteer.sh fetches into the cache.
#   scripts/linking_ablation.sh [GOLD]    # GOLD defaults to AIDA dev
set -euo pipefail
cd "$(dirname "$0")/.."
gold="${1:-../shared/data/aida-conll-dev/aida-conll-dev.jsonl}"
shared=../shared/data/gazetteer-sources
packages="${BYLINE_CACHE:-$HOME/.cache/byline}/gazetteer-packages/sources"
[ -f "$gold" ] || { echo "linking_ablation: $gold is absent (AIDA comes with ../shared); nothing to do" >&2; exit 0; }
[ -f "$packages/dr5hn_cities.json" ] || { echo "linking_ablation: run scripts/build_gazetteer.sh first (it fetches the package sources)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# variant NAME PRIOR_PER_SOURCE EXCLUDED_FILE_PATTERN...: the sources less the files whose names
# match a pattern, built and scored.
variant() {
  local name=$1 per_source=$2
  shift 2
  local src="$work/$name/src"
  mkdir -p "$src"
  find "$shared" "$packages" -type f | while read -r f; do
    local base; base=$(basename "$f")
    for pattern in "$@"; do
      # shellcheck disable=SC2254
      case "$base" in $pattern) continue 2 ;; esac
    done
    [ -e "$src/$base" ] || ln -s "$(realpath "$f")" "$src/$base"
  done
  ./target/release/byline gazetteer build "$src" -o "$work/$name/gaz" --prior-per-source "$per_source" 2>/dev/null
  score "$name" "$work/$name/gaz"
}

# score NAME GAZETTEER: one table row.
score() {
  ./target/release/byline eval --gold "$gold" --gold-entities --stages link --gazetteer "$2" --json |
    python3 -c '
import json, sys
l = json.load(sys.stdin)["linking"]
links, qids = l["links"], l["gold_namespace_links"]
row = [sys.argv[1], "%.3f" % links["precision"], "%.3f" % qids["precision"], "%.3f" % links["recall"], "%.3f" % links["f1"],
       str(links["predicted"]), "%.1f%%" % (100 * l["coverage"]), "%.3f" % l["covered_accuracy"]]
print("| " + " | ".join(row) + " |")
' "$1"
}

# flat NAME KIND_NUMBERS: the full build with every prior of those kinds (Kind::ALL order:
# 0 country, 1 region, 2 city, 3 place, 4 person, ...) set to 0.5, written into a copy of the
# unpacked file (format 2: 48-byte entries from byte 48, the prior at byte 16 of each).
flat() {
  local name=$1 kinds=$2 full="$work/full build (default)/gaz"
  local bin; bin=$(ls "$full"/gazetteer.*.bin | head -1)
  python3 - "$bin" "$work/flat.bin" "$kinds" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
kinds = {int(k) for k in sys.argv[3].split(",")}
n = struct.unpack_from("<I", data, 24)[0]
for i in range(n):
    at = 48 + 48 * i
    if struct.unpack_from("<I", data, at + 20)[0] in kinds:
        struct.pack_into("<f", data, at + 16, 0.5)
open(sys.argv[2], "wb").write(data)
PY
  score "$name" "$work/flat.bin"
}

echo "| variant | P all links | P QIDs | R | F1 | links | coverage | covered acc. |"
echo "|---|---|---|---|---|---|---|---|"
variant "full build (default)" 0.05
variant "no source-count prior" 0
variant "source-count prior 0.10" 0.10
variant "without dr5hn cities" 0.05 'dr5hn_cities.json'
variant "without continents, subregions, past states" 0.05 'dr5hn_regions.json' 'dr5hn_subregions.json' 'histwardb_crosswalk.csv'
variant "without position histories" 0.05 'position_histories*'
variant "without legislators" 0.05 'legislators_part*' 'html_legislators.csv'
flat "flat priors (0.5) for every entry" 0,1,2,3,4,5,6,7,8,9,10
flat "flat priors for places (population, country size)" 0,1,2,3
flat "flat priors for people (office rank)" 4
variant "before (no new sources, no source-count prior)" 0 'dr5hn_*' 'histwardb_crosswalk.csv' 'position_histories*' 'positions.tsv' 'legislators_part*' 'html_legislators.csv'
