"""The ``nonpunish`` command: list, show, evaluate and validate rulesets and cases, evaluate a
table of cases (``batch``), and model a table or a synthetic population under several
rulesets (``model``).

Only the result goes to stdout. A mistake in the input is one line on stderr,
``nonpunish: error: <what, where> [code]``, and exit status 2; nothing else is printed, and
no case fact is logged. Exit status 0 means the command did its job, whatever the outcome of
an evaluation. Any other exception is a bug in nonpunish and propagates with its traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import _api
from ._batch import evaluate_table
from ._case import Case
from ._errors import FileFormatError, InputError, NonpunishError
from ._files import Document, read_document
from ._offences import ExclusionList, catalogues, load_exclusion_list
from ._render import render
from ._ruleset import Node, Ruleset, _check_fact
from ._text import Language
from ._words import word

if TYPE_CHECKING:
    import polars as pl

PROG = "nonpunish"
RULESET_SCHEMA = "nonpunish-ruleset/1"
EXCLUSION_LIST_SCHEMA = "nonpunish-exclusion-list/1"
SCHEMA_NAMES = ("case", "outcome", "ruleset")
TABLE_FORMATS = ("csv", "parquet", "json")
MODEL_FORMATS = ("text", "csv", "json")
#: TABLE of `nonpunish model` that names a synthetic population's spec.
SYNTHETIC = "synthetic:"


# --- argument parsing ------------------------------------------------------------------------

class _UsageError(Exception):
    """argparse found a mistake on the command line."""


class _ParserExit(Exception):  # noqa: N818 - it is not an error: --help, --version
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports a usage mistake in one line and never calls sys.exit."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _ParserExit(status)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number, 1 or more: {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a whole number, 0 or more: {text!r}")
    return value


def _add_as_of(p: argparse.ArgumentParser,
               meaning: str = "the date to evaluate on (default: today), for reproducible "
               "results") -> None:
    p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help=meaning)


def _add_mapping(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mapping", type=Path, metavar="FILE",
                   help="a YAML or JSON file mapping your column names and codes to the fact "
                   "vocabulary's")


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Non-punishment provisions for victims of trafficking, as rules you can "
        "run. Decision support, not legal advice.",
        epilog="Exit status: 0 done (whatever the outcome of an evaluation); 2 a mistake in "
        "the input, told in one line on stderr with its code; 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_api.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="the shipped rulesets and variants, and the provisions "
                       "known but not encoded")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser(
        "compare", help="one case under every ruleset (or those named), side by side",
        description="Evaluate CASE under every shipped ruleset and variant, or under those "
        "given with --ruleset, and show them side by side: result, legal effect, what "
        "decided it, and the facts still needed.")
    p.add_argument("case", metavar="CASE", help="a case file (JSON or YAML), or - for stdin")
    p.add_argument("--ruleset", action="append", metavar="RULESET", dest="rulesets",
                   help="a ruleset id, RULESET@VARIANT, or a ruleset or variant file; "
                   "repeat for several (default: all)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--lang", choices=("en", "nl"), default="en")
    _add_as_of(p)

    p = sub.add_parser("show", help="a ruleset: its elements, exclusion list and caveats")
    p.add_argument("ruleset", metavar="RULESET",
                   help="a shipped ruleset id (see `nonpunish list`) or a ruleset file (.yaml)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--lang", choices=("en", "nl"), default="en")

    p = sub.add_parser(
        "evaluate", help="evaluate a case under a ruleset",
        usage=f"{PROG} evaluate [-h] [options] (RULESET CASE | --ruleset-file PATH CASE)",
        description="Evaluate CASE (a JSON or YAML file, or - for stdin) under a shipped "
        "ruleset RULESET, or under the ruleset file given with --ruleset-file.")
    p.add_argument("inputs", nargs="*", metavar="[RULESET] CASE", help=argparse.SUPPRESS)
    p.add_argument("--ruleset-file", type=Path, metavar="PATH",
                   help="a ruleset file of your own, instead of RULESET")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="how to write the outcome (default: text)")
    p.add_argument("--lang", choices=("en", "nl"), default="en",
                   help="English or Dutch (default: en)")
    _add_as_of(p)
    p.add_argument("--engine", choices=("reference", "durable"), default="reference",
                   help="the evaluation engine (default: reference)")

    p = sub.add_parser(
        "batch", help="evaluate a table of cases (CSV, Parquet or JSON Lines)",
        usage=f"{PROG} batch [-h] [options] (RULESET TABLE | --ruleset-file PATH TABLE)",
        description="Evaluate every row of TABLE (a .csv, .parquet or .jsonl file, one count "
        "a row) under a shipped ruleset RULESET, or under the ruleset file given with "
        "--ruleset-file. The results go to standard output as CSV (or to --output), the "
        "summary to standard error. Needs polars: pip install 'nonpunish[model]'.")
    p.add_argument("inputs", nargs="*", metavar="[RULESET] TABLE", help=argparse.SUPPRESS)
    p.add_argument("--ruleset-file", type=Path, metavar="PATH",
                   help="a ruleset file of your own, instead of RULESET")
    _add_mapping(p)
    p.add_argument("--weights", metavar="COLUMN",
                   help="a column of non-negative weights, carried into the results and "
                   "summed in the summary")
    _add_as_of(p)
    p.add_argument("--engine", choices=("vectorised", "reference"), default="vectorised",
                   help="the evaluation engine (default: vectorised)")
    p.add_argument("--explain", action="store_true",
                   help="add the deciding elements and, for undetermined rows, the facts to "
                   "ask about")
    p.add_argument("--output", type=Path, metavar="FILE",
                   help="write the results to FILE instead of standard output")
    p.add_argument("--format", choices=TABLE_FORMATS,
                   help="csv, parquet or json (JSON Lines) (default: from the --output "
                   "file's extension, else csv)")
    p.add_argument("--rejects", type=Path, metavar="FILE",
                   help="write the rejected rows to FILE (format from its extension)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is shown on a terminal while the table is "
                   "evaluated)")

    p = sub.add_parser(
        "model", help="a table of cases, or a synthetic population, under several rulesets: "
        "coverage, changes and charts",
        description="Evaluate every row of TABLE (a .csv, .parquet or .jsonl file, or "
        "synthetic:SPEC.yaml for a synthetic population drawn with --rows and --seed) under "
        "each ruleset given with --ruleset, and print how many cases each puts in each result "
        "and legal effect (nonpunish.coverage); with --changes and two rulesets, the rows "
        "whose outcome differs. Needs polars: pip install 'nonpunish[model]'; --plot needs "
        "matplotlib: pip install 'nonpunish[plot]'.")
    p.add_argument("table", metavar="TABLE",
                   help="a .csv, .parquet or .jsonl file, or synthetic:SPEC.yaml")
    p.add_argument("--ruleset", action="append", metavar="RULESET", dest="rulesets",
                   help="a ruleset id, RULESET@VARIANT, or a ruleset or variant file; repeat "
                   "for several")
    _add_mapping(p)
    p.add_argument("--weights", metavar="COLUMN",
                   help="a column of non-negative weights, summed by result and legal effect")
    _add_as_of(p)
    p.add_argument("--format", choices=MODEL_FORMATS,
                   help="text, csv or json (default: from the --output file's extension, "
                   "else text)")
    p.add_argument("--output", type=Path, metavar="FILE",
                   help="write the coverage (and changes) to FILE instead of standard output")
    p.add_argument("--plot", type=Path, metavar="FILE",
                   help="draw the coverage as stacked bars in FILE (.png or .svg); with "
                   "--changes, the changes in FILE-changes beside it")
    p.add_argument("--changes", action="store_true",
                   help="also list the rows whose result, legal effect or limb differ between "
                   "the two rulesets")
    p.add_argument("--rows", type=_positive, metavar="N",
                   help="the number of rows of a synthetic population")
    p.add_argument("--seed", type=_seed, metavar="S",
                   help="the seed of a synthetic population (the same seed, the same rows)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is shown on a terminal, a step per ruleset)")

    p = sub.add_parser("validate", help="check a case or ruleset file")
    p.add_argument("file", metavar="FILE", help="a case (JSON or YAML, - for stdin), a "
                   "ruleset or an exclusion list")
    _add_as_of(p, "the date a case is checked against (default: today)")

    p = sub.add_parser("schema", help="JSON Schemas of the case, outcome and ruleset formats")
    p.add_argument("which", nargs="?", choices=SCHEMA_NAMES, metavar="{case,outcome,ruleset}",
                   help="the schema to print")
    p.add_argument("--output", type=Path, metavar="DIR",
                   help="write the schema(s) to DIR as NAME.schema.json")
    return parser


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = _parser()
    args, extra = parser.parse_known_args(list(argv))
    # argparse stops filling positionals at the first option, so `evaluate R --as-of D C`
    # leaves C over; take such leftovers as positionals of `evaluate` (and of `batch`).
    if extra and args.command in ("evaluate", "batch") and all(x == "-" or not x.startswith("-")
                                                    for x in extra):
        args.inputs = [*args.inputs, *extra]
        extra = []
    if extra:
        raise _UsageError(f"unrecognized arguments: {' '.join(extra)}")
    return args


# --- reading input ---------------------------------------------------------------------------

STDIN = "<stdin>"


def _read_stdin() -> str:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    raw: bytes = buffer.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            f"input is not UTF-8 text (first bad byte at offset {exc.start})",
            code="file_encoding", location=f"{STDIN}:{line}") from None


def _read_case(source: str, as_of: dt.date) -> Case:
    if source == "-":
        return _api.read_case(STDIN, as_of=as_of, text=_read_stdin())
    return _api.read_case(source, as_of=as_of)


# --- commands --------------------------------------------------------------------------------

def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _in_force(info: _api.RulesetInfo) -> str:
    if not info.encoded:
        return "not encoded"
    return info.in_force_from.isoformat() if info.in_force_from else "as if in force"


def _cmd_list(args: argparse.Namespace) -> int:
    infos = _api.list_rulesets(include_not_encoded=True)
    if args.format == "json":
        _out(json.dumps([{
            "id": i.id, "jurisdiction": i.jurisdiction, "kind": i.kind,
            "legal_effect": i.legal_effect, "status": i.status,
            "in_force_from": i.in_force_from.isoformat() if i.in_force_from else None,
            "encoded": i.encoded, "variant_of": i.variant_of, "title": i.title,
        } for i in infos], indent=2, ensure_ascii=False))
        return 0
    header = ("ID", "JURISDICTION", "KIND", "LEGAL EFFECT", "STATUS", "IN FORCE FROM", "TITLE")
    rows = [header] + [(i.id, i.jurisdiction, i.kind or "-", i.legal_effect or "-", i.status,
                        _in_force(i), i.title) for i in infos]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header) - 1)]
    _out("\n".join("  ".join([*(r[c].ljust(widths[c]) for c in range(len(widths))), r[-1]])
                   for r in rows))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from ._compare import render_comparison

    as_of = args.as_of or dt.date.today()
    case = _read_case(args.case, as_of)
    rulesets = [_ruleset_arg(r) for r in args.rulesets] if args.rulesets else None
    comparison = _api.compare(case, rulesets, as_of=as_of)
    if args.format == "json":
        _out(comparison.model_dump_json(indent=2))
    else:
        _out(render_comparison(comparison, args.format, args.lang).rstrip("\n"))
    return 0


def _ruleset_arg(value: str) -> str | Path:
    return Path(value) if value.endswith((".yaml", ".yml")) else value


def _ruleset_and_input(args: argparse.Namespace, name: str,
                       described: str) -> tuple[str | Path, str]:
    """The ruleset (an id, or --ruleset-file) and the one input file of `evaluate`/`batch`."""
    inputs: list[str] = args.inputs
    if args.ruleset_file is not None:
        if len(inputs) != 1:
            raise _UsageError(f"with --ruleset-file give only {name}"
                              if inputs else f"give {described}")
        return args.ruleset_file, inputs[0]
    if len(inputs) != 2:
        raise _UsageError(f"give RULESET and {name}, or --ruleset-file PATH and {name}"
                          if len(inputs) < 2 else
                          f"unrecognized arguments: {' '.join(inputs[2:])}")
    return inputs[0], inputs[1]


def _cmd_evaluate(args: argparse.Namespace) -> int:
    ruleset, case_source = _ruleset_and_input(args, "CASE", "CASE (a file, or - for stdin)")
    as_of: dt.date = args.as_of or dt.date.today()
    rs = _api.load_ruleset(ruleset)
    case = _read_case(case_source, as_of)
    outcome = _api.evaluate(case, rs, as_of=as_of, engine=args.engine)
    _out(render(outcome, args.format, args.lang))
    return 0


_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json",
               ".jsonl": "json", ".ndjson": "json"}


def _table_format(path: Path, given: str | None, option: str) -> str:
    """The format to write ``path`` in: ``given``, else the one its extension names."""
    if given is not None:
        return given
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise _UsageError(f"cannot tell the format of {option} {path} from its extension "
                          "(.csv, .parquet or .jsonl): give --format")
    return found


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns as `;`-joined text, for CSV."""
    import polars as pl

    return frame.with_columns(pl.col(name).list.join(";")
                              for name, dtype in frame.schema.items()
                              if isinstance(dtype, pl.List))


def _write_table(frame: pl.DataFrame, fmt: str, path: Path | None) -> None:
    """Write ``frame`` to ``path``, or to stdout (CSV or JSON Lines) without one."""
    if path is None:
        sys.stdout.write(_as_text(frame).write_csv() if fmt == "csv" else frame.write_ndjson())
        return
    try:
        if fmt == "csv":
            _as_text(frame).write_csv(path)
        elif fmt == "parquet":
            frame.write_parquet(path)
        else:
            frame.write_ndjson(path)
    except OSError as exc:
        raise InputError(f"cannot write the table: {exc.strerror or type(exc).__name__}",
                         code="output_unwritable", location=str(path)) from None


def _cmd_batch(args: argparse.Namespace) -> int:
    ruleset, table = _ruleset_and_input(args, "TABLE", "TABLE")
    output: Path | None = args.output
    if output is None:
        fmt = args.format or "csv"
        if fmt == "parquet":
            raise _UsageError("--format parquet needs --output FILE")
    else:
        fmt = _table_format(output, args.format, "--output")
    rejects: Path | None = args.rejects
    rejects_fmt = (None if rejects is None else
                   _EXTENSIONS.get(rejects.suffix.lower()) or
                   _table_format(rejects, args.format, "--rejects"))
    with _Progress(1, enabled=not args.no_progress) as progress:
        progress.start(str(ruleset))
        outcome = evaluate_table(Path(table), ruleset, as_of=args.as_of,
                                 mapping=args.mapping, engine=args.engine,
                                 weights=args.weights, explain=args.explain)
        progress.step()
    _write_table(outcome.results, fmt, output)
    if rejects is not None and rejects_fmt is not None:
        _write_table(outcome.rejects, rejects_fmt, rejects)
    sys.stdout.flush()
    sys.stderr.write(f"{outcome.summary()}\n")
    return 0


# --- progress ----------------------------------------------------------------------------------

class _Progress:
    """A progress bar on stderr, one step per unit of work (a ruleset), shown only when
    stderr is a terminal and it is not turned off. It is cleared from the terminal when the
    run ends, so only the output stays."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._bar: Any = None
        isatty = getattr(sys.stderr, "isatty", None)
        if not enabled or total < 1 or not (callable(isatty) and isatty()):
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - a core dependency
            return
        self._bar = tqdm(total=total, desc="evaluating", unit="ruleset", file=sys.stderr,
                         leave=False, dynamic_ncols=True, mininterval=0)

    def start(self, label: str) -> None:
        """Say which unit is running."""
        if self._bar is not None:
            self._bar.set_postfix_str(label)

    def step(self) -> None:
        """One unit done."""
        if self._bar is not None:
            self._bar.update(1)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# --- model: a table under several rulesets ------------------------------------------------------

_MODEL_EXTENSIONS = {".csv": "csv", ".json": "json", ".txt": "text"}


def _changes_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-changes{path.suffix}")


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _columns_text(rows: list[tuple[str, ...]], right: frozenset[int] = frozenset()) -> str:
    """Rows of cells as aligned text; the columns in ``right`` are aligned right."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [r[c].rjust(widths[c]) if c in right else r[c].ljust(widths[c])
                 for c in range(len(r))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _model_text(cov: pl.DataFrame, outcomes: list[Any], labels: list[str],
                changed: pl.DataFrame | None, weighted: bool, header: str | None) -> str:
    head = ["RULESET", "RESULT", "EFFECT", "CASES", "SHARE"]
    if weighted:
        head += ["WEIGHTED", "WEIGHTED SHARE"]
    rows: list[tuple[str, ...]] = [tuple(head)]
    for r in cov.iter_rows(named=True):
        row = [r["label"], r["result"].replace("_", " "),
               (r["legal_effect"] or "-").replace("_", " "), str(r["cases"]),
               _percent(r["share"])]
        if weighted:
            row += [f"{r['weighted']:g}", _percent(r["weighted_share"])]
        rows.append(tuple(row))
    parts = [header] if header else []
    parts.append(_columns_text(rows, frozenset({3, 4, 5, 6})))
    parts.append("\n".join(
        f"{label}: {o.rows} rows, {o.results.height} evaluated, "
        f"{o.summary().rejected} rejected" for label, o in zip(labels, outcomes, strict=True)))
    if changed is not None:
        parts.append(_changes_text(changed, labels, outcomes[0].results.height))
    return "\n\n".join(parts) + "\n"


def _band(result: str | None, effect: str | None) -> str:
    text = (result or "-").replace("_", " ")
    return f"{text} ({effect.replace('_', ' ')})" if effect else text


def _changes_text(changed: pl.DataFrame, labels: list[str], evaluated: int) -> str:
    lines = [f"Changed from {labels[0]} to {labels[1]}: {changed.height} of {evaluated} "
             "evaluated rows"]
    if not changed.height:
        return lines[0]
    moves = (changed.group_by("result_before", "legal_effect_before", "result_after",
                              "legal_effect_after").len()
             .sort("len", "result_before", "result_after", descending=[True, False, False]))
    for rb, eb, ra, ea, n in moves.iter_rows():
        lines.append(f"  {_band(rb, eb)} -> {_band(ra, ea)}: {n}")
    has_id = "case_id" in changed.columns
    head = ["ROW", *(["CASE ID"] if has_id else []), "RESULT BEFORE", "RESULT AFTER",
            "EFFECT BEFORE", "EFFECT AFTER", "LIMB BEFORE", "LIMB AFTER"]
    rows: list[tuple[str, ...]] = [tuple(head)]
    for r in changed.iter_rows(named=True):
        rows.append((str(r["row"]), *([r["case_id"] or "-"] if has_id else []),
                     *(((r[c] or "-").replace("_", " "))
                       for c in ("result_before", "result_after", "legal_effect_before",
                                 "legal_effect_after", "limb_before", "limb_after"))))
    return "\n".join(lines) + "\n\n" + _columns_text(rows, frozenset({0}))


def _model_json(cov: pl.DataFrame, outcomes: list[Any], labels: list[str],
                changed: pl.DataFrame | None, table: dict[str, Any]) -> str:
    import polars as pl

    def plain(frame: pl.DataFrame) -> list[dict[str, Any]]:
        return frame.with_columns(pl.col(pl.Enum).cast(pl.String)).to_dicts()

    data: dict[str, Any] = {
        "library_version": _api.__version__,
        "as_of": outcomes[0].as_of.isoformat(),
        "table": table,
        "runs": [{"label": label, "ruleset_id": o.ruleset_id,
                  "ruleset_content_hash": o.ruleset_content_hash, "rows": o.rows,
                  "evaluated": o.results.height, "rejected": o.summary().rejected}
                 for label, o in zip(labels, outcomes, strict=True)],
        "coverage": plain(cov),
    }
    if changed is not None:
        data["changes"] = plain(changed)
    return json.dumps(data, indent=2, ensure_ascii=False)


def _write_text(text: str, path: Path | None) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the output: {exc.strerror or type(exc).__name__}",
                         code="output_unwritable", location=str(path)) from None


def _cmd_model(args: argparse.Namespace) -> int:
    from ._batch import read_table
    from ._coverage import changes, coverage

    rulesets: list[str] = args.rulesets or []
    if not rulesets:
        raise _UsageError("give at least one --ruleset RULESET")
    if len(set(rulesets)) != len(rulesets):
        raise _UsageError("a --ruleset is given twice")
    if args.changes and len(rulesets) != 2:
        raise _UsageError("--changes compares two runs: give exactly two --ruleset")
    source: str = args.table
    rows: int | None = args.rows
    seed: int | None = args.seed
    synthetic = source.startswith(SYNTHETIC)
    spec = source[len(SYNTHETIC):]
    if synthetic:
        if not spec:
            raise _UsageError("give the spec of the synthetic population: synthetic:SPEC.yaml")
        if rows is None or seed is None:
            raise _UsageError("a synthetic population needs --rows N and --seed S")
        if args.mapping is not None or args.weights is not None:
            raise _UsageError("--mapping and --weights are for a table of your own, not a "
                              "synthetic population")
    elif rows is not None or seed is not None:
        raise _UsageError("--rows and --seed are for a synthetic population "
                          "(TABLE synthetic:SPEC.yaml)")
    output: Path | None = args.output
    fmt: str = args.format or (_MODEL_EXTENSIONS.get(output.suffix.lower(), "text")
                               if output is not None else "text")
    if args.changes and fmt == "csv" and output is None:
        raise _UsageError("--changes with --format csv needs --output FILE (the changed rows "
                          "go to FILE-changes.csv)")
    plot: Path | None = args.plot
    if plot is not None:
        from ._plot import plot_format, require_matplotlib

        plot_format(plot)
        require_matplotlib()
    as_of: dt.date = args.as_of or dt.date.today()
    loaded = [_api.load_ruleset(_ruleset_arg(r)) for r in rulesets]
    if synthetic:
        from ._synthetic import synthesise

        assert rows is not None and seed is not None  # checked above
        table = synthesise(Path(spec), rows, seed=seed)
        described: dict[str, Any] = {"synthetic": spec, "rows": rows, "seed": seed}
        header: str | None = (f"Synthetic population: {rows} rows drawn from {spec} "
                              f"with seed {seed} (random draws, not data about real "
                              "people)")
    else:
        table = read_table(Path(source))
        described = {"path": source}
        header = None
    outcomes = []
    with _Progress(len(loaded), enabled=not args.no_progress) as progress:
        for label, rs in zip(rulesets, loaded, strict=True):
            progress.start(label)
            outcomes.append(evaluate_table(table, rs, as_of=as_of, mapping=args.mapping,
                                           weights=args.weights))
            progress.step()
    cov = coverage(*outcomes, labels=rulesets)
    changed = changes(outcomes[0], outcomes[1]) if args.changes else None
    weighted = args.weights is not None
    if fmt == "text":
        _write_text(_model_text(cov, outcomes, rulesets, changed, weighted, header), output)
    elif fmt == "json":
        _write_text(_model_json(cov, outcomes, rulesets, changed, described), output)
    else:
        _write_table(cov, "csv", output)
        if changed is not None and output is not None:
            _write_table(changed, "csv", _changes_path(output))
    if plot is not None:
        from ._plot import plot_changes, plot_coverage

        plot_coverage(cov, plot, value="weighted_share" if weighted else "share")
        if changed is not None:
            plot_changes(changed, _changes_path(plot), labels=rulesets)
    return 0


def _kind_of(doc: Document) -> str:
    data = doc.data
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema == RULESET_SCHEMA:
        return "ruleset"
    if schema == EXCLUSION_LIST_SCHEMA:
        return "exclusion list"
    if schema == "nonpunish-variant/1":
        return "variant"
    if schema == "nonpunish-synthetic/1":
        return "synthetic population spec"
    if schema is not None and isinstance(schema, str) and schema.startswith("nonpunish-"):
        raise InputError(f"cannot validate a {schema!r} file on its own",
                         code="unknown_schema", location=doc.where(("schema",)))
    return "case"


def _counts(case: Case) -> str:
    n = len(case.counts)
    return f"{n} count" if n == 1 else f"{n} counts"


def _cmd_validate(args: argparse.Namespace) -> int:
    source: str = args.file
    as_of: dt.date = args.as_of or dt.date.today()
    if source == "-":
        case = _api.read_case(STDIN, as_of=as_of, text=_read_stdin())
        _out(f"{STDIN}: valid case ({_counts(case)})")
        return 0
    doc = read_document(source)
    kind = _kind_of(doc)
    if kind in ("ruleset", "variant"):
        rs = _api.load_ruleset(Path(source))
        _out(f"{source}: valid {kind} {rs.id}")
    elif kind == "synthetic population spec":
        from ._synthetic import load_spec

        load_spec(Path(source))
        _out(f"{source}: valid {kind}")
    elif kind == "exclusion list":
        xl = load_exclusion_list(Path(source), _check_fact)
        _out(f"{source}: valid exclusion list {xl.id} ({len(xl.entries)} entries)")
    else:
        case = _api.read_case(source, as_of=as_of)
        _out(f"{source}: valid case ({_counts(case)})")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    schemas = _api.json_schemas()
    if args.output is None:
        if args.which is None:
            raise _UsageError("give the schema to print (case, outcome or ruleset), "
                              "or --output DIR to write them all")
        _out(json.dumps(schemas[args.which], indent=2, ensure_ascii=False))
        return 0
    names = [args.which] if args.which else list(SCHEMA_NAMES)
    out_dir: Path = args.output
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = out_dir / f"{name}.schema.json"
            path.write_text(json.dumps(schemas[name], indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise InputError(f"cannot write the schemas: {exc.strerror}",
                         code="output_unwritable", location=str(out_dir)) from None
    _out("\n".join(str(p) for p in written))
    return 0


# --- show: a ruleset for a reader --------------------------------------------------------------



def _s(key: str, lang: Language) -> str:
    return word("limb_word" if key == "limb" else key, lang)


class _ShowWriter:
    """Text or Markdown: headings, labelled lines and indented lists."""

    def __init__(self, md: bool, lang: Language) -> None:
        self.md = md
        self.lang = lang
        self.lines: list[str] = []

    def heading(self, level: int, text: str) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        if self.md:
            self.lines.append(f"{'#' * level} {text}")
        else:
            self.lines.append(f"{'=' * level} {text}")
        self.lines.append("")

    def field(self, key: str, value: str) -> None:
        label = _s(key, self.lang)
        self.lines.append(f"- **{label}:** {value}" if self.md else f"{label}: {value}")

    def item(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + "- " + text)

    def more(self, depth: int, text: str) -> None:
        """A further line of the item at ``depth``."""
        self.lines.append("  " * (depth + 1) + text)

    def para(self, text: str) -> None:
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _leaf_text(node: Node, lang: Language) -> str:
    if node.fact is not None:
        fact = f"`{node.fact}`"
        if node.is_ is not None:
            return f"{_s('fact', lang)} {fact} {_s('is', lang)} {node.is_}"
        if node.includes_any is not None:
            return (f"{_s('fact', lang)} {fact} {_s('includes_any', lang)} "
                    f"{', '.join(node.includes_any)}")
        return f"{_s('fact', lang)} {fact}"
    if node.age_at_least is not None:
        return f"{_s('age_at_least', lang)} {node.age_at_least}"
    if node.age_under is not None:
        return f"{_s('age_under', lang)} {node.age_under}"
    if node.age_over is not None:
        return f"{_s('age_over', lang)} {node.age_over}"
    if node.excluded:
        return _s("excluded", lang)
    if node.listed is not None:
        return f"{_s('listed', lang)} {node.listed}"
    raise AssertionError(f"not a leaf: {node}")


def _tree(w: _ShowWriter, node: Node, definitions: dict[str, Node], depth: int,
          stack: tuple[str, ...] = ()) -> None:
    lang = w.lang
    if node.ref is not None:
        target = definitions.get(node.ref)
        if target is None or node.ref in stack:  # refused on load; never reached
            w.item(depth, f"{_s('definition', lang)} {node.ref}")
            return
        _tree(w, target, definitions, depth, (*stack, node.ref))
        return
    if node.all is not None:
        test, children = _s("all", lang), node.all
    elif node.any is not None:
        test, children = _s("any", lang), node.any
    elif node.not_ is not None:
        test, children = _s("not", lang), (node.not_,)
    elif node.choose is not None:  # only in a ruleset's file, never in a variant's tree
        w.item(depth, f"{_s('choose', lang)} {node.choose.parameter}")
        for name, option in node.choose.options.items():
            w.item(depth + 1, f"{name}:" + ("" if option is not None else " -"))
            if option is not None:
                _tree(w, option, definitions, depth + 2, stack)
        return
    else:
        test, children = _leaf_text(node, lang), ()
    if node.id is not None:
        label = node.label(lang) if node.label is not None else node.id
        limb = f" ({_s('limb', lang)}: {_s(node.limb, lang)})" if node.limb else ""
        ident = f"`{node.id}`" if w.md else f"[{node.id}]"
        w.item(depth, f"{node.citation} {label}{limb} {ident}: {test}")
        if node.wording:
            w.more(depth, f"“{' '.join(node.wording.split())}”")
        if node.reads:
            w.more(depth, f"({_s('reads', lang)}: {', '.join(node.reads)})")
    else:
        w.item(depth, test)
    for child in children:
        _tree(w, child, definitions, depth + 1, stack)


def _offence_title(catalogue: str, key: str) -> str:
    cat = catalogues().get(catalogue)
    offence = cat.offences.get(key) if cat is not None else None
    if offence is None:
        return key
    if offence.statute == "common law":
        return f"{offence.title} (common law)"
    section = offence.section
    where = f"section {section}" if section[:1].isdigit() else section
    return f"{offence.title} ({offence.statute}, {where})"


def _exclusion(w: _ShowWriter, xl: ExclusionList, citation: str, wording: str | None) -> None:
    lang = w.lang
    w.para(f"{xl.title(lang)} — {xl.instrument}, {xl.provision} ({citation}); "
           f"{_s('closed' if xl.closed else 'open_list', lang)}; {_s('from', lang)} "
           f"{xl.valid_from}")
    w.para(xl.url)
    if wording:
        w.para(f"“{' '.join(wording.split())}”")
    if xl.source:
        w.para(xl.source)
    w.para("")
    for e in xl.entries:
        text = f"{_s('para', lang)} {e.paragraph}: {_offence_title(xl.catalogue, e.offence)}"
        if e.only_if is not None:
            text += f"; {_s('only_if', lang)} `{e.only_if.fact}`"
        if e.valid_from is not None:
            text += f"; {_s('from', lang)} {e.valid_from}"
        if e.valid_to is not None:
            text += f"; {_s('until', lang)} {e.valid_to}"
        if e.inserted_by:
            text += f" ({e.inserted_by})"
        w.item(0, text)
        if e.wording:
            w.more(0, f"“{' '.join(e.wording.split())}”")
    if xl.ancillary:
        w.para("")
        w.para(f"{_s('ancillary', lang)}:")
        for a in xl.ancillary:
            forms = ", ".join(_s(p, lang) for p in a.participation)
            w.item(0, f"{_s('para', lang)} {a.paragraph} ({forms}): "
                      f"“{' '.join(a.wording.split())}”")


def _show_text(rs: Ruleset, lang: Language, md: bool) -> str:
    s = rs.spec
    w = _ShowWriter(md, lang)
    w.heading(1, s.title(lang))
    w.field("id", f"`{s.id}`" if md else s.id)
    w.field("jurisdiction", f"{s.jurisdiction_name(lang)} ({s.jurisdiction})")
    w.field("instrument", f"{s.instrument}, {s.provision}")
    w.field("url", s.url)
    w.field("kind", _s(s.kind, lang))
    w.field("effect", _s(s.legal_effect, lang))
    w.field("status", _s(s.status, lang))
    w.field("in_force_from", rs.commencement.isoformat())
    w.field("content_hash", rs.content_hash)
    w.heading(2, _s("summary", lang))
    w.para(" ".join(s.summary(lang).split()))

    w.heading(2, _s("burden", lang))
    w.para(f"{s.burden.label(lang)} ({s.burden.citation})")
    if s.burden.url:
        w.para(s.burden.url)

    t = s.temporal
    w.heading(2, _s("temporal", lang))
    w.field("relevant_date", _s(t.relevant_date, lang))
    w.field("rule", f"{_s(t.rule, lang)} ({t.citation})")
    w.field("in_force_from", rs.commencement.isoformat())
    w.field("before", " ".join(t.before_commencement(lang).split()))

    w.heading(2, _s("versions", lang))
    for cv in rs.compiled:
        v = cv.version
        end = f"{_s('until', lang)} {v.valid_to}" if v.valid_to else _s("open_end", lang)
        w.heading(3, f"{_s('version', lang)} {_s('from', lang)} {v.valid_from}, {end}")
        w.para(v.source)
        if v.url:
            w.para(v.url)
        w.heading(4, _s("elements", lang))
        _tree(w, v.protection, dict(s.definitions), 0)
        if v.exclusions is not None:
            w.heading(4, f"{_s('exclusion', lang)} ({v.exclusions.citation})")
            if v.exclusions.when is not None:
                w.para(f"{_s('excluded_when', lang)}:")
                _tree(w, v.exclusions.when, dict(s.definitions), 0)
                w.para("")
            if cv.exclusion_list is not None:
                _exclusion(w, cv.exclusion_list, v.exclusions.citation, v.exclusions.wording)
            for name, xl in cv.lists.items():
                w.para(f"{_s('listed', lang)} {name}:")
                _exclusion(w, xl, xl.provision, None)

    if s.caveats:
        w.heading(2, _s("caveats", lang))
        for c in s.caveats:
            cite = f" ({c.citation})" if c.citation else ""
            w.item(0, f"[{_s(c.kind, lang)}] {' '.join(c.text(lang).split())}{cite}")
    return w.text()


def _show_json(rs: Ruleset) -> str:
    data: dict[str, Any] = rs.spec.model_dump(mode="json", by_alias=True)
    data["content_hash"] = rs.content_hash
    lists: dict[str, Any] = {}
    for cv in rs.compiled:
        ref = cv.version.exclusions.list if cv.version.exclusions else None
        if ref is not None and cv.exclusion_list is not None and ref not in lists:
            lists[ref] = cv.exclusion_list.model_dump(mode="json", by_alias=True)
    data["exclusion_lists"] = lists
    return json.dumps(data, indent=2, ensure_ascii=False)


def _cmd_show(args: argparse.Namespace) -> int:
    rs = _api.load_ruleset(args.ruleset)
    if args.format == "json":
        _out(_show_json(rs))
    else:
        _out(_show_text(rs, args.lang, args.format == "markdown"))
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _cmd_list,
    "compare": _cmd_compare,
    "show": _cmd_show,
    "evaluate": _cmd_evaluate,
    "batch": _cmd_batch,
    "model": _cmd_model,
    "validate": _cmd_validate,
    "schema": _cmd_schema,
}


# --- entry point -----------------------------------------------------------------------------

def _error(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {' '.join(message.split())}\n")
    return 2


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does
    not fail again (the recipe in the Python documentation on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 2 a mistake in the input)."""
    try:
        try:
            args = _parse(sys.argv[1:] if argv is None else argv)
        except _ParserExit as done:
            return done.status
        status = _COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except _UsageError as exc:
        return _error(str(exc))
    except NonpunishError as exc:
        return _error(exc.one_line())
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1


__all__ = ["main"]
