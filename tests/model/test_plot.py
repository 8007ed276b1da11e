"""Charts of coverage and changes: PNG and SVG files, chosen by extension, that are what they
say; legal effects and the undetermined band kept apart; clear coded errors."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nonpunish
from nonpunish import InputError, NonpunishError
from strategies import AS_OF

pl = pytest.importorskip("polars")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tables"
INTAKE = EXAMPLES / "intake.csv"
MAPPING = EXAMPLES / "intake-mapping.yaml"
S45 = "uk-ew/modern-slavery-act-2015/s45"
BE = "be/code-penal-2024/art-264"  # protects with no penalty, not a not-guilty verdict
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(ruleset: str) -> nonpunish.TableOutcome:
    return nonpunish.evaluate_table(INTAKE, ruleset, mapping=MAPPING, weights="gewicht",
                                    as_of=AS_OF)


@pytest.fixture(scope="module")
def runs() -> tuple[nonpunish.TableOutcome, nonpunish.TableOutcome]:
    return _run(S45), _run(BE)


@pytest.fixture(scope="module")
def cov(runs: tuple[nonpunish.TableOutcome, nonpunish.TableOutcome]) -> pl.DataFrame:
    return nonpunish.coverage(*runs)


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()  # noqa: S314 - a file this test wrote
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert data[12:16] == b"IHDR"
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")


def assert_svg(path: Path) -> None:
    root = ET.parse(path).getroot()  # noqa: S314 - a file this test wrote
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


# --- coverage ---------------------------------------------------------------------------------

def test_coverage_as_png(cov: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "coverage.png"
    assert nonpunish.plot_coverage(cov, path) == path
    assert_png(path)


def test_coverage_as_svg(cov: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "coverage.svg"
    nonpunish.plot_coverage(cov, str(path))
    assert_svg(path)


def test_the_extension_may_be_in_capitals(cov: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "coverage.PNG"
    nonpunish.plot_coverage(cov, path)
    assert_png(path)


def test_every_band_is_its_own_and_effects_are_never_merged(cov: pl.DataFrame,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "coverage.svg"
    nonpunish.plot_coverage(cov, path)
    texts = svg_texts(path)
    # Both protected bands are in the legend, each with its legal effect, and undetermined
    # is a band of its own.
    assert "protected (not guilty)" in texts
    assert "protected (no penalty)" in texts
    assert "undetermined" in texts
    assert "not protected" in texts
    # One bar per run, labelled by run (long ids are broken after a slash).
    assert "s45" in texts
    assert "art-264" in texts


def test_weighted_share(cov: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "weighted.svg"
    nonpunish.plot_coverage(cov, path, value="weighted_share", title="Weighted")
    texts = svg_texts(path)
    assert "Weighted" in texts
    assert "weighted share of evaluated cases (%)" in texts


def test_rejected_rows_are_named_under_the_bar(tmp_path: Path) -> None:
    table = pl.read_csv(INTAKE, infer_schema=False).with_columns(
        pl.when(pl.col("dossier") == "A-04").then(pl.lit("oplichting"))
        .otherwise(pl.col("delict")).alias("delict"))
    out = nonpunish.evaluate_table(table, S45, mapping=MAPPING, weights="gewicht",
                                   as_of=AS_OF)
    path = tmp_path / "coverage.svg"
    nonpunish.plot_coverage(nonpunish.coverage(out), path)
    assert "(1 rejected)" in svg_texts(path)


def test_the_same_input_gives_the_same_svg(cov: pl.DataFrame, tmp_path: Path) -> None:
    one, two = tmp_path / "one.svg", tmp_path / "two.svg"
    nonpunish.plot_coverage(cov, one)
    nonpunish.plot_coverage(cov, two)
    assert one.read_bytes() == two.read_bytes()


# --- changes ----------------------------------------------------------------------------------

def test_changes_as_png_and_svg(runs: tuple[nonpunish.TableOutcome, nonpunish.TableOutcome],
                                tmp_path: Path) -> None:
    changed = nonpunish.changes(*runs)
    assert changed.height > 0
    png, svg = tmp_path / "changes.png", tmp_path / "changes.svg"
    nonpunish.plot_changes(changed, png)
    nonpunish.plot_changes(changed, svg, labels=("s.45", "art. 264"))
    assert_png(png)
    assert_svg(svg)
    texts = svg_texts(svg)
    assert "result under s.45" in texts
    assert "result under art. 264" in texts
    assert "protected (no penalty)" in texts


def test_the_cells_count_the_moves(runs: tuple[nonpunish.TableOutcome, nonpunish.TableOutcome],
                                   tmp_path: Path) -> None:
    changed = nonpunish.changes(*runs)
    moves = changed.group_by("result_before", "result_after").len()
    path = tmp_path / "changes.svg"
    nonpunish.plot_changes(changed, path)
    numbers = [t for t in svg_texts(path) if t.replace(",", "").isdigit()]
    # Every move's count is written in its cell; the other cells hold 0.
    for n in moves.get_column("len").to_list():
        assert str(n) in numbers
    assert sum(int(t.replace(",", "")) for t in numbers) == changed.height


def test_no_change_still_writes_a_chart(runs: tuple[nonpunish.TableOutcome,
                                                    nonpunish.TableOutcome],
                                        tmp_path: Path) -> None:
    path = tmp_path / "none.svg"
    nonpunish.plot_changes(nonpunish.changes(runs[0], runs[0]), path)
    assert "no row changed" in svg_texts(path)


# --- mistakes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["chart.pdf", "chart.jpg", "chart", "chart.png.txt"])
def test_another_extension_is_a_coded_error(cov: pl.DataFrame, tmp_path: Path,
                                            name: str) -> None:
    path = tmp_path / name
    with pytest.raises(InputError) as info:
        nonpunish.plot_coverage(cov, path)
    assert info.value.code == "plot_format"
    assert ".png or .svg" in info.value.message
    assert not path.exists()
    with pytest.raises(InputError) as info:
        nonpunish.plot_changes(nonpunish.changes(_run(S45), _run(BE)), path)
    assert info.value.code == "plot_format"


def test_not_a_coverage_table(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        nonpunish.plot_coverage(pl.DataFrame({"label": ["x"]}), tmp_path / "c.png")
    assert info.value.code == "invalid_value"
    with pytest.raises(InputError) as info:
        nonpunish.plot_changes({"row": [1]}, tmp_path / "c.png")  # type: ignore[arg-type]
    assert info.value.code == "invalid_type"


def test_weights_asked_of_runs_without_them(tmp_path: Path) -> None:
    plain = nonpunish.coverage(_run(S45)).with_columns(pl.lit(None, pl.Float64).alias("weighted"))
    with pytest.raises(InputError) as info:
        nonpunish.plot_coverage(plain, tmp_path / "c.png", value="weighted")
    assert info.value.code == "invalid_value"


def test_an_unknown_measure(cov: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        nonpunish.plot_coverage(cov, tmp_path / "c.png", value="votes")  # type: ignore[arg-type]
    assert info.value.code == "invalid_value"


def test_an_unwritable_file(cov: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        nonpunish.plot_coverage(cov, tmp_path / "no-such-dir" / "c.png")
    assert info.value.code == "output_unwritable"


def test_missing_matplotlib_is_the_missing_dependency_error(
        cov: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(NonpunishError) as info:
        nonpunish.plot_coverage(cov, tmp_path / "c.png")
    assert info.value.code == "missing_dependency"
    assert "nonpunish[plot]" in str(info.value)


def test_the_core_does_not_import_matplotlib() -> None:
    import subprocess

    code = ("import sys, nonpunish; nonpunish.synthesise; "
            "sys.exit(1 if any(m == 'matplotlib' or m.startswith('matplotlib.') "
            "for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
