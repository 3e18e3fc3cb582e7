#!/usr/bin/env bash
# Distils the default NER model into a 6-layer student (issue 14: the same accuracy at twice the
# words/s). The student starts from the teacher's layers 1, 3, … 11 and learns from CoNLL-2003
# train (gold and the teacher's distributions) and from unlabelled US election news: the texts of
# every third PolNeAR train article (280 of 840, about 219,000 words). PolNeAR's dev split measures
# quotes and its train split is in neither NER second set (GUM-ner, the seed article), so those
# checks stay clean. Both data sets are restricted: they are read from ../shared, and the
# text-only copy lives in a temporary folder that is removed afterwards.
#
# Usage: scripts/distill_ner.sh OUT [more `byline train` flags]   (about 70 min on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${BYLINE_SHARED:-$root/../shared}/data"
out="${1:?usage: scripts/distill_ner.sh OUT [byline train flags]}"
shift
for f in "$data/conll2003/train.txt" "$data/polnear/train.jsonl.gz"; do
  [ -f "$f" ] || { echo "distill_ner.sh: $f not found (set BYLINE_SHARED to the shared folder)" >&2; exit 1; }
done
"$root/scripts/setup.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
gzip -dc "$data/polnear/train.jsonl.gz" | python3 -c '
import json, sys
for n, line in enumerate(sys.stdin):
    if n % 3 == 0:
        doc = json.loads(line)
        print(json.dumps({"id": doc["id"], "text": doc["text"]}))
' > "$tmp/unlabelled.jsonl"
teacher="$root/models/ner-default"
"$root/target/release/byline" train --train "$data/conll2003/train.txt" --dev "$data/conll2003/dev.txt" \
  --base "$teacher" --keep-layers 1,3,5,7,9,11 --teacher "$teacher" --unlabelled "$tmp/unlabelled.jsonl" \
  -o "$out" --epochs 8 --learning-rate 1.5e-4 --batch-size 8 --window 256 --context 32 --case-feature true \
  --seed 42 --weights int8 --average-last 2 --also-score "$root/corpora/gum-ner/gold.jsonl" "$@"
