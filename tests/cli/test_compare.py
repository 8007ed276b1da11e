"""``nonpunish compare``: one case under every ruleset and variant, side by side; and the
listing, which shows variants and the provisions known but not encoded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import nonpunish
from nonpunish._cli import main
from support import assert_one_line_error

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "child-cannabis-farm.yaml"
AS_OF = "2026-11-01"
S45 = "uk-ew/modern-slavery-act-2015/s45"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_shows_every_ruleset_and_variant(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", str(EXAMPLE), "--as-of", AS_OF)
    assert (code, err) == (0, "")
    for info in nonpunish.list_rulesets():
        assert info.id in out
    assert "Decision support, not legal advice" in out


def test_compare_chosen_rulesets_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", str(EXAMPLE), "--as-of", AS_OF, "--ruleset", S45,
                         "--ruleset", "nl/proposal/273f-non-punishment@ckm-fier",
                         "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert [r["ruleset"]["id"] for r in data["rows"]] == [
        S45, "nl/proposal/273f-non-punishment@ckm-fier"]
    assert data["rows"][0]["result"] == "protected"
    assert data["rows"][0]["legal_effect"] == "not_guilty"
    assert data["rows"][1]["ruleset"]["parameters"]["threshold"] == "slight_indications"


def test_compare_in_dutch(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", str(EXAMPLE), "--as-of", AS_OF, "--ruleset", S45,
                       "--lang", "nl")
    assert code == 0
    assert "BESCHERMD" in out and "niet schuldig" in out


def test_a_count_short_of_a_minimum_standard_says_so() -> None:
    """A Schedule 4 offence: excluded under s.45, while the EU minimum standard (which has no
    exclusions) protects the same count; the row for s.45 names the standard."""
    case = {"person": {"date_of_birth": "1990-01-01"},
            "facts": {"victim_of_trafficking": True, "exploitation_types": ["forced_labour"]},
            "counts": [{"offence": {"id": "uk-ew/common-law/false-imprisonment"},
                        "act_date": "2020-06-01", "facts": {"compelled": True,
                        "compulsion_direct_consequence_of_exploitation": True}}]}
    comparison = nonpunish.compare(case, [S45, "eu/directive-2011-36/art-8"],
                                   as_of=dt.date(2026, 11, 1))
    s45, eu = comparison.rows
    assert eu.result == "protected"
    assert s45.result == "excluded_offence"
    assert s45.falls_short_of == ["eu/directive-2011-36/art-8"]


def test_compare_with_an_unknown_ruleset_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "compare", str(EXAMPLE), "--ruleset", "xx/yy/zz"),
                          "xx/yy/zz")


def test_a_provision_not_encoded_is_listed_and_refused(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "nl/bill-36547/art-273f-9" in out and "not encoded" in out
    with pytest.raises(nonpunish.UnknownRulesetError) as err:
        nonpunish.load_ruleset("nl/bill-36547/art-273f-9")
    assert err.value.code == "not_encoded"
    data = json.loads(run(capsys, "list", "--format", "json")[1])
    assert {d["id"]: d["encoded"] for d in data}["nl/bill-36547/art-273f-9"] is False
