"""Reading JSON and YAML safely, keeping line numbers for error messages.

YAML is read with PyYAML's safe loader, and three things are refused outright because rule
files and cases are data: tags (``!!python/object``, or any explicit tag), anchors and aliases
(which also rules out "billion laughs" alias bombs), and duplicate keys. Every value keeps the
line it came from, so a validation error can name ``file:line``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ._errors import ErrorDetail, FileFormatError

#: Largest file read, in bytes. Cases and rulesets are small; this bounds memory on bad input.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Deepest nesting accepted in a document.
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]


class Document:
    """A parsed document: its data, its source name and the line of each value."""

    __slots__ = ("data", "lines", "source")

    def __init__(self, data: Any, source: str, lines: dict[Path_, int] | None = None) -> None:
        self.data = data
        self.source = source
        self.lines = lines or {}

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the value at ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def where(self, path: Sequence[str | int]) -> str:
        line = self.line_of(path)
        return f"{self.source}:{line}" if line else self.source


class _NoAliasSafeLoader(yaml.SafeLoader):
    """Safe loader; anchors, aliases and explicit tags are rejected before composing."""


def _check_events(text: str, source: str) -> None:
    for event in yaml.parse(text, Loader=_NoAliasSafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise FileFormatError(
                "YAML anchors and aliases are not allowed in nonpunish files",
                code="yaml_anchor",
                location=f"{source}:{line}",
            )
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit_tag = tag is not None and (
            implicit is False or (isinstance(implicit, tuple) and not any(implicit))
        )
        if explicit_tag:
            raise FileFormatError(
                f"YAML tags are not allowed in nonpunish files (found {tag!r})",
                code="yaml_tag",
                location=f"{source}:{line}",
            )


def _build(node: yaml.Node, loader: yaml.SafeLoader, source: str, path: Path_,
           lines: dict[Path_, int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise FileFormatError(
            f"document nested deeper than {MAX_DEPTH} levels",
            code="too_deep",
            location=f"{source}:{node.start_mark.line + 1}",
        )
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise FileFormatError(
                    "a mapping key must be a plain value",
                    code="yaml_key",
                    location=f"{source}:{key_node.start_mark.line + 1}",
                )
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int | bool) or key is None:
                key = str(key)
            if key in result:
                raise FileFormatError(
                    f"duplicate key {key!r}",
                    code="duplicate_key",
                    location=f"{source}:{key_node.start_mark.line + 1}",
                )
            result[key] = _build(value_node, loader, source, (*path, str(key)), lines, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, loader, source, (*path, i), lines, depth + 1)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node)


def parse_yaml(text: str, source: str) -> Document:
    """Parse YAML text into a :class:`Document`; malformed input raises FileFormatError."""
    try:
        _check_events(text, source)
        loader = _NoAliasSafeLoader(text)
        try:
            node = loader.get_single_node()
            lines: dict[Path_, int] = {}
            data = None if node is None else _build(node, loader, source, (), lines, 0)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed YAML"
        raise FileFormatError(
            f"malformed YAML: {problem}", code="yaml_syntax", location=f"{source}{line}"
        ) from None
    except yaml.YAMLError as exc:
        raise FileFormatError(
            f"malformed YAML: {exc}", code="yaml_syntax", location=source
        ) from None
    return Document(data, source, lines)


def parse_json(text: str, source: str) -> Document:
    """Parse JSON text into a :class:`Document` (line numbers for syntax errors only)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"malformed JSON: {exc.msg}", code="json_syntax", location=f"{source}:{exc.lineno}"
        ) from None
    except RecursionError:
        raise FileFormatError(
            "JSON nested too deeply", code="too_deep", location=source
        ) from None
    return Document(data, source)


def parse_text(text: str, source: str, *, fmt: str | None = None) -> Document:
    """Parse JSON or YAML. ``fmt`` is ``"json"``, ``"yaml"`` or None to decide by content."""
    if fmt is None:
        fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    return parse_json(text, source) if fmt == "json" else parse_yaml(text, source)


def read_document(path: str | Path) -> Document:
    """Read a JSON (``.json``) or YAML file into a :class:`Document`."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileFormatError(
                f"file is larger than {MAX_FILE_BYTES} bytes", code="file_too_large",
                location=str(p),
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FileFormatError("no such file", code="file_not_found", location=str(p)) from None
    except IsADirectoryError:
        raise FileFormatError("is a directory", code="file_not_found", location=str(p)) from None
    except OSError as exc:
        raise FileFormatError(
            f"cannot read file: {exc.strerror}", code="file_unreadable", location=str(p)
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(
            "file is not UTF-8 text", code="file_encoding", location=str(p)
        ) from None
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    return parse_text(text, str(p), fmt=fmt)


def _loc_text(loc: Sequence[str | int]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def details_from_validation(exc: ValidationError, doc: Document | None,
                            prefix: Sequence[str | int] = ()) -> list[ErrorDetail]:
    """Turn a pydantic ValidationError into details naming the field (and file:line)."""
    details = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        # Pydantic adds tagged-union and type names to the path; keep only real fields.
        loc = [p for p in loc if not (isinstance(p, str) and ("[" in p or p in _UNION_NAMES))]
        full = [*prefix, *loc]
        field = _loc_text(full) or "(document)"
        if doc is not None:
            line = doc.line_of(full)
            location = f"{doc.source}:{line} ({field})" if line else f"{doc.source} ({field})"
        else:
            location = field
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        details.append(ErrorDetail(code=_code_for(err["type"]), message=msg, location=location))
    return details


_UNION_NAMES = {"bool", "str", "int", "date", "dict", "list", "none", "Evidence", "DateRange",
                "AgeRange", "CatalogueOffence", "StatuteOffence", "literal"}


#: Error codes raised by nonpunish's own validators (stable, documented).
CUSTOM_CODES = frozenset({
    "unknown_fact", "fact_value", "unknown_offence", "act_before_birth", "act_in_future",
    "impossible_age", "date_range", "age_range", "age_source", "duplicate_count",
    "unknown_citation", "invalid_condition", "no_counts",
})


def _code_for(pydantic_type: str) -> str:
    if pydantic_type in CUSTOM_CODES:
        return pydantic_type
    if pydantic_type == "extra_forbidden":
        return "unknown_field"
    if pydantic_type == "missing":
        return "missing_field"
    if pydantic_type.startswith("value_error"):
        return "invalid_value"
    return "invalid_type" if pydantic_type.endswith(("_type", "_parsing")) else "invalid_value"


def as_mapping(doc: Document, what: str) -> Mapping[str, Any]:
    if not isinstance(doc.data, Mapping):
        raise FileFormatError(
            f"{what} must be a mapping of fields, not {type(doc.data).__name__}",
            code="not_a_mapping", location=doc.where(()),
        )
    return doc.data
