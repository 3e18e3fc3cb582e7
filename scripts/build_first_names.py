#!/usr/bin/env python3
"""Builds models/quotes-default/first_names.tsv: first names from the GATE ANNIE lists (LGPL-3.0;
../shared/data/gazetteer-sources/core/gate_annie: person_{female,male}{,_cap,_ambig,_ambig_cap}.lst
and person_first.lst) with the gender they give one way only (`?` for names of either gender),
one `name<TAB>f|m|?` a line, lowercased and sorted. The quotes stage reads it to tell people from
other capitalised words and to pick a pronoun's antecedent by gender (docs/quotes.md).

Usage: scripts/build_first_names.py [--shared ../shared]   (Python 3, no packages)
"""

import argparse
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def names(path):
    out = set()
    for line in open(path, encoding="utf-8", errors="replace"):
        name = line.strip()
        # Entries with a broken encoding (`Ã©`, `?`) or more than one word are left out.
        if re.fullmatch(r"[^\W\d_][^\W\d_'\-]*", name) and "Ã" not in name:
            out.add(name.lower())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    folder = os.path.join(ap.parse_args().shared, "data", "gazetteer-sources", "core", "gate_annie")
    def lists(gender):
        out = set()
        for suffix in ("", "_cap", "_ambig", "_ambig_cap"):
            path = os.path.join(folder, f"person_{gender}{suffix}.lst")
            if os.path.exists(path):
                out |= names(path)
        return out

    # The plain lists and their capitalised and ambiguous (`Bill`, `Mark`) variants.
    female, male = lists("female"), lists("male")
    both = female & male
    # First names of either gender (person_first.lst, and names in both lists): people, with no
    # gender.
    either = (names(os.path.join(folder, "person_first.lst")) | both) - (female - both) - (male - both)
    rows = sorted([(n, "f") for n in female - both] + [(n, "m") for n in male - both] + [(n, "?") for n in either])
    out = os.path.join(ROOT, "models", "quotes-default", "first_names.tsv")
    with open(out, "w", encoding="utf-8") as f:
        for name, gender in rows:
            f.write(f"{name}\t{gender}\n")
    print(f"wrote {out}: {len(rows)} names ({len(female - both)} female, {len(male - both)} male, {len(either)} either)")


if __name__ == "__main__":
    main()
