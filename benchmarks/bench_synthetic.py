"""Synthetic populations: how fast ``nonpunish.synthesise`` draws rows.

Run:  python benchmarks/bench_synthetic.py [--rows N] [--repeat R] [--spec PATH]
                                           [--evaluate]

Draws N rows (default 1,000,000) from the spec (default the shipped example,
``examples/tables/synthetic-population.yaml``) R times (default 5), each with another seed, and
reports the median time and rows per second. With ``--evaluate``, also the time of
``nonpunish.evaluate_table`` on the last population under s.45, and that no row was rejected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path

import nonpunish

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "tables" / "synthetic-population.yaml"
RULESET = "uk-ew/modern-slavery-act-2015/s45"
AS_OF = dt.date(2026, 11, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--evaluate", action="store_true")
    args = parser.parse_args()

    nonpunish.synthesise(args.spec, 1_000, seed=0)  # warm up: imports, vocabulary, catalogues
    times = []
    table = None
    for seed in range(args.repeat):
        start = time.perf_counter()
        table = nonpunish.synthesise(args.spec, args.rows, seed=seed)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    report: dict[str, object] = {
        "rows": args.rows, "columns": table.width if table is not None else 0,
        "runs_s": [round(t, 3) for t in times], "median_s": round(median, 3),
        "rows_per_s": round(args.rows / median),
    }
    if args.evaluate and table is not None:
        start = time.perf_counter()
        out = nonpunish.evaluate_table(table, RULESET, as_of=AS_OF)
        report["evaluate_s"] = round(time.perf_counter() - start, 3)
        report["rejected"] = out.summary().rejected
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
