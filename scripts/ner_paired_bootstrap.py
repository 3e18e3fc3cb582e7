#!/usr/bin/env python3
"""How sure is a difference in entity F1 between two systems on one gold set? A paired bootstrap
over documents: resample the documents with replacement, score both systems' predictions on the
same sample (exact span and type, micro F1, as `byline eval` scores), and report the difference
with its 95% interval and how often it falls at or below zero.

Usage: scripts/ner_paired_bootstrap.py GOLD.jsonl BASELINE.jsonl OTHER.jsonl [ROUNDS]
(Python 3, no packages; byline JSONL gold and predictions, paired by id; seeded, so repeatable)
"""

import json
import random
import sys


def counts(gold_path, pred_path):
    pred = {r["id"]: r for r in map(json.loads, open(pred_path, encoding="utf-8"))}
    out = []
    for g in map(json.loads, open(gold_path, encoding="utf-8")):
        gs = {(e["start"], e["end"], e["label"]) for e in g["entities"]}
        ps = {(e["start"], e["end"], e["label"]) for e in pred[g["id"]].get("entities") or []}
        out.append((len(gs & ps), len(ps), len(gs)))
    return out


def f1(rows):
    tp, pred, gold = (sum(col) for col in zip(*rows))
    return 2 * tp / (pred + gold) if pred + gold else 0.0


def main(gold, base, other, rounds=2000):
    a, b = counts(gold, base), counts(gold, other)
    rng = random.Random(42)
    diffs = []
    for _ in range(rounds):
        idx = [rng.randrange(len(a)) for _ in a]
        diffs.append(100 * (f1([b[i] for i in idx]) - f1([a[i] for i in idx])))
    diffs.sort()
    lo, hi = diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1]
    print(f"F1 {100 * f1(a):.2f} -> {100 * f1(b):.2f}: difference {100 * (f1(b) - f1(a)):+.2f}, "
          f"95% interval [{lo:+.2f}, {hi:+.2f}] over {len(a)} documents, "
          f"{sum(d <= 0 for d in diffs) / rounds:.1%} of {rounds} resamples at or below zero")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:4], *(int(x) for x in sys.argv[4:]))
