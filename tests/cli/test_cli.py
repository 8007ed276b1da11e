"""The ``nonpunish`` command, run in-process through ``main`` (and once as a real process).

Only the result goes to stdout; a mistake is one line on stderr and exit status 2.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nonpunish
from nonpunish import _cli
from nonpunish._cli import main
from nonpunish._ruleset import RulesetFile
from support import assert_one_line_error

ROOT = Path(__file__).parents[2]
S45 = "uk-ew/modern-slavery-act-2015/s45"
S45_DIR = ROOT / "rulesets" / "uk-ew" / "modern-slavery-act-2015"
EXAMPLE = ROOT / "examples" / "child-cannabis-farm.yaml"
AS_OF = "2026-11-01"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err




def ok(code: int, out: str, err: str) -> str:
    assert (code, err) == (0, ""), err
    assert out.endswith("\n")
    return out


# --- version and help ------------------------------------------------------------------------

def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "--version"))
    assert out == f"nonpunish {nonpunish.__version__}\n"


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("list", "show", "evaluate", "batch", "validate", "schema"):
        assert command in out


def test_evaluate_help_shows_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", "--help")
    assert code == 0
    assert "--ruleset-file" in out
    assert "RULESET CASE" in out


# --- list ------------------------------------------------------------------------------------

def test_list_text(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "list"))
    header, *rows = out.splitlines()
    assert header.split()[:2] == ["ID", "JURISDICTION"]
    (row,) = [r for r in rows if r.startswith(S45 + " ")]
    for value in ("uk-ew", "defence", "not_guilty", "in_force", "2015-07-31",
                  "Defence for slavery or trafficking victims who commit an offence"):
        assert value in row
    assert len(rows) == len(nonpunish.list_rulesets(include_not_encoded=True))


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(ok(*run(capsys, "list", "--format", "json")))
    (s45,) = [r for r in data if r["id"] == S45]
    assert s45 == {
        "id": S45, "jurisdiction": "uk-ew", "kind": "defence", "legal_effect": "not_guilty",
        "status": "in_force", "in_force_from": "2015-07-31", "encoded": True,
        "variant_of": None,
        "title": "Defence for slavery or trafficking victims who commit an offence",
    }


# --- show ------------------------------------------------------------------------------------

def test_show_text_en(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "show", S45))
    assert out.startswith("= Defence for slavery or trafficking victims who commit an offence")
    for text in (
        "Jurisdiction: England and Wales (uk-ew)",
        "Instrument: Modern Slavery Act 2015 (c. 30), section 45",
        "https://www.legislation.gov.uk/ukpga/2015/30/section/45",
        "Kind: defence", "Legal effect: not guilty", "Status: in force",
        "In force from: 2015-07-31",
        "R v MK; R v Gega [2018] EWCA Crim 667",  # burden citation
        "Relevant date: the date of the act",
        "Before commencement: Section 45 does not apply to acts done before 31 July 2015",
        "Version from 2015-07-31, no end date",
        # the condition tree: citation, label, id, the fact read, the statutory words
        "- s.45(4) Child limb (under 18) (limb: child) [s45-4]: all of:",
        "s.45(4)(c), (5) A reasonable person would do the act [s45-4-c]: "
        "fact `reasonable_person_would_do_act`",
        "age at the act under 18",
        "“the person is under the age of 18 when the person does the act which constitutes "
        "the offence”",
        # the exclusion list, with conditions, dates and ancillary paragraphs
        "Exclusion list (s.45(7))",
        "closed list: an offence not on it is not excluded",
        "- para 4: Murder (common law)",
        "para 14: Burglary (Theft Act 1968, section 9); only if "
        "`burglary_with_intent_to_cause_gbh_or_damage`",
        "; from 2019-04-12",
        "para 37(2) (aiding, abetting, counselling or procuring)",
        # caveats
        "[unverified] Schedule 4 is encoded as it stood when checked",
    ):
        assert text in out, text
    rs = nonpunish.load_ruleset(S45)
    assert rs.content_hash in out
    # Definitions are shown where they are used, in the tree.
    assert out.count("[victim-status]") == 3


def test_show_text_nl(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "show", S45, "--lang", "nl"))
    assert out.startswith("= Verweer voor slachtoffers van slavernij of mensenhandel")
    for text in ("Rechtsgebied: Engeland en Wales (uk-ew)", "Soort: verweer",
                 "Rechtsgevolg: niet schuldig", "Status: van kracht",
                 "Toets voor kinderen (onder 18) (toets: kind) [s45-4]: alle:",
                 "Uitsluitingslijst (s.45(7))", "par. 4: Murder (common law)",
                 "[niet geverifieerd] Schedule 4 is vastgelegd"):
        assert text in out, text
    # The statutory words stay in the law's own language.
    assert "“the person is under the age of 18" in out


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_show_markdown(capsys: pytest.CaptureFixture[str], lang: str) -> None:
    out = ok(*run(capsys, "show", S45, "--format", "markdown", "--lang", lang))
    lines = out.splitlines()
    assert lines[0].startswith("# ")
    assert "## " + ("Versions" if lang == "en" else "Versies") in lines
    assert f"- **{'Jurisdiction' if lang == 'en' else 'Rechtsgebied'}:** " in out
    assert "`s45-4-c`" in out
    assert "`reasonable_person_would_do_act`" in out
    assert "#### " + ("Exclusion list" if lang == "en" else "Uitsluitingslijst") in out


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(ok(*run(capsys, "show", S45, "--format", "json")))
    rs = nonpunish.load_ruleset(S45)
    assert data["content_hash"] == rs.content_hash
    assert data["schema"] == "nonpunish-ruleset/1"
    assert data["id"] == S45
    lists = data.pop("exclusion_lists")
    assert lists["schedule-4"]["provision"] == "Schedule 4"
    data.pop("content_hash")
    # The rest is the ruleset itself, and reads back as one.
    assert RulesetFile.model_validate(data) == rs.spec


def test_show_a_ruleset_file(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "show", str(S45_DIR / "s45.yaml")))
    assert "[s45-4-c]" in out


# --- evaluate --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_evaluate_every_format_and_language(capsys: pytest.CaptureFixture[str], fmt: str,
                                            lang: str) -> None:
    out = ok(*run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", AS_OF,
                  "--format", fmt, "--lang", lang))
    if fmt == "json":
        data = json.loads(out)
        assert data["counts"][0]["result"] == "protected"
        assert data["counts"][0]["limb"] == "child"
        assert data["provenance"]["as_of"] == AS_OF
        return
    word = {"en": "PROTECTED", "nl": "BESCHERMD"}[lang]
    count = {"en": "Count 1", "nl": "Tenlastelegging 1"}[lang]
    head = {"text": "==", "markdown": "##"}[fmt]
    assert f"{head} {count}: Production of a controlled drug" in out
    assert word in out
    assert ("NOT " + word) not in out and ("NIET " + word) not in out
    expected = nonpunish.render(
        nonpunish.evaluate(EXAMPLE, S45, as_of=dt.date.fromisoformat(AS_OF)), fmt, lang)  # type: ignore[arg-type]
    assert out == expected


def test_evaluate_defaults_to_english_text(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", AS_OF))
    assert "Result: PROTECTED" in out


def test_evaluate_options_between_the_positionals(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "evaluate", S45, "--as-of", AS_OF, "--format", "json", str(EXAMPLE)))
    assert json.loads(out)["counts"][0]["result"] == "protected"


def test_evaluate_as_of_decides(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", "2016-01-01")
    assert_one_line_error(code, out, err, "act_in_future", "child-cannabis-farm.yaml:")


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_evaluate_yaml_from_stdin(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, EXAMPLE.read_bytes())
    out = ok(*run(capsys, "evaluate", S45, "-", "--as-of", AS_OF, "--format", "json"))
    assert json.loads(out)["counts"][0]["result"] == "protected"


def test_evaluate_json_from_stdin(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    case = nonpunish.read_case(EXAMPLE, as_of=dt.date.fromisoformat(AS_OF))
    _stdin(monkeypatch, case.model_dump_json(exclude_none=True).encode())
    out = ok(*run(capsys, "evaluate", S45, "-", "--as-of", AS_OF, "--lang", "nl"))
    assert "Uitkomst: BESCHERMD" in out


def test_evaluate_stdin_without_a_byte_buffer(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(EXAMPLE.read_text(encoding="utf-8")))
    out = ok(*run(capsys, "evaluate", S45, "-", "--as-of", AS_OF))
    assert "Result: PROTECTED" in out


def test_evaluate_bad_stdin_names_stdin(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b'{"counts": [}')
    code, out, err = run(capsys, "evaluate", S45, "-", "--as-of", AS_OF)
    assert_one_line_error(code, out, err, "<stdin>:1", "json_syntax")


def test_evaluate_non_utf8_stdin(capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"case_id: caf\xe9\n")
    code, out, err = run(capsys, "evaluate", S45, "-", "--as-of", AS_OF)
    assert_one_line_error(code, out, err, "<stdin>:1", "file_encoding")


def _copy_s45(tmp_path: Path) -> Path:
    # s45.yaml names its exclusion list `schedule-4`, read from beside it.
    shutil.copy(S45_DIR / "s45.yaml", tmp_path / "s45.yaml")
    shutil.copy(S45_DIR / "schedule-4.yaml", tmp_path / "schedule-4.yaml")
    return tmp_path / "s45.yaml"


def test_evaluate_with_a_ruleset_file(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    path = _copy_s45(tmp_path)
    out = ok(*run(capsys, "evaluate", "--ruleset-file", str(path), str(EXAMPLE),
                  "--as-of", AS_OF, "--format", "json"))
    data = json.loads(out)
    assert data["counts"][0]["result"] == "protected"
    # The same text gives the same content hash as the shipped ruleset.
    assert data["provenance"]["ruleset_content_hash"] == nonpunish.load_ruleset(S45).content_hash


def test_evaluate_with_a_ruleset_file_missing_its_list(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    shutil.copy(S45_DIR / "s45.yaml", tmp_path / "s45.yaml")
    code, out, err = run(capsys, "evaluate", "--ruleset-file", str(tmp_path / "s45.yaml"),
                         str(EXAMPLE), "--as-of", AS_OF)
    assert_one_line_error(code, out, err, "unknown_list", "s45.yaml:")


@pytest.mark.parametrize("args", [
    ["evaluate", str(EXAMPLE)],                                   # no ruleset
    ["evaluate"],                                                 # nothing
    ["evaluate", "--ruleset-file", "x.yaml"],                     # no case
    ["evaluate", S45, str(EXAMPLE), "--ruleset-file", "x.yaml"],  # both rulesets
    ["evaluate", S45, str(EXAMPLE), "extra"],
    ["evaluate", S45, str(EXAMPLE), "--format", "pdf"],
    ["evaluate", S45, str(EXAMPLE), "--lang", "de"],
    ["evaluate", S45, str(EXAMPLE), "--as-of", "2026-13-01"],
    ["evaluate", S45, str(EXAMPLE), "--engine", "nope"],
    ["evaluate", S45, str(EXAMPLE), "--nope"],
    ["frobnicate"],
    [],
])
def test_usage_mistakes_are_one_line(capsys: pytest.CaptureFixture[str],
                                     args: list[str]) -> None:
    assert_one_line_error(*run(capsys, *args))


def test_engines(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", AS_OF, "--format", "json",
                  "--engine", "reference"))
    assert json.loads(out)["provenance"]["engine"] == "reference"
    try:
        nonpunish._api._engine("durable")
    except nonpunish.EngineUnavailableError:
        code, out, err = run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", AS_OF,
                             "--engine", "durable")
        assert_one_line_error(code, out, err)
        return
    out = ok(*run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", AS_OF, "--format", "json",
                  "--engine", "durable"))
    data = json.loads(out)
    assert data["provenance"]["engine"] == "durable"
    assert data["counts"][0]["result"] == "protected"


def test_evaluate_logs_nothing(capsys: pytest.CaptureFixture[str],
                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        ok(*run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", AS_OF))
        run(capsys, "evaluate", S45, str(EXAMPLE), "--as-of", "2016-01-01")
    assert caplog.records == []


def test_evaluate_as_a_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nonpunish", "evaluate", S45,
         "examples/child-cannabis-farm.yaml", "--as-of", AS_OF],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Result: PROTECTED" in proc.stdout


def test_error_as_a_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("counts: [\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "nonpunish", "evaluate", S45, str(bad)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("nonpunish: error: ")
    assert "yaml_syntax" in proc.stderr


# --- validate --------------------------------------------------------------------------------

def test_validate_a_case(capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(*run(capsys, "validate", str(EXAMPLE)))
    assert out == f"{EXAMPLE}: valid case (1 count)\n"


def test_validate_a_case_with_two_counts(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    count = text[text.index("  - id: \"1\""):]
    path = tmp_path / "two.yaml"
    path.write_text(text + count.replace('id: "1"', 'id: "2"'), encoding="utf-8")
    out = ok(*run(capsys, "validate", str(path), "--as-of", AS_OF))
    assert out == f"{path}: valid case (2 counts)\n"


def test_validate_a_case_from_stdin(capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, EXAMPLE.read_bytes())
    assert ok(*run(capsys, "validate", "-")) == "<stdin>: valid case (1 count)\n"


def test_validate_a_ruleset(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _copy_s45(tmp_path)
    assert ok(*run(capsys, "validate", str(path))) == f"{path}: valid ruleset {S45}\n"


def test_validate_an_exclusion_list(capsys: pytest.CaptureFixture[str]) -> None:
    path = S45_DIR / "schedule-4.yaml"
    out = ok(*run(capsys, "validate", str(path)))
    assert out.startswith(f"{path}: valid exclusion list uk-ew/modern-slavery-act-2015/"
                          "schedule-4 (")


def test_validate_refuses_other_nonpunish_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(ROOT / "rulesets" / "facts.yaml"))
    assert_one_line_error(code, out, err, "unknown_schema", "facts.yaml:")


def test_validate_a_bad_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "participation: principal", "participation: ringleader"), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(path))
    assert_one_line_error(code, out, err, "case.yaml:11 (counts[0].participation)",
                       "[invalid_value]")


# --- schema ----------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["case", "outcome", "ruleset"])
def test_schema_prints_one(capsys: pytest.CaptureFixture[str], which: str) -> None:
    data = json.loads(ok(*run(capsys, "schema", which)))
    assert data == nonpunish.json_schemas()[which]


def test_schema_output_writes_all_three(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    out_dir = tmp_path / "new" / "schemas"
    out = ok(*run(capsys, "schema", "--output", str(out_dir)))
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["case.schema.json", "outcome.schema.json", "ruleset.schema.json"]
    assert out.splitlines() == [str(out_dir / f"{n}.schema.json")
                                for n in ("case", "outcome", "ruleset")]
    schemas = nonpunish.json_schemas()
    for name in ("case", "outcome", "ruleset"):
        data = json.loads((out_dir / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert data == schemas[name]
        assert data["type"] == "object"


def test_schema_output_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ok(*run(capsys, "schema", "case", "--output", str(tmp_path)))
    assert [p.name for p in tmp_path.iterdir()] == ["case.schema.json"]


def test_schema_needs_a_name_or_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "schema"))
    assert_one_line_error(*run(capsys, "schema", "verdict"))


def test_schema_output_not_writable(capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    code, out, err = run(capsys, "schema", "--output", str(blocker / "schemas"))
    assert_one_line_error(code, out, err, "output_unwritable")


# --- interruptions and bugs ------------------------------------------------------------------

def test_keyboard_interrupt(capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(**_: object) -> list[nonpunish.RulesetInfo]:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli._api, "list_rulesets", interrupted)
    code, out, err = run(capsys, "list")
    assert code == 130
    assert out == ""
    assert "Traceback" not in err


def test_broken_pipe(capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    def closed(text: str) -> None:
        raise BrokenPipeError

    monkeypatch.setattr(_cli, "_out", closed)
    code, _, err = run(capsys, "list")
    assert code == 1
    assert err == ""


def test_bugs_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> list[nonpunish.RulesetInfo]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_cli._api, "list_rulesets", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["list"])
