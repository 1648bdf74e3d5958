#!/usr/bin/env python3
"""Join the account keys that `cargo bench -p comark-matching` dumped, in DuckDB, and print
the join time, so comark-matching's overlap join can be compared with DuckDB's on the same
keys.

Usage:
    COMARK_BENCH_DUMP_DIR=/tmp/comark-bench COMARK_BENCH_SIZES=1000000 \\
        cargo bench -p comark-matching
    .venv/bin/python scripts/bench-duckdb.py [/tmp/comark-bench] [--threads N] [--runs N]

Needs the `duckdb` package in the repo's virtualenv (not in scripts/requirements-test.txt:
the tests do not need it):
    python3 -m venv .venv && .venv/bin/pip install duckdb

The dump holds `ours.csv` and `theirs.csv` with columns `idx,kind,key`. Two keys match when
`kind` and `key` are equal, as in comark-matching's `overlap`. Loading the CSVs is timed
apart; the join is timed twice over: counting the pairs, and materializing them sorted by
(ours, theirs) as `overlap` returns them.
"""

import argparse
import os
import statistics
import sys
import time

try:
    import duckdb
except ImportError:
    sys.exit(
        "bench-duckdb: the duckdb package is missing; run: "
        "python3 -m venv .venv && .venv/bin/pip install duckdb"
    )


def timed(con, sql, runs):
    """Runs `sql` `runs` times; returns (last result rows, list of seconds)."""
    times = []
    rows = None
    for _ in range(runs):
        start = time.perf_counter()
        rows = con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    return rows, times


def report(label, times):
    print(
        f"  {label:<42} first {times[0] * 1e3:8.1f} ms   "
        f"min {min(times) * 1e3:8.1f} ms   median {statistics.median(times) * 1e3:8.1f} ms"
        f"   ({len(times)} runs)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "dir",
        nargs="?",
        default=os.environ.get("COMARK_BENCH_DUMP_DIR", "/tmp/comark-bench"),
        help="folder with ours.csv and theirs.csv (default: $COMARK_BENCH_DUMP_DIR "
        "or /tmp/comark-bench)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's own)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each query (default 3)")
    args = parser.parse_args()

    ours_csv = os.path.join(args.dir, "ours.csv")
    theirs_csv = os.path.join(args.dir, "theirs.csv")
    for path in (ours_csv, theirs_csv):
        if not os.path.exists(path):
            sys.exit(
                f"bench-duckdb: {path} is missing; run the benchmark with "
                "COMARK_BENCH_DUMP_DIR set first"
            )

    con = duckdb.connect()  # in memory
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}, {threads} threads, keys from {args.dir}")

    columns = "{'idx': 'UINTEGER', 'kind': 'VARCHAR', 'key': 'VARCHAR'}"
    start = time.perf_counter()
    for table, path in (("ours", ours_csv), ("theirs", theirs_csv)):
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, "
            f"columns = {columns})",
            [path],
        )
    load = time.perf_counter() - start
    n_ours = con.execute("SELECT count(*) FROM ours").fetchone()[0]
    n_theirs = con.execute("SELECT count(*) FROM theirs").fetchone()[0]
    print(f"  load CSVs (not part of the join)           {load * 1e3:8.1f} ms   "
          f"{n_ours} × {n_theirs} keys")

    join = "FROM ours o JOIN theirs t ON o.kind = t.kind AND o.key = t.key"
    rows, times = timed(con, f"SELECT count(*) {join}", args.runs)
    pairs = rows[0][0]
    report("join, count(*)", times)

    _, times = timed(
        con,
        "CREATE OR REPLACE TEMP TABLE matches AS "
        f"SELECT o.idx AS ours, t.idx AS theirs, o.kind AS kind {join} ORDER BY ours, theirs",
        args.runs,
    )
    report("join, materialized, ORDER BY ours, theirs", times)

    high = con.execute("SELECT count(*) FROM matches WHERE kind = 'domain'").fetchone()[0]
    print(f"  matches {pairs} ({high} domain, {pairs - high} name)")


if __name__ == "__main__":
    main()
