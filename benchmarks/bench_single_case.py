"""Single-case latency and throughput, for each engine, against a hand-written baseline.

Run:  python benchmarks/bench_single_case.py [--repeat N] [--soak N]

Reports medians (µs) of:
  * parsing and validating a case from JSON,
  * the reference evaluator's full reasoned evaluation of a validated case (questions
    included), per kind of case,
  * the durable-rules engine (if installed) on the same cases,
  * a hand-written Python function of the same three-valued s.45 logic, without reasons,
  * the reference evaluator over every case of the s.45 scenario file (the cases lawyers
    wrote as tests): the median and 90th percentile of the per-case medians,
and the ratios between them. ``--soak N`` runs N durable evaluations and reports the
resident memory before and after (the target is no growth).
Targets (issue 2): reference < 50 µs median; validation < 50 µs more; durable >= 2,000
cases/s per process with flat memory over 200,000 evaluations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import nonpunish
from nonpunish._evaluate import evaluate_case
from nonpunish._paths import shipped_root

AS_OF = dt.date(2026, 11, 1)
RULESET = "uk-ew/modern-slavery-act-2015/s45"

ADULT_FACTS = {
    "victim_of_trafficking": True,
    "exploitation_types": ["forced_criminality"],
    "compelled": True,
    "compulsion_source": "person",
    "compulsion_is_exploitation_conduct": True,
    "reasonable_person_no_realistic_alternative": {"evidence": "evidence_raised"},
}

CASES: dict[str, dict[str, Any]] = {
    "adult, protected": {
        "person": {"date_of_birth": "1990-01-01"}, "facts": ADULT_FACTS,
        "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-3"},
                    "participation": "principal", "conduct": "act",
                    "act_date": "2020-06-01"}]},
    "child, undetermined (questions)": {
        "person": {"date_of_birth": "2004-01-01"},
        "facts": {"victim_of_trafficking": True},
        "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                    "act_date": "2020-06-01"}]},
    "excluded (Sch. 4 para 14)": {
        "person": {"date_of_birth": "1990-01-01"}, "facts": ADULT_FACTS,
        "counts": [{"offence": {"id": "uk-ew/theft-act-1968/s8"}, "act_date": "2020-06-01"}]},
    "disputed age (two scenarios)": {
        "person": {"age_at_act": {"min": 16, "max": 19}}, "facts": ADULT_FACTS,
        "counts": [{"offence": {"id": "uk-ew/identity-documents-act-2010/s4"},
                    "act_date": "2020-06-01"}]},
}


def _and2(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _or2(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return False if a is False and b is False else None


def handwritten_s45(f: dict[str, bool | None]) -> str:
    """The s.45 logic written by hand, three-valued, without reasons: the baseline."""
    excluded = f["excluded"]
    if excluded is True:
        return "excluded_offence"
    victim = _or2(f["victim_of_slavery"], _and2(f["victim_of_trafficking"], f["s3_exploitation"]))
    attributable = _or2(_and2(f["compulsion_is_exploitation_conduct"], victim),
                        _and2(f["compulsion_direct_consequence"], victim))
    adult = _and2(_and2(f["adult"], f["compelled"]),
                  _and2(attributable, f["no_realistic_alternative"]))
    child = _and2(_and2(f["child"], _and2(f["act_direct_consequence"], victim)),
                  f["would_do_act"])
    result = _and2(None if excluded is None else True, _or2(adult, child))
    if result is True:
        return "protected"
    return "not_protected" if result is False else "undetermined"


HANDWRITTEN_INPUT: dict[str, bool | None] = {
    "excluded": False, "victim_of_slavery": None, "victim_of_trafficking": True,
    "s3_exploitation": True, "adult": True, "child": False, "compelled": True,
    "compulsion_is_exploitation_conduct": True, "compulsion_direct_consequence": None,
    "no_realistic_alternative": True, "act_direct_consequence": None, "would_do_act": None,
}


def median_us(fn: Callable[[], object], repeat: int) -> float:
    for _ in range(min(200, repeat)):
        fn()  # warm caches
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000


def scenario_medians(ruleset: nonpunish.Ruleset, repeat: int) -> list[float]:
    """The reference evaluator's median time (µs) for each case of the s.45 scenario file
    that is evaluated under s.45 itself."""
    path = shipped_root() / "uk-ew" / "modern-slavery-act-2015" / "scenarios" / "s45.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for sc in data["scenarios"]:
        if sc.get("ruleset", data["ruleset"]) != RULESET:
            continue
        as_of = sc.get("as_of", data.get("as_of", AS_OF))
        case = nonpunish.read_case("scenario.json", text=json.dumps(sc["case"], default=str),
                                   as_of=as_of)
        out.append(median_us(lambda c=case, d=as_of: evaluate_case(ruleset, c, d), repeat))
    return out


def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5000)
    parser.add_argument("--soak", type=int, default=0,
                        help="durable evaluations for the memory check (e.g. 200000)")
    args = parser.parse_args()
    ruleset = nonpunish.load_ruleset(RULESET)
    base = median_us(lambda: handwritten_s45(HANDWRITTEN_INPUT), args.repeat)
    print(f"hand-written three-valued s.45, no reasons: {base:8.2f} µs median")
    try:
        from nonpunish._durable import durable_engine

        durable = durable_engine()
    except (ImportError, nonpunish.NonpunishError) as exc:
        print(f"durable-rules engine not available: {exc}")
        durable = None
    print(f"\n{'case':34} {'validate':>9} {'reference':>10} {'ratio':>7} {'durable':>9} "
          f"{'cases/s':>8}")
    for name, data in CASES.items():
        text = json.dumps(data)
        case = nonpunish.read_case("bench.json", text=text, as_of=AS_OF)
        v = median_us(lambda t=text: nonpunish.read_case("b.json", text=t, as_of=AS_OF),
                      args.repeat)
        r = median_us(lambda c=case: evaluate_case(ruleset, c, AS_OF), args.repeat)
        if durable is not None:
            d = median_us(lambda c=case: evaluate_case(ruleset, c, AS_OF, durable),
                          max(500, args.repeat // 5))
            dtext, rate = f"{d:9.1f}", f"{1e6 / d:8.0f}"
        else:
            dtext, rate = f"{'-':>9}", f"{'-':>8}"
        print(f"{name:34} {v:9.1f} {r:10.1f} {r / base:6.0f}x {dtext} {rate}")
    print("\n(validate: JSON text to a checked Case; reference and durable: a validated case to "
          "a full reasoned outcome, µs medians; ratio: reference / hand-written)")
    per_case = scenario_medians(ruleset, max(50, args.repeat // 25))
    deciles = statistics.quantiles(per_case, n=10)
    print(f"\nreference over the {len(per_case)} cases of the s.45 scenario file: median "
          f"{statistics.median(per_case):.1f} µs, 90th percentile {deciles[-1]:.1f} µs, "
          f"slowest {max(per_case):.1f} µs (per-case medians)")
    if args.soak and durable is not None:
        case = nonpunish.read_case("bench.json", text=json.dumps(CASES["adult, protected"]),
                                   as_of=AS_OF)
        cv = ruleset.compiled[0]
        leaves = dict.fromkeys(cv.leaves, True)
        for _ in range(2000):
            durable.evaluate(cv, leaves)
        before = rss_mb()
        t0 = time.perf_counter()
        for _ in range(args.soak):
            durable.evaluate(cv, leaves)
        elapsed = time.perf_counter() - t0
        after = rss_mb()
        print(f"\ndurable soak: {args.soak} evaluations of the s.45 tree, "
              f"{args.soak / elapsed:,.0f}/s; RSS {before:.1f} MB -> {after:.1f} MB "
              f"({after - before:+.1f} MB)")


if __name__ == "__main__":
    main()
