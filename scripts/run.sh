#!/usr/bin/env bash
# The main job: sets up what is missing, then annotates the sample corpus in corpora/ with the
# default model and prints a summary. Extra arguments go to `byline annotate`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
mkdir -p out
set +e
target/release/byline annotate corpora/sample -o out/sample.jsonl "$@"
status=$?
set -e
echo "wrote out/sample.jsonl ($(wc -l < out/sample.jsonl) records)" >&2
exit $status
