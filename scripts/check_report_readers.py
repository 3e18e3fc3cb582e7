#!/usr/bin/env python3
"""Reads the Parquet tables of `byline report` with whichever of DuckDB, pyarrow and Polars is
installed and checks each against its CSV twin: same columns, same rows, dates as DATE.

    python3 scripts/check_report_readers.py out/report

Not part of the test suite (tests/report.rs reads the Parquet files back with the parquet
crate); this checks that the readers users have agree with it. Exits 1 on a mismatch, 0 when
every reader found agrees (or none is installed, said so)."""
import csv
import importlib.util
import sys
from pathlib import Path

TABLES = ["speakers", "entities", "quotes", "comentions"]


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def cell(v):
    return "" if v is None else str(v)


def readers():
    if importlib.util.find_spec("duckdb"):
        import duckdb

        def read(path):
            rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
            return rel.columns, rel.fetchall()

        yield "duckdb", read
    if importlib.util.find_spec("pyarrow"):
        import pyarrow.parquet as pq

        def read(path):
            t = pq.read_table(path)
            return t.column_names, [tuple(r.values()) for r in t.to_pylist()]

        yield "pyarrow", read
    if importlib.util.find_spec("polars"):
        import polars as pl

        def read(path):
            df = pl.read_parquet(path)
            return df.columns, df.rows()

        yield "polars", read


def main(folder):
    folder = Path(folder)
    found = False
    bad = 0
    for name, read in readers():
        found = True
        for table in TABLES:
            header, rows = csv_rows(folder / f"{table}.csv")
            columns, values = read(str(folder / f"{table}.parquet"))
            values = [[cell(v) for v in row] for row in values]
            ok = list(columns) == header and values == rows
            bad += not ok
            print(f"{name:8} {table:11} {len(values):8} rows {'agrees with the CSV' if ok else 'DIFFERS from the CSV'}")
    if not found:
        print("none of duckdb, pyarrow, polars is installed; nothing checked (pip install duckdb)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "out/report"))
