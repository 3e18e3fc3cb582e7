#!/usr/bin/env bash
# Puts pyspark into the project's virtual environment .venv/, for scripts/spark_annotate.py and
# tests/spark.rs; Spark also needs Java (8, 11 or 17) on PATH or in JAVA_HOME. Idempotent: a
# second run only checks. pip keeps what it downloads and builds in ~/.cache/pip, so installing
# again (a fresh clone, a new .venv) does not download again.
#
# Exit status 1 when pyspark or Java is missing and cannot be had; tests/spark.rs then skips.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
# The 3.5 line runs on Java 8, 11 and 17 (4.x needs 17).
pyspark_version=3.5.9

fail() { echo "setup_spark: $1; tests/spark.rs will be skipped" >&2; exit 1; }

if ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  echo "setup_spark: installing pyspark $pyspark_version into $venv (about 320 MB the first time)" >&2
  python3 -m venv "$venv" || fail "cannot create $venv with python3 -m venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "pyspark==$pyspark_version" \
    || fail "pip could not install pyspark==$pyspark_version"
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
"$java" -version >/dev/null 2>&1 || fail "no Java ($java); e.g. apt-get install openjdk-17-jre-headless"
