"""The public verbs: load rulesets, read cases, evaluate, export schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ._case import Case, check_case
from ._compare import Comparison, compare_outcomes
from ._engine import REFERENCE, Engine
from ._errors import CaseError, EngineUnavailableError, ErrorDetail
from ._evaluate import evaluate_case
from ._files import Document, as_mapping, details_from_validation, parse_text, read_document
from ._outcome import Outcome, outcome_json_schema
from ._ruleset import (
    Ruleset,
    RulesetFile,
    load_ruleset_file,
    load_shipped,
    not_encoded,
    shipped_ids,
)

try:
    __version__ = _dist_version("nonpunish")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

EngineName = Literal["reference", "durable"]


@dataclass(frozen=True)
class RulesetInfo:
    """A line of the ruleset listing: a shipped ruleset, a named variant of one with policy
    parameters (``id`` is ``ruleset@variant``), or a provision known but not encoded."""

    id: str
    title: str
    jurisdiction: str
    kind: str | None
    legal_effect: str | None
    status: str
    #: None for a proposal evaluated as if in force, and for a provision not encoded.
    in_force_from: dt.date | None
    encoded: bool = True
    variant_of: str | None = None


def list_rulesets(*, include_not_encoded: bool = False) -> list[RulesetInfo]:
    """Every shipped ruleset, loaded and checked; a ruleset with policy parameters once per
    named variant. With ``include_not_encoded``, also the provisions known to exist whose
    text is not encoded yet (they cannot be evaluated)."""
    out = []
    for rid in shipped_ids():
        base = load_shipped(rid)
        names = list(base.source_spec.variants) if base.source_spec is not None else [None]
        for name in names:
            rs = base if name is None else load_shipped(f"{rid}@{name}")
            s = rs.spec
            title = s.title.en if rs.variant_spec is None else (
                f"{s.title.en} ({rs.variant_spec.label.en})")
            as_if = s.temporal.rule == "as_if_in_force" and s.status == "proposal"
            out.append(RulesetInfo(rs.id, title, s.jurisdiction, s.kind, s.legal_effect,
                                   s.status, None if as_if else rs.commencement,
                                   variant_of=rid if name is not None else None))
    if include_not_encoded:
        for pending in not_encoded().values():
            out.append(RulesetInfo(pending.id, pending.title.en, pending.id.split("/")[0],
                                   None, None, pending.status, None, encoded=False))
    return out


def load_ruleset(ruleset: str | Path) -> Ruleset:
    """A shipped ruleset by id (``"uk-ew/modern-slavery-act-2015/s45"``), or a ruleset file
    of your own given as a :class:`pathlib.Path` (or a string ending in ``.yaml``)."""
    if isinstance(ruleset, Path) or (isinstance(ruleset, str)
                                     and ruleset.endswith((".yaml", ".yml"))):
        return load_ruleset_file(Path(ruleset))
    return load_shipped(ruleset)


def _case_from(data: Any, doc: Document | None, as_of: dt.date) -> Case:
    if doc is not None:
        data = as_mapping(doc, "a case")
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        details = details_from_validation(exc, doc, data=data)
        raise CaseError(details[0].message, code=details[0].code,
                        location=details[0].location, details=details) from None
    problems = check_case(case, as_of)
    if problems:
        details = []
        for loc, d in problems:
            field = _loc_text(loc)
            where = f"{doc.where(loc)} ({field})" if doc is not None else field
            details.append(ErrorDetail(d.code, d.message, where))
        raise CaseError(details[0].message, code=details[0].code,
                        location=details[0].location, details=details)
    return case


def _loc_text(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_case(data: Mapping[str, Any] | Case, *, as_of: dt.date | None = None) -> Case:
    """Validate a case given as a mapping (e.g. parsed JSON). Raises :class:`CaseError`."""
    as_of = as_of or dt.date.today()
    if isinstance(data, Case):
        return _case_from(data.model_dump(), None, as_of)
    return _case_from(data, None, as_of)


def read_case(source: str | Path, *, as_of: dt.date | None = None,
              text: str | None = None) -> Case:
    """Read and validate a case from a JSON or YAML file (or from ``text``, with ``source``
    naming it). Errors name the file, line and field."""
    as_of = as_of or dt.date.today()
    doc = parse_text(text, str(source)) if text is not None else read_document(source)
    return _case_from(doc.data, doc, as_of)


def _engine(name: EngineName | Engine) -> Engine:
    if not isinstance(name, str):
        return name
    if name == "reference":
        return REFERENCE
    if name == "durable":
        try:
            from ._durable import durable_engine
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}._durable":
                raise
            raise EngineUnavailableError("the durable engine is not part of this installation",
                                         code="engine_unavailable") from None
        return durable_engine()
    raise EngineUnavailableError(f"unknown engine {name!r} (use 'reference' or 'durable')",
                                 code="unknown_engine")


def evaluate(case: Case | Mapping[str, Any] | str | Path, ruleset: str | Path | Ruleset, *,
             as_of: dt.date | None = None,
             engine: EngineName | Engine = "reference") -> Outcome:
    """Evaluate a case under a ruleset and return the reasoned outcome.

    ``case`` may be a :class:`Case`, a mapping, or the path of a JSON or YAML file.
    ``ruleset`` is a shipped ruleset id, a path to a ruleset file, or a loaded ruleset.
    ``as_of`` fixes "today" (default: the current date), so results are reproducible.
    """
    as_of = as_of or dt.date.today()
    if isinstance(case, str | Path):
        case = read_case(case, as_of=as_of)
    elif isinstance(case, Case):
        problems = check_case(case, as_of)
        if problems:
            loc, d = problems[0]
            raise CaseError(d.message, code=d.code, location=_loc_text(loc),
                            details=[ErrorDetail(x.code, x.message, _loc_text(lc))
                                     for lc, x in problems])
    else:
        case = parse_case(case, as_of=as_of)
    rs = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset)
    return evaluate_case(rs, case, as_of, _engine(engine), __version__)


def compare(case: Case | Mapping[str, Any] | str | Path,
            rulesets: Iterable[str | Path | Ruleset] | None = None, *,
            as_of: dt.date | None = None,
            engine: EngineName | Engine = "reference") -> Comparison:
    """Evaluate one case under several rulesets, side by side.

    ``rulesets`` are ids (``ruleset@variant`` for a variant), files or loaded rulesets;
    by default every shipped ruleset and every named variant. Each row gives the result, the
    legal effect (kept apart: a discretion is not a defence), the deciding elements and the
    facts still needed; a row not protected where a minimum standard protects the same count
    says so (``falls_short_of``).
    """
    as_of = as_of or dt.date.today()
    if isinstance(case, str | Path):
        case = read_case(case, as_of=as_of)
    elif not isinstance(case, Case):
        case = parse_case(case, as_of=as_of)
    chosen = [r if isinstance(r, Ruleset) else load_ruleset(r)
              for r in (rulesets if rulesets is not None else
                        [i.id for i in list_rulesets()])]
    return compare_outcomes(case, chosen, as_of,
                            lambda c, rs: evaluate(c, rs, as_of=as_of, engine=engine))


def case_json_schema() -> dict[str, Any]:
    """JSON Schema of a case file."""
    return Case.model_json_schema()


def ruleset_json_schema() -> dict[str, Any]:
    """JSON Schema of a ruleset file, for editors."""
    return RulesetFile.model_json_schema(by_alias=True)


def json_schemas() -> dict[str, dict[str, Any]]:
    return {"case": case_json_schema(), "outcome": outcome_json_schema(),
            "ruleset": ruleset_json_schema()}
