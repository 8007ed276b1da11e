"""Charts of runs of :func:`nonpunish.evaluate_table`: :func:`plot_coverage` and
:func:`plot_changes`.

Drawn with matplotlib on its Agg canvas (no screen, no global pyplot state), as PNG or SVG by
the file's extension. matplotlib is an optional extra: ``pip install 'nonpunish[plot]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._batch import require_polars
from ._errors import InputError, NonpunishError
from ._outcome import RESULTS

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.figure import Figure

#: The file formats a chart is written in, by extension.
PLOT_FORMATS = {".png": "png", ".svg": "svg"}

CoverageValue = Literal["share", "cases", "weighted", "weighted_share"]

#: One colour per result (Okabe and Ito's palette, readable with colour blindness); the
#: legal effects of protected rows get shades of their own.
_RESULT_COLOURS = {
    "protected": "#009E73",
    "not_protected": "#D55E00",
    "excluded_offence": "#CC79A7",
    "not_in_force": "#999999",
    "undetermined": "#E6E6E6",
}
_EFFECT_COLOURS = ["#009E73", "#0072B2", "#56B4E9", "#F0E442", "#E69F00", "#000000"]
_HATCH = {"undetermined": "//"}


def require_matplotlib() -> None:
    """Raise a clear error, naming the extra that installs it, if matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise NonpunishError("drawing a chart needs matplotlib, which is not installed: "
                             "pip install 'nonpunish[plot]'",
                             code="missing_dependency") from None


def plot_format(path: str | Path) -> str:
    """The format a chart at ``path`` is written in (``png`` or ``svg``), from its extension;
    any other extension is an :class:`InputError` with code ``plot_format``."""
    suffix = Path(path).suffix.lower()
    fmt = PLOT_FORMATS.get(suffix)
    if fmt is None:
        raise InputError("a chart is written as PNG or SVG: give a file name ending in .png "
                         "or .svg", code="plot_format", location=str(path))
    return fmt


def _require_columns(frame: Any, columns: Sequence[str], what: str, where: str) -> None:
    import polars as pl

    if not isinstance(frame, pl.DataFrame):
        raise InputError(f"expected {what} (a polars DataFrame), not {type(frame).__name__}",
                         code="invalid_type", location=where)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"not {what}: it has no column {missing[0]!r}",
                         code="invalid_value", location=where)


def _words(key: str | None) -> str:
    return "" if key is None else key.replace("_", " ")


def _wrap(label: str, width: int = 22) -> str:
    """A long label (a ruleset id, a path) on several lines, broken after ``/`` or ``@``."""
    import re

    lines: list[str] = []
    for part in re.findall(r"[^/@]+[/@]?|[/@]", label):
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def _band_label(result: str, effect: str | None) -> str:
    return _words(result) + (f" ({_words(effect)})" if effect else "")


def _bands(frame: pl.DataFrame, result_col: str,
           effect_col: str) -> list[tuple[str, str | None]]:
    """The (result, legal effect) bands of two columns, in the usual order of results,
    effects in alphabetical order within a result."""
    import polars as pl

    found = frame.select(pl.col(result_col).cast(pl.String),
                         pl.col(effect_col).cast(pl.String)).unique().rows()
    return sorted(found, key=lambda b: (RESULTS.index(b[0]) if b[0] in RESULTS else 99,
                                        b[1] or ""))


def _colours(bands: Sequence[tuple[str, str | None]]) -> dict[tuple[str, str | None], str]:
    """A colour per band: the result's, and for protected rows one per legal effect."""
    out: dict[tuple[str, str | None], str] = {}
    effects = sorted({e or "" for r, e in bands if r == "protected"})
    for result, effect in bands:
        if result == "protected" and len(effects) > 1:
            out[(result, effect)] = _EFFECT_COLOURS[effects.index(effect or "")
                                                    % len(_EFFECT_COLOURS)]
        else:
            out[(result, effect)] = _RESULT_COLOURS.get(result, "#444444")
    return out


def _save(fig: Figure, path: str | Path, fmt: str) -> Path:
    import matplotlib

    target = Path(path)
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    try:
        with matplotlib.rc_context({"svg.hashsalt": "nonpunish", "svg.fonttype": "none"}):
            fig.savefig(target, format=fmt, metadata=metadata, bbox_inches="tight",
                        dpi=150)
    except OSError as exc:
        raise InputError(f"cannot write the chart: {exc.strerror or type(exc).__name__}",
                         code="output_unwritable", location=str(target)) from None
    return target


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_coverage(coverage_frame: pl.DataFrame, path: str | Path, *,
                  value: CoverageValue = "share", title: str | None = None) -> Path:
    """Draw a table from :func:`nonpunish.coverage` as stacked bars and write it to ``path``.

    One bar per run (its label), stacked by result and legal effect in the usual order of
    results: each (result, legal effect) pair is a band of its own, so legal effects are
    never merged, and undetermined is a band of its own (hatched), never folded into
    protected or not protected. Rejected rows are in no band; a run with rejects says how
    many under its label.

    ``value``: what the bars measure: ``share`` (default; of the run's evaluated rows),
    ``cases``, or with weights ``weighted`` or ``weighted_share``.
    ``path``: a ``.png`` or ``.svg`` file (the extension chooses; anything else is an
    :class:`InputError` with code ``plot_format``). Returns the path written.

    Needs matplotlib: ``pip install 'nonpunish[plot]'``.
    """
    fmt = plot_format(path)
    require_matplotlib()
    require_polars()
    import polars as pl

    if value not in ("share", "cases", "weighted", "weighted_share"):
        raise InputError("value is share, cases, weighted or weighted_share",
                         code="invalid_value", location="value")
    _require_columns(coverage_frame, ("label", "result", "legal_effect", value, "rejected"),
                     "a coverage table (from nonpunish.coverage)", "coverage_frame")
    frame = coverage_frame
    if frame.get_column(value).null_count() == frame.height and frame.height:
        raise InputError(f"the runs have no weights, so no {value!r} to draw",
                         code="invalid_value", location="value")
    labels: list[str] = list(dict.fromkeys(frame.get_column("label").cast(pl.String).to_list()))
    bands = [b for b in _bands(frame, "result", "legal_effect")
             if frame.filter((pl.col("result").cast(pl.String) == b[0])
                             & pl.col("legal_effect").cast(pl.String).eq_missing(b[1])
                             & (pl.col(value).fill_null(0) > 0)).height]
    colours = _colours(bands)
    amounts = {(lab, res, eff): float(v or 0.0) for lab, res, eff, v in frame.select(
        pl.col("label").cast(pl.String), pl.col("result").cast(pl.String),
        pl.col("legal_effect").cast(pl.String), pl.col(value)).iter_rows()}
    rejected = dict(frame.group_by("label").agg(pl.col("rejected").max()).select(
        pl.col("label").cast(pl.String), "rejected").iter_rows())

    fig = _figure(max(4.0, 1.3 * len(labels) + 3.5), 4.8)
    ax = fig.add_subplot()
    positions = list(range(len(labels)))
    bottoms = [0.0] * len(labels)
    scale = 100.0 if value in ("share", "weighted_share") else 1.0
    for band in bands:
        heights = [amounts.get((lab, *band), 0.0) * scale for lab in labels]
        ax.bar(positions, heights, bottom=bottoms, width=0.6, label=_band_label(*band),
               color=colours[band], edgecolor="#333333", linewidth=0.5,
               hatch=_HATCH.get(band[0]))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    ticks = [_wrap(lab) + (f"\n({rejected[lab]:,} rejected)" if rejected.get(lab) else "")
             for lab in labels]
    ax.set_xticks(positions, ticks, fontsize=8)
    ax.set_ylabel({"share": "share of evaluated cases (%)", "cases": "cases",
                   "weighted": "weighted cases",
                   "weighted_share": "weighted share of evaluated cases (%)"}[value])
    if scale == 100.0:
        ax.set_ylim(0, 100)
    ax.set_title(title or "Coverage by result and legal effect", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5),
              fontsize=8, frameon=False)
    return _save(fig, path, fmt)


def plot_changes(changes_frame: pl.DataFrame, path: str | Path, *,
                 labels: Sequence[str] = ("before", "after"),
                 title: str | None = None) -> Path:
    """Draw a table from :func:`nonpunish.changes` as a matrix of moves and write it to
    ``path``.

    Each cell counts the rows that moved from a result (row of the matrix, with its legal
    effect when protected) under the first run to a result under the second (column). A row
    whose result stayed the same but whose legal effect or limb changed is counted on the
    diagonal. Legal effects are never merged. ``labels`` names the two runs on the axes.
    ``path``: a ``.png`` or ``.svg`` file, as for :func:`plot_coverage`. Returns the path
    written. Needs matplotlib: ``pip install 'nonpunish[plot]'``.
    """
    fmt = plot_format(path)
    require_matplotlib()
    require_polars()
    import polars as pl

    names = list(labels)
    if isinstance(labels, str) or len(names) != 2:
        raise InputError("give two labels, one for each run", code="invalid_value",
                         location="labels")
    _require_columns(changes_frame, ("result_before", "result_after", "legal_effect_before",
                                     "legal_effect_after"),
                     "a table of changes (from nonpunish.changes)", "changes_frame")
    frame = changes_frame
    counts = frame.group_by("result_before", "legal_effect_before", "result_after",
                            "legal_effect_after").len().select(
        pl.col("result_before").cast(pl.String), pl.col("legal_effect_before").cast(pl.String),
        pl.col("result_after").cast(pl.String), pl.col("legal_effect_after").cast(pl.String), "len")
    rows = _bands(frame, "result_before", "legal_effect_before")
    cols = _bands(frame, "result_after", "legal_effect_after")
    cell = {((rb, eb), (ra, ea)): n for rb, eb, ra, ea, n in counts.iter_rows()}

    fig = _figure(max(4.5, 1.5 * len(cols) + 3.0), max(3.0, 0.6 * len(rows) + 2.2))
    ax = fig.add_subplot()
    if not rows:
        ax.text(0.5, 0.5, "no row changed", ha="center", va="center", fontsize=11)
        ax.set_axis_off()
    else:
        import numpy as np

        matrix = np.array([[cell.get((r, c), 0) for c in cols] for r in rows], dtype=float)
        ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1.0, float(matrix.max())),
                  aspect="auto")
        peak = float(matrix.max())
        for i in range(len(rows)):
            for j in range(len(cols)):
                n = int(matrix[i, j])
                ax.text(j, i, f"{n:,}", ha="center", va="center", fontsize=9,
                        color="white" if peak and n > peak * 0.6 else "black")
        ax.set_xticks(range(len(cols)), [_band_label(*c) for c in cols], fontsize=8,
                      rotation=20, ha="right")
        ax.set_yticks(range(len(rows)), [_band_label(*r) for r in rows], fontsize=8)
        ax.set_xlabel(f"result under {names[1]}")
        ax.set_ylabel(f"result under {names[0]}")
    ax.set_title(title or f"Rows whose outcome changed ({frame.height:,})", fontsize=10)
    return _save(fig, path, fmt)


__all__ = ["PLOT_FORMATS", "plot_changes", "plot_coverage", "plot_format",
           "require_matplotlib"]
