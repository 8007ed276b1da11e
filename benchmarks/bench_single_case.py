"""Single-case latency and throughput, for each engine, against two hand-written baselines.

Run:  python benchmarks/bench_single_case.py [--repeat N] [--runs R] [--soak N] [--json]

For each benchmark case, in this one process, these are timed with their runs interleaved
(validate, reference, baseline from case, baseline prepared, durable, validate, …) after one
warm-up run of each that is left out of the medians; a run is a batch of calls (``--repeat``
calls in all, split over ``--runs`` timed runs, default 5,000 over 10), and both CPU time
(user + system) and wall time are kept (see ``_timing.py``):

* *validate*: parsing and validating the case from JSON text;
* *reference*: the reference evaluator's full reasoned evaluation of the validated case
  (elements, reasons, caveats and questions);
* *from case* (baseline): the answer alone (result and limb), worked out by hand from the
  validated case as the library does: the age from the date of birth and the act date, or
  from a range (a disputed age read both ways); findings from the state of the evidence
  through the MK/Gega burden model; the Schedule 4 lookup, read once from the shipped list
  into plain dicts, with its conditional entries and para 37 (attempts, conspiracy,
  aiding and abetting, encouraging or assisting); and commencement. It is checked to give the
  library's result and limb for every benchmark case, and for every case of the s.45
  scenario file it can read. *reference / from case* is the price of the reasons;
* *prepared* (baseline): the three-valued s.45 logic alone over leaves already prepared
  (one fixed adult case): *reference / prepared* is the price of everything else too;
* *durable*: the durable-rules engine on the same case, if installed (``nonpunish[durable]``).

Then the reference evaluator over every case of the s.45 scenario file (the cases lawyers
wrote as tests): the median, 90th percentile and slowest of the per-case medians.
``--soak N`` runs N durable evaluations and reports the resident memory before and after
(the target is no growth).

``--json`` prints one JSON object instead of the table: every measurement (seconds per call,
medians and each run; ``counted``: in the total; ``baseline``: one of the two baselines),
the ratios, and ``total_cpu_s``: the sum of the CPU medians of the library's own
measurements (validation and reference evaluation of each benchmark case, and the scenario
file's median case; baselines and durable-rules left out), which ``compare_commits.py``
compares.

Targets (issue 2): reference < 50 µs median; validation < 50 µs more; durable >= 2,000
cases/s per process with flat memory over 200,000 evaluations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from _timing import Timing, interleave, ratio

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
    "burglary, intent unknown (para 14)": {
        "person": {"date_of_birth": "1990-01-01"}, "facts": ADULT_FACTS,
        "counts": [{"offence": {"id": "uk-ew/theft-act-1968/s9"}, "act_date": "2020-06-01"}]},
    "attempted robbery (para 37)": {
        "person": {"date_of_birth": "1990-01-01"}, "facts": ADULT_FACTS,
        "counts": [{"offence": {"id": "uk-ew/theft-act-1968/s8"}, "participation": "attempt",
                    "act_date": "2020-06-01"}]},
    "act before commencement": {
        "person": {"date_of_birth": "1990-01-01"}, "facts": ADULT_FACTS,
        "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                    "act_date": "2015-06-01"}]},
}


# --- three-valued logic --------------------------------------------------------------------

def _and2(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _or2(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return False if a is False and b is False else None


# --- baseline 1: the s.45 logic alone, over prepared leaves -------------------------------

def handwritten_s45(f: Mapping[str, bool | None]) -> str:
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


# --- baseline 2: the answer alone, from the validated case ---------------------------------

#: s.45 applies to acts from 31 July 2015, with no retrospective effect (S.I. 2015/1476,
#: reg. 2(d); R v CS and Le [2021] EWCA Crim 134).
COMMENCEMENT = dt.date(2015, 7, 31)
ADULT_FROM = 18
#: The open lower end of a date of birth known only as "on or before".
EARLIEST = dt.date(1900, 1, 1)
OLDEST = 120
#: The scale of the evidence, lowest first. MK/Gega: an element is found true from
#: "evidence raised" up, unless the prosecution has disproved it.
EVIDENCE_RANK = {level: rank for rank, level in enumerate((
    "not_assessed", "no_evidence", "slight_indication", "evidence_raised",
    "balance_of_probabilities", "beyond_reasonable_doubt"))}
TRUE_FROM = EVIDENCE_RANK["evidence_raised"]
#: Exploitation within s.3 (relevant exploitation, s.45(5)).
S3_EXPLOITATION = ("forced_labour", "domestic_servitude", "sexual_exploitation",
                   "organ_removal", "forced_criminality", "forced_begging",
                   "use_of_child_or_vulnerable_person")
PARTICIPATION = ("principal", "attempt", "conspiracy", "aiding_abetting",
                 "encouraging_assisting")

#: A Schedule 4 entry: (in the list from, until, the fact it holds only if (``only_if``)).
Entry = tuple[dt.date | None, dt.date | None, str | None]


def read_schedule_4() -> tuple[dict[str, list[Entry]], frozenset[str]]:
    """Schedule 4 from the shipped list, as plain dicts: the entries by catalogue key, and
    the forms of participation it reaches (the offence itself, and those of para 37)."""
    path = shipped_root() / "uk-ew" / "modern-slavery-act-2015" / "schedule-4.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries: dict[str, list[Entry]] = {}
    for e in data["entries"]:
        condition = e.get("only_if")
        assert condition is None or set(condition) == {"fact"}, condition
        entries.setdefault(e["offence"], []).append(
            (e.get("valid_from"), e.get("valid_to"), condition and condition["fact"]))
    modes = frozenset(["principal", *(m for a in data.get("ancillary", ())
                                      for m in a["participation"])])
    return entries, modes


SCHEDULE_4, SCHEDULE_4_REACHES = read_schedule_4()
#: A count that does not say how the person took part: excluded only if every form is.
SCHEDULE_4_REACHES_ANY: bool | None = True if set(PARTICIPATION) <= SCHEDULE_4_REACHES else None


class UnreadableCaseError(Exception):
    """A case the from-case baseline does not read: an act date known only as a range, an
    offence given by statute and section or by category, or another catalogue's offence."""


def _finding(raw: Any) -> Any:
    """A fact as given, through the burden model: True, False, None (unknown), or a choice
    or set as given."""
    kind = type(raw)
    if raw is None or kind is bool or kind is list:
        return raw
    if kind is str:
        return None if raw == "unknown" else raw
    # The state of the evidence (a validated case holds nothing else).
    if raw.disproved:
        return False
    if raw.evidence == "not_assessed":
        return None
    return EVIDENCE_RANK[raw.evidence] >= TRUE_FROM


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _age_range(case: nonpunish.Case, count: Any, day: dt.date, as_of: dt.date
               ) -> tuple[int, int]:
    """The age at the act as the least and most it can be."""
    age = count.age_at_act if count.age_at_act is not None else case.person.age_at_act
    if age is not None:
        return (age, age) if type(age) is int else (age.min, age.max)
    born = case.person.date_of_birth
    if born is None:
        return 0, OLDEST
    if type(born) is dt.date:
        years = max(0, _age_on(born, max(day, born)))
        return years, years
    latest = born.latest or as_of
    return max(0, _age_on(latest, max(day, latest))), max(0, _age_on(born.earliest or EARLIEST,
                                                                      day))


def s45_count(case: nonpunish.Case, count: Any, as_of: dt.date) -> tuple[str, str | None]:
    """One count's result and limb under s.45, without reasons."""
    day = count.act_date
    if type(day) is not dt.date:
        raise UnreadableCaseError("the act date is not one day")
    if day < COMMENCEMENT:
        return "not_in_force", None
    offence = count.offence.id
    if offence is None or not offence.startswith("uk-ew/"):
        raise UnreadableCaseError("the offence is not given by its England and Wales catalogue id")
    facts = {**case.facts, **count.facts} if count.facts else case.facts

    def find(name: str) -> Any:
        return _finding(facts.get(name))

    # Schedule 4 (s.45(7)): a listed offence on the day, if its condition holds, in a form of
    # participation the Schedule reaches (para 37).
    mode = count.participation
    reached = SCHEDULE_4_REACHES_ANY if mode is None else mode in SCHEDULE_4_REACHES
    excluded: bool | None = False
    for start, end, only_if in SCHEDULE_4.get(offence.removeprefix("uk-ew/"), ()):
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        excluded = _or2(excluded, _and2(True if only_if is None else find(only_if), reached))

    kinds = find("exploitation_types")
    relevant = None if kinds is None else any(k in kinds for k in S3_EXPLOITATION)
    victim = _or2(find("victim_of_slavery"), _and2(find("victim_of_trafficking"), relevant))
    adult = _and2(_and2(find("compelled"), _or2(
        _and2(find("compulsion_is_exploitation_conduct"), victim),
        _and2(find("compulsion_direct_consequence_of_exploitation"), victim))),
        find("reasonable_person_no_realistic_alternative"))
    child = _and2(_and2(find("act_direct_consequence_of_exploitation"), victim),
                  find("reasonable_person_would_do_act"))
    not_excluded = None if excluded is None else not excluded

    # Each side of 18 the age may fall on is a reading; they must agree.
    lo, hi = _age_range(case, count, day, as_of)
    readings = [(True, "adult")] if lo >= ADULT_FROM else [(False, "child")] if (
        hi < ADULT_FROM) else [(False, "child"), (True, "adult")]
    results = set()
    limbs = set()
    for is_adult, limb in readings:
        root = _and2(not_excluded, adult if is_adult else child)
        results.add("protected" if root is True else "excluded_offence" if excluded is True
                    else "not_protected" if root is False else "undetermined")
        limbs.add(limb)
    if len(results) > 1:
        return "undetermined", None
    return results.pop(), limbs.pop() if len(limbs) == 1 else None


def s45_from_case(case: nonpunish.Case, as_of: dt.date) -> list[tuple[str, str | None]]:
    """Each count's result and limb under s.45, from the validated case: the baseline."""
    return [s45_count(case, count, as_of) for count in case.counts]


def library_answer(outcome: nonpunish.Outcome) -> list[tuple[str, str | None]]:
    return [(c.result, c.limb) for c in outcome.counts]


# --- the s.45 scenario file ----------------------------------------------------------------

def scenario_cases() -> list[tuple[nonpunish.Case, dt.date]]:
    """Every case of the s.45 scenario file that is evaluated under s.45 itself, with its
    as-of date."""
    path = shipped_root() / "uk-ew" / "modern-slavery-act-2015" / "scenarios" / "s45.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for sc in data["scenarios"]:
        if sc.get("ruleset", data["ruleset"]) != RULESET:
            continue
        as_of = sc.get("as_of", data.get("as_of", AS_OF))
        out.append((nonpunish.read_case("scenario.json",
                                        text=json.dumps(sc["case"], default=str),
                                        as_of=as_of), as_of))
    return out


def check_baseline(ruleset: nonpunish.Ruleset,
                   cases: list[tuple[nonpunish.Case, dt.date]]) -> int:
    """Assert that the from-case baseline gives the library's result and limb for each case
    it reads; return how many that was."""
    checked = 0
    for case, as_of in cases:
        try:
            mine = s45_from_case(case, as_of)
        except UnreadableCaseError:
            continue
        theirs = library_answer(evaluate_case(ruleset, case, as_of))
        assert mine == theirs, f"from-case baseline {mine} != library {theirs} for {case}"
        checked += 1
    return checked


# --- report --------------------------------------------------------------------------------

def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.2f}" if seconds < 1e-5 else f"{seconds * 1e6:9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5000,
                        help="timed calls per measurement, split over --runs runs")
    parser.add_argument("--runs", type=int, default=10,
                        help="timed runs per measurement (after one warm-up run)")
    parser.add_argument("--soak", type=int, default=0,
                        help="durable evaluations for the memory check (e.g. 200000)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (for compare_commits.py) instead")
    args = parser.parse_args()

    def say(text: str = "") -> None:
        if not args.json:
            print(text, flush=True)

    runs = args.runs
    per_run = max(1, args.repeat // runs)
    ruleset = nonpunish.load_ruleset(RULESET)
    try:
        from nonpunish._durable import durable_engine

        durable = durable_engine()
    except (ImportError, nonpunish.NonpunishError) as exc:
        say(f"durable-rules engine not available: {exc}\n")
        durable = None

    texts = {name: json.dumps(data) for name, data in CASES.items()}
    cases = {name: nonpunish.read_case("bench.json", text=t, as_of=AS_OF)
             for name, t in texts.items()}
    scenarios = scenario_cases()
    assert check_baseline(ruleset, [(c, AS_OF) for c in cases.values()]) == len(cases), (
        "the from-case baseline must read every benchmark case")
    checked = check_baseline(ruleset, scenarios)

    say(f"nonpunish {nonpunish.__version__}, {RULESET}, as of {AS_OF}; {os.cpu_count()} CPUs")
    say(f"Per call, µs: medians over {runs} timed runs of {per_run:,} calls each; each case's "
        "measurements have their runs interleaved,\nafter one warm-up run of each (left out). "
        "CPU: user + system time of this process.")
    say("Baselines, without reasons:\n"
        "  from case  the result and limb, worked out from the validated case (age, burden of "
        "proof,\n"
        "             Schedule 4 with its conditions and para 37, commencement). It gives the "
        "library's\n"
        f"             result and limb for every case below, and for {checked} of the "
        f"{len(scenarios)} cases of the\n"
        "             s.45 scenario file (the others give the act date as a range or not at "
        "all, or the\n"
        "             offence other than by its catalogue id).\n"
        "  prepared   the s.45 logic alone, over leaves already prepared (one adult case).")
    say(f"\n{'':34} {'':5} {'validate':>9} {'reference':>9} {'from case':>9} {'prepared':>9}"
        f" {'ref / from case':>15} {'ref / prepared':>14} {'durable':>9} {'cases/s':>8}")

    measurements: list[dict[str, Any]] = []
    ratios: dict[str, dict[str, float]] = {}
    for name, case in cases.items():
        text = texts[name]
        fns: dict[str, Callable[[], object]] = {
            "validate": lambda t=text: nonpunish.read_case("b.json", text=t, as_of=AS_OF),
            "reference": lambda c=case: evaluate_case(ruleset, c, AS_OF),
            "from case": lambda c=case: s45_from_case(c, AS_OF),
            "prepared": lambda: handwritten_s45(HANDWRITTEN_INPUT),
        }
        number = dict.fromkeys(fns, per_run)
        if durable is not None:
            fns["durable"] = lambda c=case: evaluate_case(ruleset, c, AS_OF, durable)
            number["durable"] = max(10, per_run // 5)
        t = interleave(fns, runs, number)
        ref = t["reference"]
        by_case, by_prepared = ratio(ref, t["from case"]), ratio(ref, t["prepared"])
        ratios[name] = {"reference / from case, cpu": by_case[0],
                        "reference / from case, wall": by_case[1],
                        "reference / prepared, cpu": by_prepared[0],
                        "reference / prepared, wall": by_prepared[1]}
        for clock, i in (("CPU", 0), ("wall", 1)):
            def med(m: Timing, i: int = i) -> float:
                return m.cpu_median if i == 0 else m.wall_median

            if durable is not None:
                d = med(t["durable"])
                dtext, rate = f"{d * 1e6:9.1f}", f"{1 / d:8.0f}"
            else:
                dtext, rate = f"{'-':>9}", f"{'-':>8}"
            say(f"{name if i == 0 else '':34} {clock:5} {_us(med(t['validate']))} "
                f"{_us(med(ref))} {_us(med(t['from case']))} {_us(med(t['prepared']))} "
                f"{by_case[i]:14.1f}x {by_prepared[i]:13.0f}x {dtext} {rate}")
        for key, m in t.items():
            measurements.append(m.as_json(name=f"{key}: {name}",
                                          counted=key in ("validate", "reference"),
                                          baseline=key in ("from case", "prepared")))

    say("\n(validate: JSON text to a checked Case; reference and durable: a validated case to "
        "a full reasoned outcome;\nratios of medians: the reference evaluator's time over each "
        "baseline's)")

    per_case = [interleave({"reference": lambda c=c, d=d: evaluate_case(ruleset, c, d)},
                           runs, max(1, args.repeat // 25 // runs))["reference"]
                for c, d in scenarios]
    summary: dict[str, dict[str, float]] = {}
    for clock in ("cpu", "wall"):
        values = [getattr(m, f"{clock}_median") for m in per_case]
        summary[clock] = {"median": statistics.median(values),
                          "p90": statistics.quantiles(values, n=10)[-1], "max": max(values)}
    say(f"\nreference over the {len(per_case)} cases of the s.45 scenario file (per-case "
        "medians, µs):")
    for clock in ("cpu", "wall"):
        s = summary[clock]
        say(f"  {'CPU' if clock == 'cpu' else 'wall':5} median {s['median'] * 1e6:6.1f}, "
            f"90th percentile {s['p90'] * 1e6:6.1f}, slowest {s['max'] * 1e6:6.1f}")
    measurements.append({"name": "reference: s.45 scenario file, median case", "counted": True,
                         "baseline": False,
                         "cases": len(per_case), "cpu_s": summary["cpu"]["median"],
                         "wall_s": summary["wall"]["median"],
                         "cpu_p90_s": summary["cpu"]["p90"], "cpu_max_s": summary["cpu"]["max"],
                         "wall_p90_s": summary["wall"]["p90"],
                         "wall_max_s": summary["wall"]["max"]})

    if args.soak and durable is not None:
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
        say(f"\ndurable soak: {args.soak} evaluations of the s.45 tree, "
            f"{args.soak / elapsed:,.0f}/s; RSS {before:.1f} MB -> {after:.1f} MB "
            f"({after - before:+.1f} MB)")

    if args.json:
        counted = [m for m in measurements if m["counted"]]
        print(json.dumps({
            "benchmark": "single_case",
            "nonpunish": {"version": nonpunish.__version__,
                          "path": str(Path(nonpunish.__file__).resolve().parent)},
            "runs": runs, "calls_per_run": per_run,
            "baseline_checked": {"cases": len(cases), "scenarios": checked,
                                 "scenarios_in_file": len(scenarios)},
            "measurements": measurements, "ratios": ratios,
            "total_cpu_s": sum(m["cpu_s"] for m in counted),
            "total_wall_s": sum(m["wall_s"] for m in counted),
        }, indent=1))


if __name__ == "__main__":
    main()
