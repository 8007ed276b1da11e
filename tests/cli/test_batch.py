"""``nonpunish batch``: a table of cases through ``evaluate_table``, from the command line.

The results go to stdout (or --output), the summary to stderr, so stdout stays a clean table.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sys
from pathlib import Path

import pytest

import nonpunish
from nonpunish._cli import main
from support import assert_one_line_error

pl = pytest.importorskip("polars")

ROOT = Path(__file__).parents[2]
S45 = "uk-ew/modern-slavery-act-2015/s45"
S45_FILE = ROOT / "rulesets" / "uk-ew" / "modern-slavery-act-2015" / "s45.yaml"
TABLE = ROOT / "examples" / "tables" / "intake.csv"
MAPPING = ROOT / "examples" / "tables" / "intake-mapping.yaml"
AS_OF = "2026-11-01"
BASE = (S45, str(TABLE), "--mapping", str(MAPPING), "--weights", "gewicht",
        "--as-of", AS_OF)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def expected(explain: bool = False, table: Path = TABLE) -> nonpunish.TableOutcome:
    return nonpunish.evaluate_table(table, S45, as_of=dt.date.fromisoformat(AS_OF),
                                    mapping=MAPPING, weights="gewicht", explain=explain)


def as_text(frame: pl.DataFrame) -> list[dict[str, str | None]]:
    """A frame as CSV would give it back: every cell as text, lists `;`-joined."""
    frame = frame.with_columns(pl.col(n).list.join(";") for n, t in frame.schema.items()
                               if isinstance(t, pl.List))
    return pl.read_csv(io.StringIO(frame.write_csv()), infer_schema=False).to_dicts()


def test_stdout_is_the_results_as_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "batch", *BASE)
    assert code == 0
    read = pl.read_csv(io.StringIO(out), infer_schema=False)
    assert read.height == 7
    assert read.columns == ["row", "case_id", "result", "legal_effect", "limb", "weight"]
    assert read.to_dicts() == as_text(expected().results)


def test_the_summary_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "batch", *BASE)
    assert code == 0
    assert err == f"{expected().summary()}\n"
    assert err.startswith("7 rows: 7 evaluated, 0 rejected\n")
    assert "rows:" not in out


def test_options_may_come_before_the_positionals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "batch", "--as-of", AS_OF, "--mapping", str(MAPPING), S45,
                       "--weights", "gewicht", str(TABLE))
    assert code == 0
    assert pl.read_csv(io.StringIO(out)).height == 7


def test_ruleset_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "batch", "--ruleset-file", str(S45_FILE), *BASE[1:])
    assert code == 0
    assert pl.read_csv(io.StringIO(out), infer_schema=False).to_dicts() == as_text(
        expected().results)


def test_reference_engine_gives_the_same_results(capsys: pytest.CaptureFixture[str]) -> None:
    _, vectorised, _ = run(capsys, "batch", *BASE)
    code, reference, _ = run(capsys, "batch", *BASE, "--engine", "reference")
    assert code == 0
    assert reference == vectorised


def test_explain_writes_list_columns_as_joined_text(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "batch", *BASE, "--explain")
    assert code == 0
    read = pl.read_csv(io.StringIO(out), infer_schema=False)
    assert {"deciding_elements", "open_questions"} <= set(read.columns)
    assert read.to_dicts() == as_text(expected(explain=True).results)
    undetermined = read.filter(pl.col("result") == "undetermined")
    assert undetermined.height == 3
    assert any(";" in q for q in undetermined.get_column("open_questions"))
    assert "[" not in out


def test_json_lines_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "batch", *BASE, "--explain", "--format", "json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 7
    assert isinstance(rows[1]["open_questions"], list)
    want = expected(explain=True).results.with_columns(pl.col(pl.Enum).cast(pl.String))
    assert rows == want.to_dicts()


@pytest.mark.parametrize("name", ["results.csv", "results.parquet", "results.jsonl",
                                  "results.json"])
def test_output_file_by_extension(name: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    code, out, err = run(capsys, "batch", *BASE, "--explain", "--output", str(path))
    assert code == 0
    assert out == ""
    assert err.startswith("7 rows: 7 evaluated")
    want = expected(explain=True).results
    if name.endswith(".csv"):
        assert pl.read_csv(path, infer_schema=False).to_dicts() == as_text(want)
    elif name.endswith(".parquet"):
        got = pl.read_parquet(path)
        assert got.cast({c: pl.String for c, t in got.schema.items()
                         if t in (pl.Enum, pl.Categorical)}).to_dicts() == want.with_columns(
            pl.col(pl.Enum).cast(pl.String)).to_dicts()
    else:
        got = pl.read_ndjson(path)
        assert got.height == 7
        assert got.to_dicts() == want.with_columns(pl.col(pl.Enum).cast(pl.String)).to_dicts()


def test_format_overrides_the_extension(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "results.out"
    code, _, _ = run(capsys, "batch", *BASE, "--output", str(path), "--format", "parquet")
    assert code == 0
    assert pl.read_parquet(path).height == 7


def test_rejects_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",teelt,", ",no-such-code,")  # the second data row
    table = tmp_path / "intake.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(capsys, "batch", S45, str(table), *BASE[2:], "--rejects",
                         str(rejects))
    assert code == 0
    assert pl.read_csv(io.StringIO(out)).height == 6
    got = pl.read_csv(rejects, infer_schema=False)
    assert got.columns == ["row", "case_id", "column", "code", "reason"]
    assert got.height == 1
    assert got.row(0, named=True)["row"] == "2"
    assert got.row(0, named=True)["column"] == "delict"
    assert got.to_dicts() == as_text(expected(table=table).rejects)
    assert "no-such-code" not in got.row(0, named=True)["reason"]
    assert err.startswith("7 rows: 6 evaluated, 1 rejected\n")


def test_rejects_without_a_bad_row_is_an_empty_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rejects = tmp_path / "rejects.parquet"
    code, _, _ = run(capsys, "batch", *BASE, "--rejects", str(rejects))
    assert code == 0
    assert pl.read_parquet(rejects).height == 0


# --- mistakes: one line, exit 2 ----------------------------------------------------------------

def test_no_such_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "batch", S45, str(tmp_path / "missing.csv")),
                          "file_not_found")


def test_unreadable_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    assert_one_line_error(*run(capsys, "batch", S45, str(bad)), "file_unreadable")


def test_table_of_unknown_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "table.xlsx"
    bad.write_bytes(b"x")
    assert_one_line_error(*run(capsys, "batch", S45, str(bad)), ".csv, .parquet or .jsonl")


def test_unmapped_column_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    # Without --weights, the weights column is a column nobody accounted for.
    assert_one_line_error(*run(capsys, "batch", S45, str(TABLE), "--mapping", str(MAPPING),
                               "--as-of", AS_OF), "gewicht", "unknown_field")


@pytest.mark.parametrize(("args", "fragment"), [
    ((), "give RULESET and TABLE"),
    ((S45,), "give RULESET and TABLE"),
    ((S45, str(TABLE), "extra"), "unrecognized arguments: extra"),
    (("--ruleset-file", str(S45_FILE)), "give TABLE"),
    (("--ruleset-file", str(S45_FILE), S45, str(TABLE)), "give only TABLE"),
    ((S45, str(TABLE), "--format", "parquet"), "--format parquet needs --output"),
    ((S45, str(TABLE), "--output", "results.txt"), "give --format"),
    ((S45, str(TABLE), "--format", "xlsx"), "invalid choice"),
    ((S45, str(TABLE), "--engine", "durable"), "invalid choice"),
    ((S45, str(TABLE), "--as-of", "1 Nov 2026"), "not a date"),
])
def test_usage_mistakes(args: tuple[str, ...], fragment: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "batch", *args), fragment)


def test_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-dir" / "results.csv"
    assert_one_line_error(*run(capsys, "batch", *BASE, "--output", str(target)),
                          "output_unwritable")


def test_missing_polars_is_the_missing_dependency_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    assert_one_line_error(*run(capsys, "batch", *BASE), "nonpunish[model]",
                          "missing_dependency")


def test_the_table_is_not_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "intake.csv"
    shutil.copy(TABLE, table)
    before = table.read_bytes()
    assert run(capsys, "batch", S45, str(table), *BASE[2:])[0] == 0
    assert table.read_bytes() == before
