"""Outcomes before and after a change that must not change them, compared byte for byte.

Run:
    python benchmarks/compare_outcomes.py dump BASE.jsonl [--generated 3000] [--seed 1]
    (then change the code)
    python benchmarks/compare_outcomes.py check BASE.jsonl

``dump`` evaluates, under every shipped ruleset and named variant (``nonpunish list``):

* the case of every scenario in ``rulesets/**/scenarios/*.yaml`` (at the scenario's as-of
  date), and every case file in ``examples/``;
* ``--generated`` cases drawn by the test suite's Hypothesis strategies (derandomised, so the
  same seed gives the same cases on the same code), stored in the file itself so that
  ``check`` re-evaluates exactly those cases whatever the strategies become;
* one table of the single-count generated cases through ``evaluate_table(explain=True)``,
  with both the vectorised and the reference engine.

Each line holds a key, the case (or table rows) and the outcome's JSON. ``check`` evaluates
every stored input again with the current code and reports every line whose JSON differs
(the first few in full), and exits 1 if any does. Use it for refactors: outcomes, questions,
caveats and provenance must come out identical.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

import nonpunish

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 1)


def _rulesets() -> list[str]:
    return [info.id for info in nonpunish.list_rulesets()]


def _scenario_cases() -> Iterator[tuple[str, dict[str, Any], dt.date]]:
    for path in sorted((ROOT / "rulesets").rglob("scenarios/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, scenario in enumerate(data.get("scenarios", [])):
            as_of = scenario.get("as_of") or data.get("as_of") or AS_OF
            if isinstance(as_of, str):
                as_of = dt.date.fromisoformat(as_of)
            yield f"{path.relative_to(ROOT)}#{i}", scenario["case"], as_of
    for path in sorted((ROOT / "examples").glob("*.*")):
        if path.suffix in (".yaml", ".json"):
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            yield str(path.relative_to(ROOT)), data, AS_OF


def _generated(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` cases from the test suite's strategies, derandomised by ``seed``."""
    sys.path.insert(0, str(ROOT / "tests"))
    from hypothesis import HealthCheck, given, settings

    import strategies

    found: list[dict[str, Any]] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategies.cases(max_counts=2))
    def collect(case: dict[str, Any]) -> None:
        found.append(case)

    collect._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    collect()
    return found


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def _evaluate(case: dict[str, Any], ruleset: str, as_of: dt.date) -> str:
    try:
        return nonpunish.evaluate(case, ruleset, as_of=as_of).model_dump_json()
    except nonpunish.NonpunishError as exc:
        return json.dumps({"error": exc.code, "message": str(exc)})


def _tables(cases: list[dict[str, Any]], ruleset: str) -> dict[str, str]:
    try:
        import polars as pl
    except ImportError:
        return {}
    sys.path.insert(0, str(ROOT / "tests"))
    from strategies import table_columns, table_row

    singles = [c for c in cases if len(c["counts"]) == 1]
    table = pl.DataFrame(table_columns([table_row(c) for c in singles], text=True),
                         strict=False)
    out = {}
    for engine in ("vectorised", "reference"):
        result = nonpunish.evaluate_table(table, ruleset, as_of=AS_OF, explain=True,
                                          engine=engine)  # type: ignore[arg-type]
        out[engine] = json.dumps({"results": result.results.to_dicts(),
                                  "rejects": result.rejects.to_dicts()}, default=str)
    return out


def dump(path: Path, generated: int, seed: int) -> None:
    rulesets = _rulesets()
    cases = [_jsonable(c) for c in _generated(generated, seed)] if generated else []
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for key, case, as_of in _scenario_cases():
            for rs in rulesets:
                out.write(json.dumps({"key": f"{key}@{rs}", "kind": "case", "ruleset": rs,
                                      "as_of": as_of.isoformat(), "case": _jsonable(case),
                                      "outcome": _evaluate(case, rs, as_of)}) + "\n")
                lines += 1
        for i, case in enumerate(cases):
            for rs in rulesets:
                out.write(json.dumps({"key": f"generated#{i}@{rs}", "kind": "case",
                                      "ruleset": rs, "as_of": AS_OF.isoformat(),
                                      "case": case, "outcome": _evaluate(case, rs, AS_OF)})
                          + "\n")
                lines += 1
        for rs in rulesets:
            for engine, text in _tables(cases, rs).items():
                out.write(json.dumps({"key": f"table:{engine}@{rs}", "kind": "table",
                                      "engine": engine, "ruleset": rs, "cases": cases,
                                      "outcome": text}) + "\n")
                lines += 1
    print(f"{lines} outcomes written to {path}")


def check(path: Path, show: int) -> int:
    differ = 0
    total = 0
    table_inputs: dict[str, list[dict[str, Any]]] = {}
    expected_tables: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            if item["kind"] == "table":
                table_inputs[item["ruleset"]] = item["cases"]
                expected_tables[(item["ruleset"], item["engine"])] = item["outcome"]
                continue
            total += 1
            got = _evaluate(item["case"], item["ruleset"],
                            dt.date.fromisoformat(item["as_of"]))
            if got != item["outcome"]:
                differ += 1
                if differ <= show:
                    print(f"DIFFERS {item['key']}\n  before: {item['outcome'][:2000]}\n"
                          f"  after:  {got[:2000]}")
    for rs, cases in table_inputs.items():
        for engine, text in _tables(cases, rs).items():
            total += 1
            if text != expected_tables.get((rs, engine)):
                differ += 1
                if differ <= show:
                    print(f"DIFFERS table {engine} under {rs}")
    print(f"{total} outcomes compared, {differ} differ")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="evaluate and write every outcome")
    d.add_argument("path", type=Path)
    d.add_argument("--generated", type=int, default=3000)
    d.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("check", help="evaluate the stored inputs again and compare")
    c.add_argument("path", type=Path)
    c.add_argument("--show", type=int, default=5, help="differences printed in full")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.path, args.generated, args.seed)
        return 0
    return check(args.path, args.show)


if __name__ == "__main__":
    sys.exit(main())
