"""Policy parameters and variants: the proposed Dutch clause as switchable choices.

What a modeller relies on: every named variant loads as ``ruleset@variant``; a variant file of
their own runs without touching the package; a variant that only lowers a bar (an option
earlier in a parameter ordered ``lowest_first``) never protects fewer cases than its base;
and one policy parameter at a time can be varied (``sensitivity``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nonpunish
from nonpunish._paths import shipped_root
from nonpunish._ruleset import with_choices
from strategies import AS_OF, cases

PROPOSAL = "nl/proposal/273f-non-punishment"
VARIANT_FILE = shipped_root() / "nl" / "proposal" / "variants" / "ckm-fier-with-exclusions.yaml"
_RANK = {"protected": 2, "undetermined": 1}


def _base() -> nonpunish.Ruleset:
    return nonpunish.load_ruleset(PROPOSAL)


def test_every_named_variant_is_listed_and_loads() -> None:
    spec = _base().source_spec
    assert spec is not None
    listed = {i.id for i in nonpunish.list_rulesets() if i.variant_of == PROPOSAL}
    assert listed == {f"{PROPOSAL}@{name}" for name in spec.variants}
    for name in spec.variants:
        rs = nonpunish.load_ruleset(f"{PROPOSAL}@{name}")
        assert rs.variant == name
        assert rs.variant_spec is not None
        assert set(rs.variant_spec.values) == set(spec.parameters)


def test_ckm_fier_follows_the_letter() -> None:
    """The letter: UK s.45 as the model, slight indications suffice, the OM must prove the
    contrary."""
    rs = nonpunish.load_ruleset(f"{PROPOSAL}@ckm-fier")
    assert rs.variant_spec is not None
    values = rs.variant_spec.values
    assert values["adult_test"] == "uk_compulsion"
    assert values["child_test"] == "uk_child"
    assert values["threshold"] == "slight_indications"
    assert rs.spec.burden.finding_true_from == nonpunish.EvidenceLevel.SLIGHT_INDICATION
    assert rs.spec.burden.disproof_defeats is True
    assert rs.spec.status == "proposal" and rs.spec.temporal.rule == "as_if_in_force"


def test_a_modellers_variant_file_runs_without_touching_the_package() -> None:
    rs = nonpunish.load_ruleset(VARIANT_FILE)
    assert rs.id == f"{PROPOSAL}@ckm-fier-with-exclusions"
    homicide = {"person": {"age_at_act": 30}, "facts": {"victim_of_trafficking": True},
                "counts": [{"offence": {"category": "homicide"}, "act_date": "2025-01-01"}]}
    assert nonpunish.evaluate(homicide, rs, as_of=AS_OF).counts[0].result == "excluded_offence"
    plain = nonpunish.evaluate(homicide, f"{PROPOSAL}@ckm-fier", as_of=AS_OF)
    assert plain.counts[0].result != "excluded_offence"


def test_a_bad_variant_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(f"schema: nonpunish-variant/1\nruleset: {PROPOSAL}\nid: mine\n"
                    "label: {en: Mine, nl: De mijne}\nbase: ckm-fier\n"
                    "values:\n  threshold: very_slight\n", encoding="utf-8")
    with pytest.raises(nonpunish.RulesetError) as err:
        nonpunish.load_ruleset(path)
    assert err.value.code == "unknown_option"
    assert f"{path}:7" in str(err.value.location)


def test_a_proposal_with_a_commencement_is_not_in_force_before_it(tmp_path: Path) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text(f"schema: nonpunish-variant/1\nruleset: {PROPOSAL}\nid: dated\n"
                    "label: {en: Dated, nl: Gedateerd}\nbase: ckm-fier\n"
                    "commencement: 2027-01-01\n", encoding="utf-8")
    rs = nonpunish.load_ruleset(path)
    case = {"person": {"age_at_act": 15}, "facts": {"victim_of_trafficking": True},
            "counts": [{"offence": {"category": "drugs_production"}, "act_date": "2026-06-01",
                        "decision_date": "2026-07-01"}]}
    assert nonpunish.evaluate(case, rs, as_of=AS_OF).counts[0].result == "not_in_force"
    undated = nonpunish.evaluate(case, f"{PROPOSAL}@ckm-fier", as_of=AS_OF)
    assert undated.counts[0].result != "not_in_force"


def _lowered() -> list[Any]:
    """(base variant, parameter, lower option) for every ordered parameter."""
    spec = _base().source_spec
    assert spec is not None
    out = []
    for vname, vs in spec.variants.items():
        for pname, param in spec.parameters.items():
            if param.order != "lowest_first":
                continue
            options = list(param.options)
            for lower in options[: options.index(vs.values[pname])]:
                out.append(pytest.param(vname, pname, lower, id=f"{vname}:{pname}={lower}"))
    return out


LOWERED = _lowered()


def test_some_parameters_are_ordered() -> None:
    assert LOWERED, "no parameter of the proposal is ordered lowest_first"


@pytest.mark.parametrize(("variant", "parameter", "option"), LOWERED)
@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(case=cases(jurisdiction=None, max_counts=1))
def test_lowering_one_bar_never_protects_fewer(variant: str, parameter: str, option: str,
                                               case: dict[str, Any]) -> None:
    """A variant that only lowers the threshold of indication, only moves the burden to the
    prosecution, or only shortens the list of excluded offences (an earlier option of a
    parameter ordered lowest_first) never protects fewer cases than its base, nor leaves open
    a case its base protected."""
    base = nonpunish.load_ruleset(f"{PROPOSAL}@{variant}")
    lowered = with_choices(base, {parameter: option}, "lowered")
    before = nonpunish.evaluate(case, base, as_of=AS_OF).counts[0]
    after = nonpunish.evaluate(case, lowered, as_of=AS_OF).counts[0]
    assert _RANK.get(after.result, 0) >= _RANK.get(before.result, 0), (
        f"{parameter}={option}: {before.result} became {after.result}: {after.reason.en}")


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(case=cases(jurisdiction=None, max_counts=1),
       ruleset_id=st.sampled_from([i.id for i in nonpunish.list_rulesets()]),
       category=st.sampled_from(["homicide", "drugs_production", "theft", "immigration"]))
def test_adding_an_exclusion_never_protects_more(case: dict[str, Any], ruleset_id: str,
                                                 category: str) -> None:
    """Every ruleset, with one more excluded category of offence: never more protected."""
    rs = nonpunish.load_ruleset(ruleset_id)
    stricter = _with_extra_exclusion(rs, category)
    before = nonpunish.evaluate(case, rs, as_of=AS_OF).counts[0]
    after = nonpunish.evaluate(case, stricter, as_of=AS_OF).counts[0]
    assert _RANK.get(after.result, 0) <= _RANK.get(before.result, 0), (
        f"{before.result} became {after.result}")


def _with_extra_exclusion(rs: nonpunish.Ruleset, category: str) -> nonpunish.Ruleset:
    from nonpunish._ruleset import ExclusionRef, Node, _build

    extra = Node.model_validate({"fact": "offence_category", "is": category})
    versions = []
    for v in rs.spec.versions:
        old = v.exclusions
        when = extra if old is None or old.when is None else Node(any=(old.when, extra))
        versions.append(v.model_copy(update={"exclusions": ExclusionRef(
            list=None if old is None else old.list, when=when,
            citation="test" if old is None else old.citation)}))
    spec = rs.spec.model_copy(update={"versions": versions, "parameters": {}, "variants": {},
                                      "default_variant": None})
    return _build(spec, rs.path, dict(rs.lists))


def test_sensitivity_varies_one_parameter_at_a_time() -> None:
    pl = pytest.importorskip("polars")
    table = pl.DataFrame({
        "offence_category": ["drugs_production", "homicide"],
        "age_at_act": [15, 30],
        "victim_of_trafficking": ["slight_indication", "evidence_raised"],
        "act_direct_consequence_of_exploitation": [True, True],
        "reasonable_person_would_do_act": [True, None],
        "act_date": [dt.date(2025, 1, 1), dt.date(2025, 1, 1)],
    })
    out = nonpunish.sensitivity(table, f"{PROPOSAL}@ckm-fier", parameters=["threshold"],
                                as_of=AS_OF)
    spec = _base().source_spec
    assert spec is not None
    options = [o for o in spec.parameters["threshold"].options if o != "slight_indications"]
    assert out.get_column("option").drop_nulls().unique().sort().to_list() == sorted(options)
    base = out.filter(pl.col("parameter").is_null() & (pl.col("result") == "protected"))
    assert base.get_column("cases").sum() >= 1
    assert out.filter(pl.col("parameter").is_null()).get_column("change").abs().max() == 0
    with pytest.raises(nonpunish.NonpunishError) as err:
        nonpunish.sensitivity(table, "uk-ew/modern-slavery-act-2015/s45", as_of=AS_OF)
    assert err.value.code == "unknown_parameter"


def test_a_ruleset_without_parameters_takes_another_commencement() -> None:
    """Belgium's new Code: its start moved from 8 April to 1 September 2026 (secondary-sourced
    for Book II), so the date is one a modeller can change with a variant file. A level-7
    offence done in May 2026 and judged in 2027: under the shipped date the old §5 (no level
    cap) still governed the act and is the more favourable law; from the original date,
    art. 264 governs it and excludes level 7."""
    case = {"person": {"age_at_act": 30}, "facts": {"victim_of_trafficking": True},
            "counts": [{"offence": {"category": "homicide"}, "act_date": "2026-05-01",
                        "decision_date": "2027-01-15",
                        "facts": {"be_penalty_level": "level_7",
                                  "act_direct_consequence_of_exploitation": True}}]}
    as_of = dt.date(2027, 2, 1)
    shipped = nonpunish.evaluate(case, "be/code-penal-2024/art-264", as_of=as_of).counts[0]
    assert shipped.result == "protected"
    assert shipped.applied_ruleset == "be/code-penal-1867/art-433quinquies-5"
    april = nonpunish.load_ruleset(shipped_root() / "be" / "code-penal-2024" / "variants"
                                   / "original-start-2026-04-08.yaml")
    assert april.commencement == dt.date(2026, 4, 8)
    assert nonpunish.evaluate(case, april, as_of=as_of).counts[0].result == "excluded_offence"


def test_a_variant_of_a_ruleset_without_parameters_sets_only_the_date(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schema: nonpunish-variant/1\nruleset: uk-ew/modern-slavery-act-2015/s45\n"
                    "id: bad\nlabel: {en: Bad, nl: Fout}\nvalues: {threshold: evident}\n",
                    encoding="utf-8")
    with pytest.raises(nonpunish.RulesetError) as err:
        nonpunish.load_ruleset(path)
    assert err.value.code == "unknown_parameter"
