"""Population-scale evaluation: the vectorised engine against a hand-written polars baseline.

Run:  python benchmarks/bench_vectorised.py [--rows N] [--repeat R] [--sample S]
                                            [--table-rows N] [--variants] [--explain-rows N]

Each measurement runs in a fresh child process, so its peak resident memory (``ru_maxrss``)
is its own: generating the data, evaluating it ``--repeat`` times, nothing else. Reported:

* **engine**: the vectorised engine (``VectorisedEngine.evaluate``) over N synthetic
  *prepared* s.45 rows (a Boolean column with nulls per leaf, the version column):
  result, legal effect and limb;
* **hand-written**: one polars expression of the same s.45 logic, written by hand, over the
  same rows (the baseline; its output is checked equal to the engine's);
* **ratio** engine / hand-written (target: at most 1.5), and peak memory (target: under
  2 GiB at 10,000,000 rows); and the engine again with the deciding elements switched on,
  with the least time any engine could spend on that output (gathering each row's list of
  element ids from the few distinct lists), to show what the lists themselves cost;
* **table, end to end**: ``nonpunish.evaluate_table`` on a synthetic table of *case columns*
  (offence ids, dates of birth and of the act, findings, evidence levels, a set fact as
  text): reading, checking, preparing and evaluating (``--table-rows``, default N);
* **Dutch variants** (``--variants``): the same end-to-end table under every named variant of
  the proposed art. 273f clause;
* **explained** (``--explain-rows N``, default 100,000): the end-to-end table with
  ``explain=True``: the deciding elements from the vectorised engine, and the open questions
  of the undetermined rows from the reference evaluator (once per group of rows with the same
  leaves);
* **reference**: the reference evaluator's rate on an S-row sample (default 2,000): the
  whole reasoned outcome per row (``evaluate_table(engine="reference")``), and its engine
  alone (``evaluate_nodes`` and the result) over prepared rows.

Rates are rows (cases) per second from the median of the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import polars as pl

import nonpunish
from nonpunish._engine import evaluate_nodes
from nonpunish._vectorised import (
    LEGAL_EFFECT_DTYPE,
    LIMB_DTYPE,
    RESULT_DTYPE,
    VERSION,
    vectorised_engine,
)

RULESET = "uk-ew/modern-slavery-act-2015/s45"
AS_OF = dt.date(2026, 11, 1)
MIB = 1024 * 1024


def _uniform(n: int, seed: int, modulus: int) -> pl.Expr:
    """Pseudo-random integers in [0, modulus), one per row, from a hash of the row index."""
    return (pl.int_range(n, dtype=pl.UInt64).hash(seed) % modulus).cast(pl.Int32)


def _kleene(n: int, seed: int, p_true: float, p_null: float) -> pl.Expr:
    u = _uniform(n, seed, 1000)
    return (pl.when(u < p_null * 1000).then(pl.lit(None, dtype=pl.Boolean))
            .when(u < (p_null + p_true) * 1000).then(pl.lit(True)).otherwise(pl.lit(False)))


def prepared_rows(n: int) -> pl.DataFrame:
    """N prepared s.45 rows: every leaf a Kleene column (mostly true, some unknown), the
    two age leaves consistent with an age from 10 to 49, 5% of acts before commencement,
    10% of offences on Schedule 4."""
    engine = vectorised_engine(nonpunish.load_ruleset(RULESET))
    columns: dict[str, pl.Expr] = {}
    for i, key in enumerate(engine.leaf_keys):
        if key[0] in ("age_at_least", "age_under"):
            continue
        if key == ("excluded",):
            columns[engine.columns[key]] = _kleene(n, i + 1, 0.1, 0.0)
        else:
            columns[engine.columns[key]] = _kleene(n, i + 1, 0.7, 0.15)
    age = _uniform(n, 99, 40) + 10
    in_force = _uniform(n, 7, 20) != 0
    frame = pl.select(**columns, __age=age, **{VERSION: pl.when(in_force).then(
        pl.lit(0, dtype=pl.Int16)).otherwise(pl.lit(None, dtype=pl.Int16))})
    return frame.with_columns((pl.col("__age") >= 18).alias("age_at_least:18"),
                              (pl.col("__age") < 18).alias("age_under:18")).drop("__age")


def handwritten(frame: pl.DataFrame) -> pl.DataFrame:
    """The s.45 logic written by hand as one polars expression: the baseline."""
    c = pl.col
    victim = c("fact:victim_of_slavery") | (c("fact:victim_of_trafficking") & c(
        "includes_any:exploitation_types=forced_labour|domestic_servitude|sexual_exploitation"
        "|organ_removal|forced_criminality|forced_begging|use_of_child_or_vulnerable_person"))
    adult = (c("age_at_least:18") & c("fact:compelled")
             & ((c("fact:compulsion_is_exploitation_conduct") & victim)
                | (c("fact:compulsion_direct_consequence_of_exploitation") & victim))
             & c("fact:reasonable_person_no_realistic_alternative"))
    child = (c("age_under:18") & c("fact:act_direct_consequence_of_exploitation") & victim
             & c("fact:reasonable_person_would_do_act"))
    excluded = c("excluded")
    protected = ~excluded & (adult | child)
    not_in_force = c(VERSION).is_null()

    def r(name: str) -> pl.Expr:
        return pl.lit(name, dtype=RESULT_DTYPE)

    result = (pl.when(not_in_force).then(r("not_in_force")).when(protected).then(r("protected"))
              .when(excluded).then(r("excluded_offence")).when(~protected)
              .then(r("not_protected")).otherwise(r("undetermined")))
    effect = (pl.when(result == "protected").then(pl.lit("not_guilty", dtype=LEGAL_EFFECT_DTYPE))
              .otherwise(pl.lit(None, dtype=LEGAL_EFFECT_DTYPE)))
    limb = (pl.when(not_in_force).then(pl.lit(None, dtype=LIMB_DTYPE))
            .when(c("age_at_least:18")).then(pl.lit("adult", dtype=LIMB_DTYPE))
            .when(c("age_under:18")).then(pl.lit("child", dtype=LIMB_DTYPE))
            .otherwise(pl.lit(None, dtype=LIMB_DTYPE)))
    return frame.lazy().select(result.alias("result"), effect.alias("legal_effect"),
                               limb.alias("limb")).collect()


OFFENCES = [
    "uk-ew/misuse-of-drugs-act-1971/s4-3", "uk-ew/misuse-of-drugs-act-1971/s4-2",
    "uk-ew/misuse-of-drugs-act-1971/s5-3", "uk-ew/theft-act-1968/s1", "uk-ew/theft-act-1968/s8",
    "uk-ew/theft-act-1968/s9", "uk-ew/identity-documents-act-2010/s4",
    "uk-ew/identity-documents-act-2010/s6", "uk-ew/street-offences-act-1959/s1",
    "common-law/murder",
]
EXPLOITATION = ["forced_criminality", "sexual_exploitation", "forced_labour;forced_criminality",
                "none", "other"]


def case_table(n: int) -> pl.DataFrame:
    """N rows of case columns, as a modeller's table would hold them."""
    engine_offences = [o if o.startswith("uk-ew/") else f"uk-ew/{o}" for o in OFFENCES]
    day0 = dt.date(2010, 1, 1)

    def pick(seed: int, options: list[str]) -> pl.Expr:
        return _uniform(n, seed, len(options)).replace_strict(
            dict(enumerate(options)), return_dtype=pl.String)

    act = pl.lit(day0) + pl.duration(days=_uniform(n, 11, 16 * 365))
    age_days = _uniform(n, 12, 30 * 365) + 12 * 365
    findings = {name: _kleene(n, 20 + i, 0.7, 0.15) for i, name in enumerate([
        "victim_of_slavery", "victim_of_trafficking", "compelled",
        "compulsion_is_exploitation_conduct", "compulsion_direct_consequence_of_exploitation",
        "act_direct_consequence_of_exploitation", "reasonable_person_would_do_act"])}
    return pl.select(
        case_id=pl.format("c{}", pl.int_range(n)),
        offence=pick(30, engine_offences),
        act_date=act,
        date_of_birth=act - pl.duration(days=age_days),
        participation=pick(31, ["principal", "principal", "principal", "attempt",
                                "aiding_abetting"]),
        exploitation_types=pick(32, EXPLOITATION),
        reasonable_person_no_realistic_alternative_evidence=pick(
            33, ["evidence_raised", "slight_indication", "no_evidence",
                 "balance_of_probabilities"]),
        burglary_with_intent_to_cause_gbh_or_damage=_kleene(n, 34, 0.2, 0.3),
        **findings,
    )


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        out = None  # the previous run's output is freed before the next run
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, rows: int, repeat: int) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    rs = nonpunish.load_ruleset(RULESET)
    engine = vectorised_engine(rs)
    if kind in ("engine", "hand", "engine-deciding"):
        frame = prepared_rows(rows)
        data_mib = frame.estimated_size() / MIB
        after_data = _peak_mib()
        fn = ((lambda: engine.evaluate(frame)) if kind == "engine" else
              (lambda: engine.evaluate(frame, deciding=True)) if kind == "engine-deciding"
              else (lambda: handwritten(frame)))
        seconds, out = _median_time(fn, repeat)
        check = out.get_column("result").value_counts().sort("result").to_dicts()
        floor = None
        if kind == "engine-deciding":
            # The least any engine could spend on this output: gathering each row's list of
            # element ids from the few distinct lists, given which one each row has.
            lists = out.select(pl.col("deciding").cast(pl.List(pl.String))).unique(
                maintain_order=True).with_row_index("__i")
            index = out.select(pl.col("deciding").cast(pl.List(pl.String))).join(
                lists, on="deciding", how="left", maintain_order="left").get_column("__i")
            floor, _ = _median_time(lambda: lists.get_column("deciding").gather(index),
                                    repeat)
        if kind == "engine":  # the outputs agree with the baseline, row for row
            assert out.equals(handwritten(frame)), "engine and hand-written differ"
        return {"seconds": seconds, "rows": rows, "data_mib": data_mib,
                "rss_after_data_mib": after_data, "peak_mib": _peak_mib(),
                "results": {str(d["result"]): d["count"] for d in check},
                "floor_seconds": floor}
    if kind == "table":
        table = case_table(rows)
        data_mib = table.estimated_size() / MIB
        after_data = _peak_mib()
        seconds, out = _median_time(
            lambda: nonpunish.evaluate_table(table, rs, as_of=AS_OF), repeat)
        summary = out.summary()
        return {"seconds": seconds, "rows": rows, "data_mib": data_mib,
                "rss_after_data_mib": after_data, "peak_mib": _peak_mib(),
                "results": summary.results, "rejected": summary.rejected}
    if kind == "table-explain":
        table = case_table(rows)
        seconds, out = _median_time(
            lambda: nonpunish.evaluate_table(table, rs, as_of=AS_OF, explain=True), repeat)
        summary = out.summary()
        return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib(),
                "results": summary.results, "rejected": summary.rejected}
    if kind.startswith("variant:"):
        variant = nonpunish.load_ruleset(kind.removeprefix("variant:"))
        table = case_table(rows)
        seconds, out = _median_time(
            lambda: nonpunish.evaluate_table(table, variant, as_of=AS_OF), repeat)
        summary = out.summary()
        return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib(),
                "results": summary.results, "rejected": summary.rejected}
    if kind == "reference-table":
        table = case_table(rows)
        seconds, out = _median_time(
            lambda: nonpunish.evaluate_table(table, rs, as_of=AS_OF, engine="reference"),
            repeat)
        vec = nonpunish.evaluate_table(table, rs, as_of=AS_OF)
        assert out.results.equals(vec.results), "reference and vectorised tables differ"
        return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib()}
    if kind == "reference-engine":
        frame = prepared_rows(rows)
        cv = rs.compiled[0]
        keys = engine.leaf_keys
        records = [dict(zip(keys, r, strict=True)) for r in
                   frame.select([engine.columns[k] for k in keys]).iter_rows()]
        in_force = frame.get_column(VERSION).is_not_null().to_list()

        def run() -> list[str]:
            out = []
            for leaves, live in zip(records, in_force, strict=True):
                if not live:
                    out.append("not_in_force")
                    continue
                values = evaluate_nodes(cv.nodes, leaves)
                root = values[cv.root]
                out.append("protected" if root is True else "excluded_offence"
                           if leaves[("excluded",)] is True else "not_protected"
                           if root is False else "undetermined")
            return out

        seconds, got = _median_time(run, repeat)
        want = engine.evaluate(frame).get_column("result").cast(pl.String).to_list()
        assert got == want, "reference engine and vectorised engine differ"
        return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib()}
    raise SystemExit(f"unknown measurement {kind}")


def measure(kind: str, rows: int, repeat: int) -> dict[str, Any]:
    proc = subprocess.run(  # noqa: S603 - runs this script with fixed arguments
        [sys.executable, __file__, "--child", kind, "--rows", str(rows), "--repeat",
         str(repeat)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--table-rows", type=int, default=None)
    parser.add_argument("--explain-rows", type=int, default=100_000)
    parser.add_argument("--variants", action="store_true",
                        help="also time the table under every Dutch variant")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.repeat)))
        return

    n = args.rows
    print(f"polars {pl.__version__}, nonpunish {nonpunish.__version__}, {RULESET}")
    print(f"prepared rows: {n:,}; median of {args.repeat} runs; each in a fresh process\n")
    eng = measure("engine", n, args.repeat)
    hand = measure("hand", n, args.repeat)
    for name, m in (("vectorised engine", eng), ("hand-written expression", hand)):
        print(f"{name:26} {m['seconds'] * 1000:9.1f} ms  {n / m['seconds']:>14,.0f} rows/s"
              f"  peak RSS {m['peak_mib']:7.0f} MiB (data {m['data_mib']:.0f} MiB; "
              f"{m['rss_after_data_mib']:.0f} MiB after generating it)")
    ratio = eng["seconds"] / hand["seconds"]
    print(f"{'ratio engine / hand':26} {ratio:9.2f}    (target <= 1.5)")
    print(f"results: {eng['results']}")
    dec = measure("engine-deciding", n, args.repeat)
    print(f"{'engine, deciding elements':26} {dec['seconds'] * 1000:9.1f} ms  "
          f"{n / dec['seconds']:>14,.0f} rows/s  peak RSS {dec['peak_mib']:7.0f} MiB  "
          f"(ratio to hand-written {dec['seconds'] / hand['seconds']:.2f})")
    print(f"{'  of which lists, at least':26} {dec['floor_seconds'] * 1000:9.1f} ms  "
          f"(building the list column alone, from the distinct lists: ratio "
          f"{dec['floor_seconds'] / hand['seconds']:.2f})\n")

    t_rows = args.table_rows or n
    table = measure("table", t_rows, max(1, min(args.repeat, 3)))
    print(f"{'table, end to end':26} {table['seconds'] * 1000:9.1f} ms  "
          f"{t_rows / table['seconds']:>14,.0f} rows/s  peak RSS {table['peak_mib']:7.0f} MiB "
          f"(input {table['data_mib']:.0f} MiB; {table['rss_after_data_mib']:.0f} MiB after "
          f"generating it) for {t_rows:,} rows of case columns; {table['rejected']} rejected")
    e_rows = args.explain_rows
    expl = measure("table-explain", e_rows, max(1, min(args.repeat, 3)))
    print(f"{'table, explained':26} {expl['seconds'] * 1000:9.1f} ms  "
          f"{e_rows / expl['seconds']:>14,.0f} rows/s  peak RSS {expl['peak_mib']:7.0f} MiB  "
          f"for {e_rows:,} rows (deciding elements, and questions for "
          f"{expl['results']['undetermined']:,} undetermined rows)")
    if args.variants:
        for info in nonpunish.list_rulesets():
            if info.variant_of != "nl/proposal/273f-non-punishment":
                continue
            m = measure(f"variant:{info.id}", t_rows, max(1, min(args.repeat, 3)))
            print(f"{info.id.split('@')[1]:26} {m['seconds'] * 1000:9.1f} ms  "
                  f"{t_rows / m['seconds']:>14,.0f} rows/s  peak RSS {m['peak_mib']:7.0f} MiB"
                  f"  {m['results']}")
    s = args.sample
    ref_table = measure("reference-table", s, max(1, min(args.repeat, 3)))
    ref_engine = measure("reference-engine", s, args.repeat)
    print(f"{'reference, whole outcome':26} {ref_table['seconds'] * 1000:9.1f} ms  "
          f"{s / ref_table['seconds']:>14,.0f} rows/s  ({s:,}-row sample)")
    print(f"{'reference engine alone':26} {ref_engine['seconds'] * 1000:9.1f} ms  "
          f"{s / ref_engine['seconds']:>14,.0f} rows/s  ({s:,} prepared rows)")


if __name__ == "__main__":
    main()
