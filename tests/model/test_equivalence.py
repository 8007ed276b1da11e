"""The vectorised engine is held to the reference evaluator.

The key property: for every shipped ruleset, a random table of cases gets, row by row, the same
result, legal effect, limb and deciding elements from ``nonpunish.evaluate_table`` (vectorised)
as from ``nonpunish.evaluate`` (the reference) on each case. Tables come from the shared case
strategies (single-count cases), written with native column types or as text (as a CSV file is
read), so preparation (burden model, dates and ages, ranges, exclusion list) is tested with
the evaluation. A second ruleset, made from s.45 by changing what the generic code must
handle (the date of the decision, two versions with different trees, lex mitior), runs the
same property.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

import nonpunish
from nonpunish._offences import catalogues
from nonpunish._paths import shipped_root
from strategies import AS_OF, cases, per_ruleset, table_columns, table_row

pl = pytest.importorskip("polars")

RULESETS = [pytest.param(info.id, id=info.id) for info in nonpunish.list_rulesets()]
JURISDICTION = {info.id: info.jurisdiction for info in nonpunish.list_rulesets()}
S45 = "uk-ew/modern-slavery-act-2015/s45"
#: Heavier properties run fewer examples, in proportion to the profile.
#: Heavier per-ruleset properties run a third of the examples.
FEW = per_ruleset(3)


def _single_count_cases(jurisdiction: str | None) -> st.SearchStrategy[dict[str, Any]]:
    return cases(jurisdiction=jurisdiction if jurisdiction in catalogues() else None,
                 max_counts=1)


@st.composite
def tables(draw: st.DrawFn, jurisdiction: str | None,
           max_rows: int = 12) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    """Single-count cases, and the table with a row for each."""
    drawn = draw(st.lists(_single_count_cases(jurisdiction), min_size=1, max_size=max_rows))
    text = draw(st.booleans())
    rows = [table_row(c, level_in_finding=draw(st.booleans())) for c in drawn]
    return drawn, pl.DataFrame(table_columns(rows, text=text), strict=False)


def _expected(case: dict[str, Any], ruleset: str | nonpunish.Ruleset) -> dict[str, Any]:
    count = nonpunish.evaluate(case, ruleset, as_of=AS_OF).counts[0]
    return {"result": count.result, "legal_effect": count.legal_effect, "limb": count.limb,
            "deciding_elements": list(count.deciding_elements)}


def _check_table(drawn: list[dict[str, Any]], table: pl.DataFrame,
                 ruleset: str | nonpunish.Ruleset) -> None:
    out = nonpunish.evaluate_table(table, ruleset, as_of=AS_OF, explain=True)
    assert out.rejects.height == 0, out.rejects.to_dicts()
    got = out.results.to_dicts()
    assert [r["row"] for r in got] == list(range(1, len(drawn) + 1))
    for case, row in zip(drawn, got, strict=True):
        want = _expected(case, ruleset)
        have = {k: row[k] for k in want}
        assert have == want, (case, have, want)
        event(f"result: {want['result']}")


@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_vectorised_table_matches_reference(ruleset_id: str, data: st.DataObject) -> None:
    """Every row of a table gets the result, legal effect, limb and deciding elements that
    the reference evaluator gives the same case alone, whatever the facts: unknowns,
    evidence weighed by the burden model, disputed ages and dates across a boundary, offences
    by id or by statute and section, conditional and dated list entries."""
    drawn, table = data.draw(tables(JURISDICTION[ruleset_id]), label="table")
    _check_table(drawn, table, ruleset_id)


@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset(6, floor=6)
@given(data=st.data())
def test_reference_engine_for_tables_matches_vectorised(ruleset_id: str,
                                                        data: st.DataObject) -> None:
    """``engine="reference"`` and ``engine="vectorised"`` give the same table, open
    questions included."""
    _, table = data.draw(tables(JURISDICTION[ruleset_id], max_rows=6), label="table")
    vec = nonpunish.evaluate_table(table, ruleset_id, as_of=AS_OF, explain=True)
    ref = nonpunish.evaluate_table(table, ruleset_id, as_of=AS_OF, explain=True,
                                   engine="reference")
    assert vec.results.to_dicts() == ref.results.to_dicts()
    assert vec.rejects.to_dicts() == ref.rejects.to_dicts()


def _earlier(value: Any, days: int) -> Any:
    """Every date in a case, ``days`` earlier."""
    if isinstance(value, dt.date):
        return value - dt.timedelta(days=days)
    if isinstance(value, dict):
        return {k: _earlier(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_earlier(v, days) for v in value]
    return value


@pytest.mark.parametrize("ruleset_id", RULESETS)
@per_ruleset()
@given(data=st.data())
def test_rows_alike_get_the_reference_questions_of_their_own_case(ruleset_id: str,
                                                                  data: st.DataObject) -> None:
    """An explained table asks the reference evaluator for the open questions once per
    class of rows whose questions cannot differ (the same leaves, version and, where an
    offence list's check is open, what it read). Each case here comes with copies of itself
    whose dates are a few days earlier, so most copies fall in the class of their case and
    some do not; every row gets the questions that the reference evaluator gives its own
    case alone."""
    drawn = data.draw(st.lists(_single_count_cases(JURISDICTION[ruleset_id]), min_size=1,
                               max_size=6), label="cases")
    shifts = data.draw(st.lists(st.integers(1, 90), min_size=1, max_size=3), label="days")
    every = [c for case in drawn for c in [case, *(_earlier(case, d) for d in shifts)]]
    table = pl.DataFrame(table_columns([table_row(c) for c in every], text=False),
                         strict=False)
    out = nonpunish.evaluate_table(table, ruleset_id, as_of=AS_OF, explain=True)
    assert out.rejects.height == 0, out.rejects.to_dicts()
    for case, row in zip(every, out.results.to_dicts(), strict=True):
        outcome = nonpunish.evaluate(case, ruleset_id, as_of=AS_OF)
        assert row["result"] == outcome.counts[0].result, case
        assert row["open_questions"] == [q.fact for q in outcome.questions], case
        event(f"result: {row['result']}")


@pytest.mark.parametrize("ruleset_id", RULESETS)
@FEW
@given(case=st.data())
def test_every_node_agrees(ruleset_id: str, case: st.DataObject) -> None:
    """Two engines agree when they give the same value for every node: the reference path
    run on the vectorised expressions (one row at a time) gives the whole outcome, elements,
    questions and caveats included, that the reference evaluator gives."""
    from nonpunish._vectorised import NodeEngine

    drawn = case.draw(_single_count_cases(JURISDICTION[ruleset_id]), label="case")
    rs = nonpunish.load_ruleset(ruleset_id)
    ref = nonpunish.evaluate(drawn, rs, as_of=AS_OF).model_dump()
    vec = nonpunish.evaluate(drawn, rs, as_of=AS_OF, engine=NodeEngine(rs)).model_dump()
    ref["provenance"].pop("engine")
    vec["provenance"].pop("engine")
    assert vec == ref


# --- a ruleset that exercises the generic paths ------------------------------------------------

def _variant(tmp: Path) -> Path:
    """s.45 changed: it looks at the date of the decision, reaches earlier acts (lex
    mitior), and has a second version from 2020 whose child limb runs to 21 and whose adult
    limb needs no reasonable-person test. The exclusion list is copied beside it."""
    folder = tmp / "variant"
    folder.mkdir()
    source = shipped_root() / "uk-ew" / "modern-slavery-act-2015"
    shutil.copy(source / "schedule-4.yaml", folder / "schedule-4.yaml")
    data = yaml.safe_load((source / "s45.yaml").read_text(encoding="utf-8"))
    data["id"] = "test/variant/s45"
    data["temporal"]["relevant_date"] = "decision"
    data["temporal"]["rule"] = "lex_mitior"
    first = data["versions"][0]
    first["valid_to"] = dt.date(2019, 12, 31)
    second = yaml.safe_load(yaml.safe_dump(first))
    second["valid_from"] = dt.date(2020, 1, 1)
    del second["valid_to"]
    adult, child = second["protection"]["any"]
    adult["all"] = [e for e in adult["all"] if e["id"] != "s45-1-d"]
    adult["all"][0]["age_at_least"] = 21
    child["all"][0]["age_under"] = 21
    data["versions"].append(second)
    path = folder / "s45.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def variant_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The variant's path (a short repr for Hypothesis' reports; the ruleset is loaded once)."""
    return str(_variant(tmp_path_factory.mktemp("rulesets")))


@functools.cache
def _load(path: str) -> nonpunish.Ruleset:
    return nonpunish.load_ruleset(Path(path))


def test_variant_has_what_it_should(variant_path: str) -> None:
    variant = _load(variant_path)
    assert len(variant.compiled) == 2
    assert variant.spec.temporal.relevant_date == "decision"
    assert variant.age_threshold_list == (18, 21)


@FEW
@given(data=st.data())
def test_vectorised_matches_reference_on_a_variant(variant_path: str,
                                                   data: st.DataObject) -> None:
    """The same property on a ruleset with two versions, a decision date and two age
    thresholds."""
    drawn, table = data.draw(tables("uk-ew"), label="table")
    _check_table(drawn, table, _load(variant_path))


def test_a_section_holding_several_offences_is_read_each_way_by_both_engines() -> None:
    """Misuse of Drugs Act 1971 s.5(2) holds one offence per class of drug in the Northern
    Ireland catalogue. In 2020 Class A possession was excluded and Class B carved back in, so
    the readings differ; from 28 April 2022 no class is excluded, so they agree."""
    table = pl.DataFrame({
        "offence_statute": ["Misuse of Drugs Act 1971"] * 2, "offence_section": ["5(2)"] * 2,
        "act_date": [dt.date(2020, 6, 1), dt.date(2023, 6, 1)],
        "date_of_birth": [dt.date(1990, 1, 1)] * 2, "participation": ["principal"] * 2,
        "victim_of_trafficking": [True] * 2, "exploitation_types": ["forced_criminality"] * 2,
        "compelled": [True] * 2, "compulsion_is_exploitation_conduct": [True] * 2,
        "reasonable_person_no_realistic_alternative": [True] * 2})
    runs = [nonpunish.evaluate_table(table, "uk-ni/hte-act-2015/s22", as_of=AS_OF,
                                     engine=engine, explain=True).results
            .select("result", "limb", "deciding_elements").to_dicts()
            for engine in ("vectorised", "reference")]
    assert runs[0] == runs[1]
    assert [r["result"] for r in runs[0]] == ["undetermined", "protected"]


def test_a_penalty_raised_during_the_act_range_splits_a_row_as_it_splits_a_case() -> None:
    """Entering in breach of a deportation order (Immigration Act 1971 s.24(A1), NI) became
    triable on indictment with 5 years' maximum from 28 June 2022, which puts it under the
    s.22(9) exclusion. An act known only to fall in 2015-2024 is read on both sides of that
    date by both engines, and is undetermined."""
    facts = {"victim_of_trafficking": True, "exploitation_types": ["forced_labour"],
             "compelled": True, "compulsion_is_exploitation_conduct": True,
             "reasonable_person_no_realistic_alternative": True}
    case = {"person": {"date_of_birth": dt.date(1960, 3, 1)}, "facts": facts,
            "counts": [{"offence": {"id": "uk-ni/immigration-act-1971/s24-a1"},
                        "act_date": {"earliest": dt.date(2015, 1, 14),
                                     "latest": dt.date(2024, 9, 4)}}]}
    expected = _expected(case, "uk-ni/hte-act-2015/s22")
    assert expected["result"] == "undetermined"
    table = pl.DataFrame(table_columns([table_row(case)]), strict=False)
    got = nonpunish.evaluate_table(table, "uk-ni/hte-act-2015/s22", as_of=AS_OF,
                                   explain=True).results.to_dicts()[0]
    assert {k: got[k] for k in expected} == expected
