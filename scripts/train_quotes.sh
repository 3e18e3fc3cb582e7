#!/usr/bin/env bash
# Reproduces the speaker selector models/quotes-default/speaker.json: tags PolNeAR train with the
# default NER model (so the selector sees entities as it will at inference; cached in the work
# folder), fits the selector with `byline train --task quotes` (5-fold cross-validation on train
# reported), scores PolNeAR dev once, then runs `byline eval` on PolNeAR dev and on the open
# gold corpora/gum-quotes/gold.jsonl (GUM Wikinews + the seed article) with the new model.
# PolNeAR is restricted data from ../shared; it never enters the repository (the weights do).
# About 12 minutes on a 2-core CPU, 10 of them NER on PolNeAR train the first time.
# Usage: scripts/train_quotes.sh [OUT_DIR] [extra byline train flags]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${BYLINE_SHARED:-$root/../shared}/data/polnear"
out="${1:-$root/models/quotes-default}"
shift || true
work="${BYLINE_WORK:-${TMPDIR:-/tmp}/byline-quotes}"
[ -f "$data/train.jsonl.gz" ] || { echo "train_quotes.sh: PolNeAR not found in $data (set BYLINE_SHARED)" >&2; exit 1; }
"$root/scripts/setup.sh"
byline="$root/target/release/byline"
mkdir -p "$work"
for split in train dev; do
  input="$data/$split.jsonl"; [ -f "$input" ] || input="$input.gz"
  [ -s "$work/$split-ner.jsonl" ] || "$byline" annotate "$input" --stages ner -o "$work/$split-ner.jsonl"
done
"$byline" train --task quotes --train "$data/train.jsonl.gz" --entities "$work/train-ner.jsonl" \
  --dev "$data/dev.jsonl" --dev-entities "$work/dev-ner.jsonl" -o "$out" "$@"
"$byline" eval --gold "$data/dev.jsonl" --entities-from "$work/dev-ner.jsonl" --stages quotes --quote-model "$out/speaker.json"
"$byline" eval --gold "$root/corpora/gum-quotes/gold.jsonl" --stages ner,quotes --quote-model "$out/speaker.json"
