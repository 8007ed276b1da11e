"""``nonpunish model``: a table of cases, or a synthetic population, under several rulesets:
the coverage table (``nonpunish.coverage``) as text, CSV or JSON, the changed rows, charts, and
a progress bar only on a terminal."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest

import nonpunish
from nonpunish import _cli
from nonpunish._cli import main
from support import assert_one_line_error

pl = pytest.importorskip("polars")
pytest.importorskip("numpy")

ROOT = Path(__file__).parents[2]
TABLE = ROOT / "examples" / "tables" / "intake.csv"
MAPPING = ROOT / "examples" / "tables" / "intake-mapping.yaml"
SPEC = ROOT / "examples" / "tables" / "synthetic-population.yaml"
S45 = "uk-ew/modern-slavery-act-2015/s45"
BE = "be/code-penal-2024/art-264"
AS_OF = "2026-11-01"
TABLE_ARGS = (str(TABLE), "--mapping", str(MAPPING), "--weights", "gewicht", "--as-of", AS_OF)
TWO = ("--ruleset", S45, "--ruleset", BE)
SYNTHETIC = (f"synthetic:{SPEC}", "--rows", "2000", "--seed", "7", "--as-of", AS_OF)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def outcome(ruleset: str) -> nonpunish.TableOutcome:
    return nonpunish.evaluate_table(TABLE, ruleset, as_of=dt.date.fromisoformat(AS_OF),
                                    mapping=MAPPING, weights="gewicht")


def expected_coverage() -> pl.DataFrame:
    return nonpunish.coverage(outcome(S45), outcome(BE), labels=[S45, BE])


# --- text ---------------------------------------------------------------------------------------

def test_text_is_the_coverage_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "model", *TABLE_ARGS, *TWO)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["RULESET", "RESULT", "EFFECT", "CASES", "SHARE", "WEIGHTED",
                                "WEIGHTED", "SHARE"]
    cov = expected_coverage()
    body = lines[1:1 + cov.height]
    for line, row in zip(body, cov.iter_rows(named=True), strict=True):
        assert line.startswith(row["label"])
        assert row["result"].replace("_", " ") in line
        assert (row["legal_effect"] or "-").replace("_", " ") in line
        assert f" {row['cases']} " in line
        assert line.rstrip().endswith(f"{row['weighted_share']:.1%}")
    assert f"{S45}: 7 rows, 7 evaluated, 0 rejected" in lines
    assert f"{BE}: 7 rows, 7 evaluated, 0 rejected" in lines
    # Legal effects are never merged: each run's protected band names its own effect.
    assert any(line.startswith(S45) and "not guilty" in line for line in body)
    assert any(line.startswith(BE) and "no penalty" in line for line in body)


def test_without_weights_there_are_no_weighted_columns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "intake.csv"
    pl.read_csv(TABLE, infer_schema=False).drop("gewicht").write_csv(table)
    code, out, _ = run(capsys, "model", str(table), "--mapping", str(MAPPING), "--ruleset",
                       S45, "--as-of", AS_OF)
    assert code == 0
    assert out.splitlines()[0].split() == ["RULESET", "RESULT", "EFFECT", "CASES", "SHARE"]
    assert "undetermined      -               3  42.9%" in out


def test_options_may_come_before_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "model", *TWO, "--as-of", AS_OF, "--mapping", str(MAPPING),
                       "--weights", "gewicht", str(TABLE))
    assert code == 0
    assert out == run(capsys, "model", *TABLE_ARGS, *TWO)[1]


def test_changes_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--changes")
    assert code == 0
    changed = nonpunish.changes(outcome(S45), outcome(BE))
    assert changed.height > 0
    section = out.split(f"Changed from {S45} to {BE}: ")[1]
    assert section.startswith(f"{changed.height} of 7 evaluated rows")
    head = next(line for line in section.splitlines() if line.startswith("ROW"))
    assert head.split()[:3] == ["ROW", "CASE", "ID"]
    rows = section.split(head)[1].strip().splitlines()
    assert [r.split()[1] for r in rows] == changed.get_column("case_id").to_list()


# --- csv and json -------------------------------------------------------------------------------

def _as_text(frame: pl.DataFrame) -> list[dict[str, str | None]]:
    return pl.read_csv(io.StringIO(frame.write_csv()), infer_schema=False).to_dicts()


def test_csv_is_the_coverage_frame(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--format", "csv")
    assert code == 0
    got = pl.read_csv(io.StringIO(out), infer_schema=False)
    assert got.columns == ["label", "result", "legal_effect", "cases", "weighted", "share",
                           "weighted_share", "rejected"]
    assert got.to_dicts() == _as_text(expected_coverage())


def test_json_has_the_runs_coverage_and_changes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--format", "json", "--changes")
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == AS_OF
    assert data["library_version"] == nonpunish.__version__
    assert data["table"] == {"path": str(TABLE)}
    assert [r["label"] for r in data["runs"]] == [S45, BE]
    assert data["runs"][0]["ruleset_id"] == S45
    assert data["runs"][0]["ruleset_content_hash"] == outcome(S45).ruleset_content_hash
    assert data["runs"][0]["rows"] == 7
    want = expected_coverage().with_columns(pl.col(pl.Enum).cast(pl.String)).to_dicts()
    assert data["coverage"] == want
    changed = nonpunish.changes(outcome(S45), outcome(BE))
    assert data["changes"] == changed.with_columns(
        pl.col(pl.Enum).cast(pl.String)).to_dicts()


@pytest.mark.parametrize(("name", "fmt"), [("coverage.csv", "csv"), ("coverage.json", "json"),
                                           ("coverage.txt", "text"), ("coverage", "text")])
def test_output_file_format_from_its_extension(name: str, fmt: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    code, out, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--output", str(path))
    assert code == 0
    assert out == ""
    text = path.read_text(encoding="utf-8")
    if fmt == "csv":
        assert text.startswith("label,result,legal_effect")
    elif fmt == "json":
        assert json.loads(text)["runs"][1]["label"] == BE
    else:
        assert text.startswith("RULESET")


def test_csv_changes_go_beside_the_output(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "coverage.csv"
    code, _, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--changes", "--output", str(path))
    assert code == 0
    got = pl.read_csv(tmp_path / "coverage-changes.csv", infer_schema=False)
    assert got.to_dicts() == _as_text(nonpunish.changes(outcome(S45), outcome(BE)))


# --- charts -------------------------------------------------------------------------------------

def test_plot_writes_the_coverage_chart(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    chart = tmp_path / "coverage.png"
    code, out, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--plot", str(chart))
    assert code == 0
    assert out.startswith("RULESET")
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not (tmp_path / "coverage-changes.png").exists()


def test_plot_with_changes_writes_both_charts(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    chart = tmp_path / "coverage.svg"
    code, _, _ = run(capsys, "model", *TABLE_ARGS, *TWO, "--plot", str(chart), "--changes")
    assert code == 0
    assert "<svg" in chart.read_text(encoding="utf-8")
    moves = (tmp_path / "coverage-changes.svg").read_text(encoding="utf-8")
    assert "<svg" in moves
    assert f"result under {BE}" in moves


# --- a synthetic population ---------------------------------------------------------------------

def test_a_synthetic_population(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "model", *SYNTHETIC, *TWO, "--format", "csv")
    assert code == 0
    assert err == ""
    table = nonpunish.synthesise(SPEC, 2000, seed=7)
    as_of = dt.date.fromisoformat(AS_OF)
    want = nonpunish.coverage(*(nonpunish.evaluate_table(table, r, as_of=as_of)
                                for r in (S45, BE)), labels=[S45, BE])
    got = pl.read_csv(io.StringIO(out), infer_schema=False)
    assert got.to_dicts() == _as_text(want)
    assert set(got.get_column("rejected").to_list()) == {"0"}


def test_a_synthetic_population_is_said_to_be_synthetic(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "model", *SYNTHETIC, "--ruleset", S45)
    assert code == 0
    assert out.splitlines()[0] == (
        f"Synthetic population: 2000 rows drawn from {SPEC} with seed 7 (random draws, not "
        "data about real people)")
    code, out, _ = run(capsys, "model", *SYNTHETIC, "--ruleset", S45, "--format", "json")
    assert json.loads(out)["table"] == {"synthetic": str(SPEC), "rows": 2000, "seed": 7}


def test_the_same_seed_gives_the_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "model", *SYNTHETIC, *TWO, "--changes")[1]
    assert run(capsys, "model", *SYNTHETIC, *TWO, "--changes")[1] == first
    other = [*SYNTHETIC]
    other[other.index("--seed") + 1] = "8"
    assert run(capsys, "model", *other, *TWO, "--changes")[1] != first


def test_a_bad_spec_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("offence_category:\n  theft: 1\nfacts:\n  compeled: {true: 1}\n",
                    encoding="utf-8")
    assert_one_line_error(*run(capsys, "model", f"synthetic:{spec}", "--rows", "10",
                               "--seed", "1", "--ruleset", S45),
                          f"{spec}:4 (facts.compeled)", "unknown_fact", "'compelled'")


# --- progress -----------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run_on_terminal(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), _Terminal()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_a_progress_bar_on_a_terminal() -> None:
    code, out, err = _run_on_terminal("model", *TABLE_ARGS, *TWO)
    assert code == 0
    assert "evaluating" in err
    assert "2/2" in err
    assert BE in err  # the ruleset being evaluated
    assert err.endswith("\r")  # the bar is cleared when the run ends
    assert "evaluating" not in out


def test_no_progress_turns_it_off() -> None:
    code, _, err = _run_on_terminal("model", *TABLE_ARGS, *TWO, "--no-progress")
    assert code == 0
    assert err == ""


def test_no_progress_bar_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "model", *TABLE_ARGS, *TWO)[2] == ""


def test_batch_shows_progress_on_a_terminal_too() -> None:
    code, _, err = _run_on_terminal("batch", S45, *TABLE_ARGS)
    assert code == 0
    assert "evaluating" in err
    assert err.splitlines()[-6].endswith("7 rows: 7 evaluated, 0 rejected")
    code, _, err = _run_on_terminal("batch", S45, *TABLE_ARGS, "--no-progress")
    assert err.startswith("7 rows: 7 evaluated, 0 rejected\n")


# --- mistakes: one line, exit 2 -------------------------------------------------------------------

@pytest.mark.parametrize(("args", "fragment"), [
    ((str(TABLE),), "give at least one --ruleset"),
    ((*TABLE_ARGS, "--ruleset", S45, "--ruleset", S45), "given twice"),
    ((*TABLE_ARGS, "--ruleset", S45, "--changes"), "give exactly two --ruleset"),
    ((*TABLE_ARGS, *TWO, "--ruleset", "nl/proposal/273f-non-punishment@ckm-fier", "--changes"),
     "give exactly two --ruleset"),
    ((*TABLE_ARGS, "--ruleset", S45, "--rows", "10"), "--rows and --seed are for a synthetic"),
    ((f"synthetic:{SPEC}", "--ruleset", S45), "needs --rows N and --seed S"),
    ((f"synthetic:{SPEC}", "--rows", "10", "--ruleset", S45), "needs --rows N and --seed S"),
    (("synthetic:", "--rows", "10", "--seed", "1", "--ruleset", S45), "synthetic:SPEC.yaml"),
    ((*SYNTHETIC, "--ruleset", S45, "--mapping", str(MAPPING)), "not a synthetic population"),
    ((*SYNTHETIC, "--ruleset", S45, "--weights", "gewicht"), "not a synthetic population"),
    ((f"synthetic:{SPEC}", "--rows", "0", "--seed", "1", "--ruleset", S45),
     "not a whole number, 1 or more"),
    ((f"synthetic:{SPEC}", "--rows", "10", "--seed", "-1", "--ruleset", S45),
     "not a whole number, 0 or more"),
    ((*TABLE_ARGS, *TWO, "--changes", "--format", "csv"), "needs --output FILE"),
    ((*TABLE_ARGS, "--ruleset", S45, "--format", "xml"), "invalid choice"),
    ((*TABLE_ARGS, "--ruleset", S45, "--as-of", "1 Nov 2026"), "not a date"),
    ((*TABLE_ARGS, "--ruleset", "uk-ew/no-such-act/s1"), "unknown_ruleset"),
    ((*TABLE_ARGS, "--ruleset", S45, "--plot", "chart.pdf"), "plot_format"),
    ((str(ROOT / "no-such-table.csv"), "--ruleset", S45), "file_not_found"),
    ((f"synthetic:{ROOT / 'no-such-spec.yaml'}", "--rows", "1", "--seed", "1",
      "--ruleset", S45), "file_not_found"),
])
def test_usage_mistakes(args: tuple[str, ...], fragment: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "model", *args), fragment)


def test_a_bad_plot_extension_is_refused_before_any_evaluation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object, **__: object) -> None:
        raise AssertionError("evaluated before the plot file was checked")

    monkeypatch.setattr(_cli, "evaluate_table", fail)
    assert_one_line_error(*run(capsys, "model", *TABLE_ARGS, *TWO, "--plot",
                               str(tmp_path / "chart.jpg")), "plot_format", ".png or .svg")


def test_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-dir" / "coverage.txt"
    assert_one_line_error(*run(capsys, "model", *TABLE_ARGS, *TWO, "--output", str(target)),
                          "output_unwritable")


def test_missing_matplotlib_is_refused_before_any_evaluation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    assert_one_line_error(*run(capsys, "model", *TABLE_ARGS, *TWO, "--plot",
                               str(tmp_path / "chart.png")),
                          "nonpunish[plot]", "missing_dependency")


def test_missing_polars_is_the_missing_dependency_error(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    assert_one_line_error(*run(capsys, "model", *TABLE_ARGS, "--ruleset", S45),
                          "nonpunish[model]", "missing_dependency")


# --- validate: a spec on its own -----------------------------------------------------------------

def test_validate_a_synthetic_spec(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(SPEC))
    assert code == 0
    assert out == f"{SPEC}: valid synthetic population spec\n"


def test_validate_a_bad_synthetic_spec(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("schema: nonpunish-synthetic/1\noffence_category: {theft: -1}\n",
                    encoding="utf-8")
    assert_one_line_error(*run(capsys, "validate", str(spec)),
                          f"{spec}:2 (offence_category.theft)", "invalid_value")
