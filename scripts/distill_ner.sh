#!/usr/bin/env bash
# Distils a teacher NER model into a student (issue 14): into a 6-layer student (the same accuracy
# at twice the words/s), or into the 12-layer model itself (NER_STUDENT=self). The student learns from CoNLL-2003 train (gold and the teacher's distributions) and
# from unlabelled US election news: the texts of every third PolNeAR train article (280 of 840,
# about 219,000 words). PolNeAR's dev split measures quotes and its train split is in neither NER
# second set (GUM-ner, the seed article), so those checks stay clean. Both data sets are
# restricted: they are read from ../shared, and the text-only copy lives in a temporary folder
# that is removed afterwards.
#
# NER_STUDENT picks the student:
#   fast    (default; how models/ner-fast was made) all-MiniLM-L6-v2 (WordPiece) fine-tuned on
#           CoNLL-2003 by `NER_BASE=minilm scripts/train_ner.sh` (47 min; NER_FAST_START=DIR starts
#           from such a model instead), then distilled in two stages: 6 epochs at 1e-4 with the
#           280 texts above, then 3 epochs at 5e-5 with all 840 PolNeAR train texts (about 50 +
#           55 min). Its vocabulary is not the teacher's, so the teacher's outputs reach it word
#           by word.
#   layers  6 of the teacher's own layers (1, 3, … 11), 8 epochs at 1.5e-4 (about 70 min)
#   self    (how models/ner-default was made, session 26) the 12-layer model NER_SELF_BASE
#           (`scripts/train_ner.sh`, 9 epochs) trained 2 more epochs at 3e-5 with all 840
#           PolNeAR train texts unlabelled, taught by NER_TEACHER (the half-and-half average of
#           the 9- and 12-epoch models: `scripts/train_ner.sh E12 --epochs 12 --average-last 2`,
#           then `cargo run --release --example average_models -- NER_SELF_BASE E12 SOUP 0.5
#           int8`); the checkpoint average of both epochs is kept (about 80 min)
#
# NER_TEACHER overrides the teacher (models/ner-default otherwise).
#
# Usage: [NER_STUDENT=fast|layers|self] scripts/distill_ner.sh OUT [more `byline train` flags]
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
# Texts only, every third article (unlabelled.jsonl) and all of them (unlabelled-all.jsonl).
gzip -dc "$data/polnear/train.jsonl.gz" | python3 -c '
import json, sys
with open(sys.argv[1], "w") as third, open(sys.argv[2], "w") as every:
    for n, line in enumerate(sys.stdin):
        doc = json.loads(line)
        text = json.dumps({"id": doc["id"], "text": doc["text"]}) + "\n"
        every.write(text)
        if n % 3 == 0:
            third.write(text)
' "$tmp/unlabelled.jsonl" "$tmp/unlabelled-all.jsonl"
teacher="${NER_TEACHER:-$root/models/ner-default}"
distil() {
  "$root/target/release/byline" train --train "$data/conll2003/train.txt" --dev "$data/conll2003/dev.txt" \
    --teacher "$teacher" --batch-size 8 --window 256 --context 32 --case-feature true \
    --weights int8 --average-last 2 --also-score "$root/corpora/gum-ner/gold.jsonl" "$@"
}
case "${NER_STUDENT:-fast}" in
  fast)
    start="${NER_FAST_START:-}"
    if [ -z "$start" ]; then
      start="$tmp/finetuned"
      NER_BASE=minilm "$root/scripts/train_ner.sh" "$start"
    fi
    distil --base "$start" --unlabelled "$tmp/unlabelled.jsonl" -o "$tmp/stage1" \
      --epochs 6 --learning-rate 1e-4 --seed 42 "$@"
    distil --base "$tmp/stage1" --unlabelled "$tmp/unlabelled-all.jsonl" -o "$out" \
      --epochs 3 --learning-rate 5e-5 --seed 43 "$@"
    cp "$tmp/stage1/training-log.json" "$out/training-log-distill1.json"
    ;;
  layers)
    distil --base "$teacher" --keep-layers 1,3,5,7,9,11 --unlabelled "$tmp/unlabelled.jsonl" -o "$out" \
      --epochs 8 --learning-rate 1.5e-4 --seed 42 "$@"
    ;;
  self)
    [ -n "${NER_SELF_BASE:-}" ] && [ -n "${NER_TEACHER:-}" ] || {
      echo "distill_ner.sh: NER_STUDENT=self needs NER_SELF_BASE (the 9-epoch model) and NER_TEACHER (the soup)" >&2; exit 2; }
    distil --base "$NER_SELF_BASE" --unlabelled "$tmp/unlabelled-all.jsonl" -o "$out" \
      --epochs 2 --learning-rate 3e-5 --seed 44 "$@"
    ;;
  *) echo "distill_ner.sh: NER_STUDENT is fast, layers or self" >&2; exit 2 ;;
esac
