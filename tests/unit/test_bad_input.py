"""Bad input gets a clear error: a stable code, and the file and line or the field it is about.

Each case is checked through the API (the exception class, ``code`` and ``location``) and
through the command line (exit status 2, one line on stderr, no traceback).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

import nonpunish
from nonpunish import (
    CaseError,
    FileFormatError,
    NonpunishError,
    RulesetError,
    UnknownRulesetError,
)
from nonpunish._cli import main
from support import assert_one_line_error

ROOT = Path(__file__).parents[2]
S45 = "uk-ew/modern-slavery-act-2015/s45"
S45_DIR = ROOT / "rulesets" / "uk-ew" / "modern-slavery-act-2015"
AS_OF = dt.date(2026, 11, 1)

CASE = """\
case_id: client-1
person:
  date_of_birth: 2000-03-14
facts:
  victim_of_trafficking: true
  exploitation_types: [forced_criminality]
counts:
  - id: "1"
    offence: {id: uk-ew/misuse-of-drugs-act-1971/s4-2}
    participation: principal
    conduct: act
    act_date: 2016-09-01
    facts:
      act_direct_consequence_of_exploitation: {evidence: evidence_raised}
"""

CASE_JSON = """\
{
  "person": {"date_of_birth": "2000-03-14"},
  "facts": {"victim_of_trafficking": true},
  "counts": [
    {"id": "1", "offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
     "act_date": "2016-09-01"}
  ]
}
"""


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` (which must occur exactly once) replaced, so an edit to the
    shipped files cannot silently turn a test into a no-op."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line containing ``fragment``."""
    for i, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return i
    raise AssertionError(fragment)


@dataclass(frozen=True)
class Bad:
    """A bad case file and the error it must give."""

    name: str
    filename: str
    content: str | bytes | None  # None: the file does not exist
    error: type[NonpunishError]
    code: str
    line: int | None = None  # expected in location as file:line
    field: str | None = None  # expected in location

    def write(self, tmp_path: Path) -> Path:
        path = tmp_path / self.filename
        if isinstance(self.content, bytes):
            path.write_bytes(self.content)
        elif self.content is not None:
            path.write_text(self.content, encoding="utf-8")
        return path


def _bomb() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


_TWO_COUNTS = CASE + """\
  - id: "2"
    offence: {id: uk-ew/misuse-of-drugs-act-1971/s4-2}
    participation: bystander
    act_date: 2016-09-01
"""

BAD_CASES = [
    Bad("malformed JSON", "case.json", '{\n  "counts": [\n    {"offence": }\n  ]\n}\n',
        FileFormatError, "json_syntax", line=3),
    Bad("malformed YAML", "case.yaml", replaced(CASE, "offence: {id: uk-ew/misuse-of-drugs-"
                                                "act-1971/s4-2}", "offence: {id: x"),
        FileFormatError, "yaml_syntax", line=10),
    Bad("not a date", "case.yaml", replaced(CASE, "act_date: 2016-09-01", "act_date: 2016-13-45"),
        FileFormatError, "yaml_value", line=12),
    Bad("wrong type: participation", "case.yaml",
        replaced(CASE, "participation: principal", "participation: 5"),
        CaseError, "invalid_value", line=10, field="counts[0].participation"),
    Bad("finding given as a string", "case.yaml",
        replaced(CASE, "victim_of_trafficking: true", 'victim_of_trafficking: "yes"'),
        CaseError, "fact_value", line=5, field="facts.victim_of_trafficking"),
    Bad("finding given as a number", "case.yaml",
        replaced(CASE, "victim_of_trafficking: true", "victim_of_trafficking: 5"),
        CaseError, "invalid_type", line=5, field="facts.victim_of_trafficking"),
    Bad("finding given as a string, JSON", "case.json",
        replaced(CASE_JSON, '"victim_of_trafficking": true', '"victim_of_trafficking": "yes"'),
        CaseError, "fact_value", field="facts.victim_of_trafficking"),
    Bad("bad evidence level", "case.yaml",
        replaced(CASE, "{evidence: evidence_raised}", "{evidence: strong}"),
        CaseError, "invalid_value", line=14,
        field="counts[0].facts.act_direct_consequence_of_exploitation.evidence"),
    Bad("unknown top-level field", "case.yaml", CASE + "colour: red\n",
        CaseError, "unknown_field", line=15, field="colour"),
    Bad("unknown field in a count", "case.yaml",
        replaced(CASE, "    conduct: act\n", "    conduct: act\n    colour: red\n"),
        CaseError, "unknown_field", line=12, field="counts[0].colour"),
    Bad("unknown fact", "case.yaml",
        replaced(CASE, "victim_of_trafficking: true", "victim_of_trafficing: true"),
        CaseError, "unknown_fact", line=5, field="facts.victim_of_trafficing"),
    Bad("unknown fact in a count", "case.yaml",
        replaced(CASE, "act_direct_consequence_of_exploitation:", "direct_consequence:"),
        CaseError, "unknown_fact", line=14, field="counts[0].facts.direct_consequence"),
    Bad("unknown offence", "case.yaml",
        replaced(CASE, "misuse-of-drugs-act-1971/s4-2}", "misuse-of-drugs-act-1971/s99}"),
        CaseError, "unknown_offence", line=9, field="counts[0].offence.id"),
    Bad("act before birth", "case.yaml",
        replaced(CASE, "act_date: 2016-09-01", "act_date: 1999-09-01"),
        CaseError, "act_before_birth", line=12, field="counts[0].act_date"),
    Bad("act after the as-of date", "case.yaml",
        replaced(CASE, "act_date: 2016-09-01", "act_date: 2027-01-01"),
        CaseError, "act_in_future", line=12, field="counts[0].act_date"),
    Bad("impossible age", "case.yaml",
        replaced(CASE, "  date_of_birth: 2000-03-14", "  age_at_act: 150"),
        CaseError, "impossible_age", line=3, field="person.age_at_act"),
    Bad("impossible age in a range", "case.yaml",
        replaced(CASE, "  date_of_birth: 2000-03-14", "  age_at_act: {min: 17, max: 150}"),
        CaseError, "impossible_age", line=3, field="person.age_at_act.max"),
    Bad("negative age on a count", "case.yaml",
        replaced(CASE.replace("  date_of_birth: 2000-03-14\n", "  {}\n").replace(
            "person:\n  {}", "person: {}"), "    conduct: act\n",
            "    conduct: act\n    age_at_act: -1\n"),
        CaseError, "impossible_age", field="counts[0].age_at_act"),
    Bad("over 120 at the act", "case.yaml",
        replaced(CASE, "date_of_birth: 2000-03-14", "date_of_birth: 1880-03-14"),
        CaseError, "impossible_age", line=12, field="counts[0].act_date"),
    Bad("no counts", "case.yaml", CASE[: CASE.index("counts:")] + "counts: []\n",
        CaseError, "no_counts", line=7, field="counts"),
    Bad("YAML tag", "case.yaml", '!!python/object/apply:os.system ["echo hi"]\n',
        FileFormatError, "yaml_tag", line=1),
    Bad("YAML tag in a value", "case.yaml",
        replaced(CASE, "case_id: client-1", 'case_id: !!python/object/apply:os.system ["id"]'),
        FileFormatError, "yaml_tag", line=1),
    Bad("YAML anchor and alias", "case.yaml",
        replaced(CASE, "    act_date: 2016-09-01", "    act_date: &d 2016-09-01\n"
                 "    decision_date: *d"),
        FileFormatError, "yaml_anchor", line=12),
    Bad("billion laughs", "case.yaml", _bomb(), FileFormatError, "yaml_anchor", line=1),
    Bad("duplicate key", "case.yaml",
        replaced(CASE, "    conduct: act\n", "    conduct: act\n    conduct: omission\n"),
        FileFormatError, "duplicate_key", line=12),
    Bad("duplicate key, JSON", "case.json",
        replaced(CASE_JSON, '"act_date": "2016-09-01"',
                 '"act_date": "2016-09-01", "act_date": "2016-09-02"'),
        FileFormatError, "duplicate_key"),
    Bad("empty file", "case.yaml", "", FileFormatError, "empty_file"),
    Bad("only comments", "case.yaml", "# nothing here\n", FileFormatError, "empty_file"),
    Bad("a list, not a mapping", "case.yaml", "- counts: []\n", FileFormatError,
        "not_a_mapping", line=1),
    Bad("a JSON list", "case.json", "[1, 2]\n", FileFormatError, "not_a_mapping"),
    Bad("not UTF-8", "case.yaml", CASE.replace("client-1", "café").encode("latin-1"),
        FileFormatError, "file_encoding", line=1),
    Bad("not UTF-8, later line", "case.yaml",
        (CASE + "# caf\xe9\n").encode("latin-1"), FileFormatError, "file_encoding", line=15),
    Bad("missing file", "no-such-case.yaml", None, FileFormatError, "file_not_found"),
    Bad("deeply nested YAML", "case.yaml", "counts: " + "[" * 5000 + "]" * 5000 + "\n",
        FileFormatError, "too_deep", line=1),
    Bad("deeply nested JSON", "case.json", '{"counts": ' + "[" * 100_000 + "]" * 100_000 + "}",
        FileFormatError, "too_deep"),
    Bad("one count of two is bad", "case.yaml", _TWO_COUNTS, CaseError, "invalid_value",
        line=17, field="counts[1].participation"),
]


def _check_location(err: NonpunishError, bad: Bad) -> None:
    assert err.location is not None
    assert bad.filename in err.location
    if bad.line is not None:
        assert f"{bad.filename}:{bad.line}" in err.location, err.location
    if bad.field is not None:
        assert f"({bad.field})" in err.location, err.location


@pytest.mark.parametrize("bad", BAD_CASES, ids=[b.name for b in BAD_CASES])
def test_bad_case_via_api(bad: Bad, tmp_path: Path) -> None:
    path = bad.write(tmp_path)
    with pytest.raises(bad.error) as info:
        nonpunish.read_case(path, as_of=AS_OF)
    err = info.value
    assert type(err) is bad.error
    assert err.code == bad.code, err.one_line()
    _check_location(err, bad)
    assert "\n" not in err.one_line()
    assert err.one_line().endswith(f"[{bad.code}]") or "; also: " in err.one_line()
    # evaluate() refuses it the same way: no outcome, partial or otherwise.
    with pytest.raises(bad.error) as again:
        nonpunish.evaluate(path, S45, as_of=AS_OF)
    assert again.value.code == bad.code




@pytest.mark.parametrize("bad", BAD_CASES, ids=[b.name for b in BAD_CASES])
def test_bad_case_via_cli(bad: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = bad.write(tmp_path)
    where = f"{bad.filename}:{bad.line}" if bad.line is not None else bad.filename
    for args in (["evaluate", S45, str(path)], ["validate", str(path)]):
        code = main([*args, "--as-of", AS_OF.isoformat()])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, f"[{bad.code}]", where)


def test_a_bad_count_rejects_the_whole_case(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """One valid count and one invalid: nothing is evaluated, so no partial outcome can be
    taken for a complete one."""
    path = tmp_path / "case.yaml"
    path.write_text(_TWO_COUNTS, encoding="utf-8")
    with pytest.raises(CaseError) as info:
        nonpunish.evaluate(path, S45, as_of=AS_OF)
    assert info.value.location is not None
    assert "counts[1]" in info.value.location
    data = nonpunish.read_case(_ok_case(tmp_path), as_of=AS_OF).model_dump(mode="json")
    data["counts"].append({**data["counts"][0], "id": "2", "participation": "bystander"})
    with pytest.raises(CaseError):
        nonpunish.evaluate(data, S45, as_of=AS_OF)
    code = main(["evaluate", S45, str(path), "--as-of", AS_OF.isoformat(), "--format", "json"])
    out, err = capsys.readouterr()
    assert_one_line_error(code, out, err, "counts[1].participation")


def _ok_case(tmp_path: Path) -> Path:
    path = tmp_path / "ok.yaml"
    path.write_text(CASE, encoding="utf-8")
    return path


def test_the_good_case_is_good(tmp_path: Path) -> None:
    """The base of the bad cases above is itself valid, so each failure is the change."""
    outcome = nonpunish.evaluate(_ok_case(tmp_path), S45, as_of=AS_OF)
    assert [c.count_id for c in outcome.counts] == ["1"]
    two = tmp_path / "two.yaml"
    two.write_text(_TWO_COUNTS.replace("bystander", "principal"), encoding="utf-8")
    assert len(nonpunish.evaluate(two, S45, as_of=AS_OF).counts) == 2


def test_errors_do_not_repeat_case_facts(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An error line may be logged: it names fields and lines, not dates of birth or ages."""
    for text, secret in [
        (replaced(CASE, "date_of_birth: 2000-03-14", "date_of_birth: 2000-02-30"), "2000-02-30"),
        (replaced(CASE, "act_date: 2016-09-01", "act_date: 1999-09-01"), "1999-09-01"),
        (replaced(CASE, "  date_of_birth: 2000-03-14", "  age_at_act: 137"), "137"),
    ]:
        path = tmp_path / "case.yaml"
        path.write_text(text, encoding="utf-8")
        code = main(["evaluate", S45, str(path), "--as-of", AS_OF.isoformat()])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err)
        assert secret not in err


def test_case_errors_without_a_file_name_the_field() -> None:
    data = {"person": {"age_at_act": 150},
            "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"}}]}
    with pytest.raises(CaseError) as info:
        nonpunish.parse_case(data, as_of=AS_OF)
    assert (info.value.code, info.value.location) == ("impossible_age", "person.age_at_act")
    data = {"counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                        "act_date": {"earliest": "2016-01-01"}, "colour": "red"}]}
    with pytest.raises(CaseError) as info:
        nonpunish.parse_case(data, as_of=AS_OF)
    assert (info.value.code, info.value.location) == ("unknown_field", "counts[0].colour")


def test_a_field_called_date_keeps_its_name() -> None:
    """``date`` is both a field name and a name pydantic gives a union member."""
    data = {"counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"}}],
            "competent_authority": [{"stage": "reasonable_grounds", "outcome": "positive",
                                     "date": "someday"}]}
    with pytest.raises(CaseError) as info:
        nonpunish.parse_case(data, as_of=AS_OF)
    assert info.value.location == "competent_authority[0].date"


# --- ruleset ids -----------------------------------------------------------------------------

ESCAPES = ["../../etc/passwd", "/etc/passwd", "uk-ew/../../x", "..", "uk-ew/./s45",
           "UK-EW/modern-slavery-act-2015/s45", "uk-ew\\modern-slavery-act-2015\\s45", ""]


@pytest.mark.parametrize("rid", ESCAPES)
def test_ruleset_ids_cannot_reach_outside(rid: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UnknownRulesetError) as info:
        nonpunish.load_ruleset(rid)
    assert info.value.code == "invalid_ruleset_id"
    with pytest.raises(UnknownRulesetError):
        nonpunish.evaluate(_ok_case(tmp_path), rid, as_of=AS_OF)
    for args in (["show", rid], ["evaluate", rid, str(_ok_case(tmp_path))]):
        code = main(args)
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, "[invalid_ruleset_id]")


def test_an_unknown_ruleset(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UnknownRulesetError) as info:
        nonpunish.load_ruleset("uk-ew/modern-slavery-act-2015/s46")
    assert info.value.code == "unknown_ruleset"
    code = main(["show", "uk-ew/modern-slavery-act-2015/s46"])
    out, err = capsys.readouterr()
    assert_one_line_error(code, out, err, "[unknown_ruleset]", "nonpunish list")


# --- bad rulesets and exclusion lists ------------------------------------------------------

S45_TEXT = (S45_DIR / "s45.yaml").read_text(encoding="utf-8")
SCHEDULE_TEXT = (S45_DIR / "schedule-4.yaml").read_text(encoding="utf-8")


def _write_ruleset(tmp_path: Path, ruleset: str = S45_TEXT,
                   schedule: str = SCHEDULE_TEXT) -> Path:
    (tmp_path / "schedule-4.yaml").write_text(schedule, encoding="utf-8")
    path = tmp_path / "s45.yaml"
    path.write_text(ruleset, encoding="utf-8")
    return path


def _assert_ruleset_error(path: Path, code: str, where: str, field: str | None,
                          capsys: pytest.CaptureFixture[str], tmp_path: Path,
                          error: type[NonpunishError] = RulesetError) -> None:
    with pytest.raises(error) as info:
        nonpunish.load_ruleset(path)
    err = info.value
    assert type(err) is error
    assert err.code == code, err.one_line()
    assert err.location is not None
    assert where in err.location, err.location
    if field is not None:
        assert f"({field})" in err.location, err.location
    with pytest.raises(error):
        nonpunish.evaluate(_ok_case(tmp_path), path, as_of=AS_OF)
    for args in (["validate", str(path)],
                 ["evaluate", "--ruleset-file", str(path), str(_ok_case(tmp_path))],
                 ["show", str(path)]):
        rc = main(args)
        out, stderr = capsys.readouterr()
        assert_one_line_error(rc, out, stderr, f"[{code}]", where)


def test_the_copied_ruleset_is_valid(tmp_path: Path) -> None:
    assert nonpunish.load_ruleset(_write_ruleset(tmp_path)).id == S45


def test_unknown_fact_in_a_condition(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    text = replaced(S45_TEXT, "fact: reasonable_person_would_do_act",
                    "fact: reasonable_person_would_do_it")
    line = line_of(text, "fact: reasonable_person_would_do_it")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "unknown_fact", f"s45.yaml:{line}",
                          None, capsys, tmp_path)


def test_unknown_fact_in_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = replaced(S45_TEXT, "reads: [compulsion_source, conduct]",
                    "reads: [compulsion_source,\n                      conduk]")
    line = line_of(text, "conduk]")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "unknown_fact", f"s45.yaml:{line}",
                          None, capsys, tmp_path)


def test_element_missing_its_citation(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    text = replaced(S45_TEXT, "- id: s45-1-d\n              citation: s.45(1)(d), (5)\n",
                    "- id: s45-1-d\n")
    line = line_of(text, "- id: s45-1-d")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "missing_citation",
                          f"s45.yaml:{line}", "versions[0].protection.any[0].all[3]",
                          capsys, tmp_path)


def test_element_missing_its_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = replaced(S45_TEXT, "              label: {en: Under 18, nl: Jonger dan 18}\n", "")
    line = line_of(text, "- id: s45-4-a")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "missing_label", f"s45.yaml:{line}",
                          None, capsys, tmp_path)


def test_overlapping_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = S45_TEXT.index("  - valid_from: 2015-07-31\n")
    end = S45_TEXT.index("\ncaveats:")
    version = S45_TEXT[start:end]
    later = replaced(version, "valid_from: 2015-07-31", "valid_from: 2020-01-01")
    text = S45_TEXT[:end] + "\n" + later + S45_TEXT[end:]
    line = line_of(text, "valid_from: 2020-01-01")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "overlapping_versions",
                          f"s45.yaml:{line}", None, capsys, tmp_path)


def test_versions_that_follow_each_other_are_fine(tmp_path: Path) -> None:
    start = S45_TEXT.index("  - valid_from: 2015-07-31\n")
    end = S45_TEXT.index("\ncaveats:")
    version = S45_TEXT[start:end]
    first = replaced(version, "valid_from: 2015-07-31\n",
                     "valid_from: 2015-07-31\n    valid_to: 2019-12-31\n")
    later = replaced(version, "valid_from: 2015-07-31", "valid_from: 2020-01-01")
    text = S45_TEXT[:start] + first + "\n" + later + S45_TEXT[end:]
    rs = nonpunish.load_ruleset(_write_ruleset(tmp_path, text))
    assert len(rs.compiled) == 2


def test_dangling_offence_in_an_exclusion_list(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    schedule = replaced(SCHEDULE_TEXT, "offence: common-law/piracy", "offence: common-law/pirates")
    line = line_of(schedule, "offence: common-law/pirates")
    _assert_ruleset_error(_write_ruleset(tmp_path, schedule=schedule), "dangling_offence",
                          f"schedule-4.yaml:{line}", None, capsys, tmp_path)


def test_dangling_offence_in_a_list_validated_alone(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    schedule = replaced(SCHEDULE_TEXT, "offence: common-law/piracy", "offence: common-law/pirates")
    line = line_of(schedule, "offence: common-law/pirates")
    path = tmp_path / "schedule-4.yaml"
    path.write_text(schedule, encoding="utf-8")
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert_one_line_error(code, out, err, "[dangling_offence]", f"schedule-4.yaml:{line}")


def test_a_ruleset_with_a_yaml_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = replaced(S45_TEXT, "provision: section 45", "provision: !!python/name:os.system ''")
    line = line_of(text, "!!python")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "yaml_tag", f"s45.yaml:{line}", None,
                          capsys, tmp_path, FileFormatError)


def test_a_ruleset_with_an_unknown_field(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    text = replaced(S45_TEXT, "status: in_force\n", "status: in_force\nin_force: yes\n")
    line = line_of(text, "in_force: yes")
    _assert_ruleset_error(_write_ruleset(tmp_path, text), "unknown_field", f"s45.yaml:{line}",
                          "in_force", capsys, tmp_path)


def test_an_empty_ruleset_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s45.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(FileFormatError) as info:
        nonpunish.load_ruleset(path)
    assert info.value.code == "empty_file"


def test_a_missing_ruleset_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(FileFormatError) as info:
        nonpunish.load_ruleset(path)
    assert info.value.code == "file_not_found"
    code = main(["evaluate", "--ruleset-file", str(path), str(_ok_case(tmp_path))])
    out, err = capsys.readouterr()
    assert_one_line_error(code, out, err, "[file_not_found]", "nope.yaml")
