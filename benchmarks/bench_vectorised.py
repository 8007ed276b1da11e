"""Population-scale evaluation: the vectorised engine against a hand-written polars baseline.

Run:  python benchmarks/bench_vectorised.py [--rows N] [--repeat R] [--sample S]
                                            [--table-rows N] [--table-repeat R]
                                            [--explain-rows N] [--variants]
                                            [--no-memory] [--json]

Everything is timed in this one process, in three groups. Within a group the runs are
interleaved (engine, baseline, engine, baseline, …), so a burst of load from elsewhere on
the machine falls on every measurement alike; the first run of each (the warm-up) is left
out; and both CPU time (user + system, every thread) and wall time are kept for every run
(see ``_timing.py``). Reported are the medians over the runs, and ratios of medians.

1. **Prepared rows** (``--rows N``, default 1,000,000; ``--repeat R`` timed runs, default 9):
   N synthetic *prepared* s.45 rows (a Boolean column with nulls per leaf, the version
   column).

   * *vectorised engine*: ``VectorisedEngine.evaluate``: result, legal effect and limb;
   * *hand-written expression*: one polars expression of the same s.45 logic, written by
     hand: the baseline (the engine's output is checked equal to it, row for row);
   * *engine, deciding elements*: the engine with the deciding elements switched on;
   * *lists alone, at least*: the least time any engine could spend on that output
     (gathering each row's list of element ids from the few distinct lists), to show what
     the lists themselves cost;

   with the ratios of each to the hand-written expression (target for the engine: at most
   1.5).
2. **Tables** (``--table-rows N``, default the same N; ``--table-repeat R`` timed runs,
   default the smaller of 5 and ``--repeat``):

   * *table, end to end*: ``nonpunish.evaluate_table`` on a synthetic table of *case
     columns* (offence ids, dates of birth and of the act, findings, evidence levels, a set
     fact as text): reading, checking, preparing and evaluating;
   * *table, explained* (``--explain-rows N``, default 100,000): the same with
     ``explain=True``: the deciding elements from the vectorised engine, and the open
     questions of the undetermined rows from the reference evaluator (once per group of rows
     with the same leaves);
   * *Dutch variants* (``--variants``): the end-to-end table under every named variant of
     the proposed art. 273f clause.
3. **Reference evaluator** (``--sample S`` rows, default 2,000; ``--repeat`` timed runs):
   the whole reasoned outcome per row (``evaluate_table(engine="reference")``, checked equal
   to the vectorised table), and its engine alone (``evaluate_nodes`` and the result) over
   prepared rows (checked equal to the vectorised engine).

**Peak memory** is measured apart, one fresh child process per configuration (the engine,
the hand-written expression, the deciding elements, the table, the explained table, each
variant): the child generates its data, evaluates it twice, and reports its peak resident
set (``VmHWM`` on Linux, else ``ru_maxrss``; target: under 2 GiB at 10,000,000 rows), the
data's size and the peak once the data was made. ``--no-memory`` skips these children.

``--json`` prints one JSON object instead of the table: every measurement (seconds per run,
medians and each run; ``counted``: in the total; ``baseline``: a baseline), the ratios, and
``total_cpu_s``, the sum of the CPU medians of the library's own measurements (baselines
left out), which ``compare_commits.py`` compares.

The defaults take about a minute on a 2-core machine. The issue's figures are for 10 million
rows: ``--rows 10000000`` (the tables too, unless ``--table-rows`` is given), a few minutes
and about 2 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from _timing import Timing, interleave, ratio

import nonpunish
from nonpunish._engine import evaluate_nodes
from nonpunish._vectorised import (
    LEGAL_EFFECT_DTYPE,
    LIMB_DTYPE,
    RESULT_DTYPE,
    VERSION,
    VectorisedEngine,
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


# --- what is timed -----------------------------------------------------------------------

ENGINE = "vectorised engine"
HAND = "hand-written expression"
DECIDING = "engine, deciding elements"
LISTS = "lists alone, at least"
TABLE = "table, end to end"
EXPLAINED = "table, explained"
REF_TABLE = "reference, whole outcome"
REF_ENGINE = "reference engine alone"
#: Baselines: not the library's own work, so left out of ``total_cpu_s``.
BASELINES = (HAND, LISTS)


def dutch_variants() -> list[str]:
    return [info.id for info in nonpunish.list_rulesets()
            if info.variant_of == "nl/proposal/273f-non-punishment"]


def _variant_name(ruleset_id: str) -> str:
    return f"variant {ruleset_id.split('@')[1]}"


def distinct_lists(deciding: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """The distinct deciding-element lists of an output, and which one each row has."""
    column = deciding.select(pl.col("deciding").cast(pl.List(pl.String)))
    lists = column.unique(maintain_order=True).with_row_index("__i")
    index = column.join(lists, on="deciding", how="left", maintain_order="left")
    return lists.get_column("deciding"), index.get_column("__i")


def result_counts(results: pl.DataFrame) -> dict[str, int]:
    counts = results.get_column("result").value_counts().sort("result").to_dicts()
    return {str(d["result"]): d["count"] for d in counts}


def time_prepared(engine: VectorisedEngine, rows: int, runs: int
                  ) -> tuple[dict[str, Timing], dict[str, int]]:
    """The engine, the hand-written baseline, the deciding elements and the least the lists
    cost, over the same prepared rows, interleaved. Also the count of each result."""
    frame = prepared_rows(rows)
    out = engine.evaluate(frame)
    assert out.equals(handwritten(frame)), "engine and hand-written differ"
    counts = result_counts(out)
    lists, index = distinct_lists(engine.evaluate(frame, deciding=True))
    del out
    timings = interleave({
        ENGINE: lambda: engine.evaluate(frame),
        HAND: lambda: handwritten(frame),
        DECIDING: lambda: engine.evaluate(frame, deciding=True),
        LISTS: lambda: lists.gather(index),
    }, runs)
    return timings, counts


def time_tables(rs: nonpunish.Ruleset, rows: int, explain_rows: int, variants: list[str],
                runs: int) -> tuple[dict[str, Timing], dict[str, Any]]:
    """The table end to end, explained, and under each variant, interleaved. Also each
    one's summary (from its warm-up run)."""
    table = case_table(rows)
    small = case_table(explain_rows)
    fns: dict[str, Callable[[], object]] = {
        TABLE: lambda: nonpunish.evaluate_table(table, rs, as_of=AS_OF),
        EXPLAINED: lambda: nonpunish.evaluate_table(small, rs, as_of=AS_OF, explain=True),
    }
    for vid in variants:
        variant = nonpunish.load_ruleset(vid)
        fns[_variant_name(vid)] = (
            lambda v=variant: nonpunish.evaluate_table(table, v, as_of=AS_OF))
    summaries: dict[str, Any] = {}

    def summarise(name: str, out: Any) -> None:
        summaries[name] = out.summary()

    return interleave(fns, runs, on_first=summarise), summaries


def time_reference(rs: nonpunish.Ruleset, engine: VectorisedEngine, rows: int, runs: int
                   ) -> dict[str, Timing]:
    """The reference evaluator on a sample: whole outcomes, and its engine alone over
    prepared rows, interleaved; each checked against the vectorised engine."""
    table = case_table(rows)
    want_table = nonpunish.evaluate_table(table, rs, as_of=AS_OF).results
    frame = prepared_rows(rows)
    want_results = engine.evaluate(frame).get_column("result").cast(pl.String).to_list()
    cv = rs.compiled[0]
    keys = engine.leaf_keys
    records = [dict(zip(keys, r, strict=True)) for r in
               frame.select([engine.columns[k] for k in keys]).iter_rows()]
    in_force = frame.get_column(VERSION).is_not_null().to_list()

    def reference_engine() -> list[str]:
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

    def check(name: str, out: Any) -> None:
        if name == REF_TABLE:
            assert out.results.equals(want_table), "reference and vectorised tables differ"
        else:
            assert out == want_results, "reference engine and vectorised engine differ"

    return interleave({
        REF_TABLE: lambda: nonpunish.evaluate_table(table, rs, as_of=AS_OF,
                                                    engine="reference"),
        REF_ENGINE: reference_engine,
    }, runs, on_first=check)


# --- peak memory, in child processes -----------------------------------------------------

MIB = 1024 * 1024


def _peak_mib() -> float:
    """This process's peak resident set so far, in MiB. On Linux, from ``VmHWM``: a child
    process's ``ru_maxrss`` starts at its parent's peak (the parent's is carried over the
    fork and exec), which here is the larger process."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def memory_child(kind: str, rows: int) -> dict[str, Any]:
    """One configuration's peak memory, in this (fresh) process: make the data, note its
    size and the peak so far, then evaluate it twice (the first output freed before the
    second run)."""
    rs = nonpunish.load_ruleset(RULESET)
    engine = vectorised_engine(rs)
    fn: Callable[[], object]
    if kind in (ENGINE, HAND, DECIDING):
        data = prepared_rows(rows)
        fn = {ENGINE: lambda: engine.evaluate(data),
              HAND: lambda: handwritten(data),
              DECIDING: lambda: engine.evaluate(data, deciding=True)}[kind]
    elif kind in (TABLE, EXPLAINED) or kind.startswith("variant "):
        data = case_table(rows)
        ruleset = rs
        if kind.startswith("variant "):
            ruleset = nonpunish.load_ruleset(
                f"nl/proposal/273f-non-punishment@{kind.removeprefix('variant ')}")

        def fn() -> object:
            return nonpunish.evaluate_table(data, ruleset, as_of=AS_OF,
                                            explain=kind == EXPLAINED)
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    data_mib = data.estimated_size() / MIB
    after_data = _peak_mib()
    for _ in range(2):
        fn()  # the output is freed before the next run
    return {"peak_mib": _peak_mib(), "data_mib": data_mib, "rss_after_data_mib": after_data}


def measure_memory(kind: str, rows: int) -> dict[str, Any]:
    proc = subprocess.run(  # noqa: S603 - runs this script with fixed arguments
        [sys.executable, __file__, "--child", kind, "--rows", str(rows)],
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind}: the memory measurement failed:\n{proc.stderr}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


# --- report ------------------------------------------------------------------------------

def _line(name: str, rows: int, t: Timing, memory: dict[str, Any] | None) -> str:
    peak = f"{memory['peak_mib']:7.0f} MiB" if memory else f"{'-':>11}"
    return (f"  {name:28} {rows:>11,} {t.cpu_median * 1000:10.1f} {t.wall_median * 1000:10.1f}"
            f" {rows / t.wall_median:>15,.0f} {peak}")


def _ratio_line(label: str, a: Timing, b: Timing, note: str = "") -> str:
    cpu, wall = ratio(a, b)
    return f"  {label:40} {cpu:10.2f} {wall:10.2f}  {note}".rstrip()


def _header(title: str) -> str:
    return (f"\n{title}\n  {'':28} {'rows':>11} {'CPU ms':>10} {'wall ms':>10} "
            f"{'rows/s (wall)':>15} {'peak RSS':>11}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="prepared rows, and table rows unless --table-rows")
    parser.add_argument("--repeat", type=int, default=9,
                        help="timed runs of each prepared-row and reference measurement "
                        "(after one warm-up run)")
    parser.add_argument("--sample", type=int, default=2_000,
                        help="rows for the reference evaluator")
    parser.add_argument("--table-rows", type=int, default=None)
    parser.add_argument("--table-repeat", type=int, default=None,
                        help="timed runs of each table measurement (default: --repeat, "
                        "at most 5)")
    parser.add_argument("--explain-rows", type=int, default=100_000)
    parser.add_argument("--variants", action="store_true",
                        help="also time the table under every Dutch variant")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory child processes")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (for compare_commits.py) instead")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(memory_child(args.child, args.rows)))
        return

    def say(text: str = "") -> None:
        if not args.json:
            print(text, flush=True)

    n = args.rows
    t_rows = args.table_rows or n
    e_rows = args.explain_rows
    s = args.sample
    table_runs = args.table_repeat or min(args.repeat, 5)
    variants = dutch_variants() if args.variants else []
    rs = nonpunish.load_ruleset(RULESET)
    engine = vectorised_engine(rs)

    say(f"polars {pl.__version__}, nonpunish {nonpunish.__version__}, {RULESET}; "
        f"{os.cpu_count()} CPUs")
    say("Medians over the timed runs; in each group the runs are interleaved in this process "
        "after one warm-up run of each (left out).\nCPU: user + system time of every thread "
        "(may exceed wall time). Peak RSS: a child process per line.")

    prepared, results = time_prepared(engine, n, args.repeat)
    memory: dict[str, dict[str, Any]] = {}
    if not args.no_memory:
        for kind in (ENGINE, HAND, DECIDING):
            memory[kind] = measure_memory(kind, n)
    say(_header(f"Prepared s.45 rows ({args.repeat} timed runs each)"))
    for name, t in prepared.items():
        say(_line(name, n, t, memory.get(name)))
    say(f"  {'ratio of medians':40} {'CPU':>10} {'wall':>10}")
    say(_ratio_line("engine / hand-written", prepared[ENGINE], prepared[HAND],
                    "(target <= 1.5)"))
    say(_ratio_line("engine with deciding elements / hand", prepared[DECIDING],
                    prepared[HAND]))
    say(_ratio_line("lists alone / hand-written", prepared[LISTS], prepared[HAND],
                    "(building the list column from the distinct lists)"))
    say(f"  results: {results}")
    if ENGINE in memory:
        m = memory[ENGINE]
        say(f"  memory: data {m['data_mib']:.1f} MiB; the child's peak was "
            f"{m['rss_after_data_mib']:.0f} MiB once it had generated the data")

    tables, summaries = time_tables(rs, t_rows, e_rows, variants, table_runs)
    if not args.no_memory:
        memory[TABLE] = measure_memory(TABLE, t_rows)
        memory[EXPLAINED] = measure_memory(EXPLAINED, e_rows)
        for vid in variants:
            memory[_variant_name(vid)] = measure_memory(_variant_name(vid), t_rows)
    say(_header(f"Tables of case columns ({table_runs} timed runs each)"))
    for name, t in tables.items():
        say(_line(name, e_rows if name == EXPLAINED else t_rows, t, memory.get(name)))
    table_summary = summaries[TABLE]
    say(f"  table: {table_summary.rejected} rejected"
        + (f"; input {memory[TABLE]['data_mib']:.0f} MiB, the child's peak "
           f"{memory[TABLE]['rss_after_data_mib']:.0f} MiB once it had generated it"
           if TABLE in memory else ""))
    say(f"  explained: deciding elements, and questions for "
        f"{summaries[EXPLAINED].results['undetermined']:,} undetermined rows")
    for vid in variants:
        say(f"  {_variant_name(vid)}: {summaries[_variant_name(vid)].results}")

    reference = time_reference(rs, engine, s, args.repeat)
    say(_header(f"Reference evaluator ({args.repeat} timed runs each)"))
    for name, t in reference.items():
        say(_line(name, s, t, None))
    say(_ratio_line("whole outcome / engine alone", reference[REF_TABLE],
                    reference[REF_ENGINE]))

    if args.json:
        rows_of = {TABLE: t_rows, EXPLAINED: e_rows, REF_TABLE: s, REF_ENGINE: s}
        measurements = [
            t.as_json(rows=rows_of.get(name, n if name in prepared else t_rows),
                      counted=name not in BASELINES, baseline=name in BASELINES,
                      **memory.get(name, {}))
            for group in (prepared, tables, reference) for name, t in group.items()]
        counted = [m for m in measurements if m["counted"]]
        print(json.dumps({
            "benchmark": "vectorised",
            "nonpunish": {"version": nonpunish.__version__,
                          "path": str(Path(nonpunish.__file__).resolve().parent)},
            "polars": pl.__version__,
            "measurements": measurements,
            "ratios": {label: dict(zip(("cpu", "wall"), ratio(a, b), strict=True))
                       for label, a, b in (
                           ("engine / hand-written", prepared[ENGINE], prepared[HAND]),
                           ("deciding / hand-written", prepared[DECIDING], prepared[HAND]),
                           ("lists alone / hand-written", prepared[LISTS], prepared[HAND]))},
            "results": results,
            "total_cpu_s": sum(m["cpu_s"] for m in counted),
            "total_wall_s": sum(m["wall_s"] for m in counted),
        }, indent=1))


if __name__ == "__main__":
    main()
