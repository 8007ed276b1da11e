"""Reading JSON and YAML safely, keeping line numbers for error messages.

YAML is read with PyYAML's safe loader, and three things are refused outright because rule
files and cases are data: tags (``!!python/object``, or any explicit tag), anchors and aliases
(which also rules out "billion laughs" alias bombs), and duplicate keys. Every value keeps the
line it came from, so a validation error can name ``file:line``.
"""

from __future__ import annotations

import json
import re
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
    """A parsed document: its data, its source name and the line of each value.

    For JSON the line map is worked out only when an error needs it (``json_text``)."""

    __slots__ = ("_json_text", "data", "lines", "source")

    def __init__(self, data: Any, source: str, lines: dict[Path_, int] | None = None,
                 json_text: str | None = None) -> None:
        self.data = data
        self.source = source
        self.lines = lines or {}
        self._json_text = json_text

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the value at ``path``, or of its nearest ancestor that has one."""
        if self._json_text is not None:
            text, self._json_text = self._json_text, None
            self.lines = _json_lines(text)
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
    """Safe loader; anchors, aliases and explicit tags are rejected before composing.

    Booleans are only ``true`` and ``false`` (as in YAML 1.2 and JSON): YAML 1.1 also reads
    ``yes``, ``no``, ``on`` and ``off`` as booleans, which would silently turn an answer
    typed as "no" into a finding."""


_NoAliasSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_NoAliasSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def _json_lines(text: str) -> dict[Path_, int]:
    """Lines of the values of a JSON text, read with the YAML composer (JSON is YAML);
    empty if that fails, as line numbers only improve a message."""
    try:
        loader = _NoAliasSafeLoader(text)
        try:
            node = loader.get_single_node()
            lines: dict[Path_, int] = {}
            if node is not None:
                _build(node, loader, "<json>", (), lines, 0)
            return lines
        finally:
            loader.dispose()
    except (yaml.YAMLError, FileFormatError, RecursionError):
        return {}


def _check_events(text: str, source: str) -> None:
    depth = 0  # open collections; checked here because PyYAML's composer recurses
    for event in yaml.parse(text, Loader=_NoAliasSafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.NodeEvent) and depth > MAX_DEPTH:
            raise FileFormatError(
                f"document nested deeper than {MAX_DEPTH} levels",
                code="too_deep",
                location=f"{source}:{line}",
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
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
            key = _construct(key_node, loader, source)
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
    return _construct(node, loader, source)


def _construct(node: yaml.Node, loader: yaml.SafeLoader, source: str) -> Any:
    """A scalar's value. PyYAML raises a bare ValueError for a scalar that looks like a
    timestamp but is not a real one (``2000-13-45``); report it with its line."""
    try:
        return loader.construct_object(node)
    except (ValueError, OverflowError) as exc:
        # The value itself is not repeated: it may be a case fact (a date of birth).
        raise FileFormatError(
            f"invalid value: {exc}",
            code="yaml_value",
            location=f"{source}:{node.start_mark.line + 1}",
        ) from None


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
    """Parse JSON text into a :class:`Document`."""
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise FileFormatError(f"duplicate key {key!r}", code="duplicate_key",
                                      location=source)
            result[key] = value
        return result

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"malformed JSON: {exc.msg}", code="json_syntax", location=f"{source}:{exc.lineno}"
        ) from None
    except RecursionError:
        raise FileFormatError(
            "JSON nested too deeply", code="too_deep", location=source
        ) from None
    return Document(data, source, json_text=text)


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
        text = raw.decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            f"file is not UTF-8 text (first bad byte at offset {exc.start})",
            code="file_encoding", location=f"{p}:{line}",
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


_NO_DATA: Any = object()


def _is_tag(part: str | int) -> bool:
    """Whether a part of a pydantic error path names a union member or a validator, not a
    field: ``bool``, ``list[str]``, ``constrained-int``, ``function-after[...]``, ``AgeRange``."""
    return isinstance(part, str) and (
        part in _UNION_NAMES or "[" in part or part.startswith(("function-", "constrained-"))
        or part[:1].isupper())


def _split_loc(loc: Sequence[str | int], data: Any) -> tuple[list[str | int], int | None]:
    """The real field path of an error, and where in it a union was entered (or None).

    Where the input is known, a part that is a key (or index) of the input is a field even if
    it looks like a union tag (a field called ``date``)."""
    out: list[str | int] = []
    union_at: int | None = None
    node = data
    known = data is not _NO_DATA
    for part in loc:
        if known and isinstance(node, Mapping) and part in node:
            out.append(part)
            node = node[part]
            continue
        if (known and isinstance(node, list) and isinstance(part, int)
                and 0 <= part < len(node)):
            out.append(part)
            node = node[part]
            continue
        if _is_tag(part):
            if union_at is None:
                union_at = len(out)
            continue
        out.append(part)
        known = False
    return out, union_at


def _is_mismatch(pydantic_type: str) -> bool:
    """The input is not of the member's type at all (so that member was not what was meant)."""
    return pydantic_type.endswith(("_type", "_parsing")) or pydantic_type in (
        "is_instance_of", "literal_error", "enum")


def _clean_msg(msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    return re.sub(r"a valid dictionary or instance of (\w+)", r"a mapping (\1)", msg)


def details_from_validation(exc: ValidationError, doc: Document | None,
                            prefix: Sequence[str | int] = (), *,
                            data: Any = _NO_DATA) -> list[ErrorDetail]:
    """Turn a pydantic ValidationError into details naming the field (and file:line).

    ``data`` is the validated input (``doc.data`` by default), used to tell fields from the
    union-member names pydantic puts in error paths. Where a value matches none of a union's
    members, the members that clearly did not apply are folded into one message, so a
    reader sees one problem per field, not one per member.
    """
    if data is _NO_DATA and doc is not None:
        data = doc.data

    def location(full: list[str | int]) -> str:
        field = _loc_text(full) or "(document)"
        if doc is None:
            return field
        line = doc.line_of(full)
        return f"{doc.source}:{line} ({field})" if line else f"{doc.source} ({field})"

    # Each slot is one plain error, or the errors of one union at one field.
    slots: list[list[tuple[dict[str, Any], list[str | int], int | None]]] = []
    unions: dict[tuple[str | int, ...], int] = {}
    for err in exc.errors(include_url=False):
        loc, union_at = _split_loc(err["loc"], data)
        full = [*prefix, *loc]
        entry = (dict(err), full, None if union_at is None else union_at + len(prefix))
        if union_at is None:
            slots.append([entry])
            continue
        key = tuple(full[: len(prefix) + union_at])
        if key not in unions:
            unions[key] = len(slots)
            slots.append([])
        slots[unions[key]].append(entry)

    details: list[ErrorDetail] = []
    for slot in slots:
        at = slot[0][2]
        if len(slot) > 1 and at is not None:
            # Keep the members the input was meant for: it got past their type check.
            meant = [e for e in slot if len(e[1]) > at or not _is_mismatch(e[0]["type"])]
            if not meant:
                seen: list[str] = []
                for e in slot:
                    m = _clean_msg(e[0]["msg"]).removeprefix("Input should be ")
                    if m not in seen:
                        seen.append(m)
                details.append(ErrorDetail(
                    code="invalid_type", message="Input should be one of: " + "; ".join(seen),
                    location=location(slot[0][1][:at])))
                continue
            slot = meant
        for one, path, _ in slot:
            msg = "unknown field" if one["type"] == "extra_forbidden" else _clean_msg(one["msg"])
            details.append(ErrorDetail(code=_code_for(one["type"]), message=msg,
                                       location=location(path)))
    return details


_UNION_NAMES = {"bool", "str", "int", "float", "date", "datetime", "dict", "list", "tuple",
                "none", "literal"}


#: Error codes raised by nonpunish's own validators (stable, documented).
CUSTOM_CODES = frozenset({
    "unknown_fact", "fact_value", "unknown_offence", "act_before_birth", "act_in_future",
    "impossible_age", "date_range", "age_source", "duplicate_count",
    "invalid_condition", "no_counts", "missing_citation", "missing_label",
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
    """The document's data, which must be a mapping; an empty document says so."""
    if doc.data is None:
        raise FileFormatError(
            f"the file is empty (or holds only comments); expected {what}",
            code="empty_file", location=doc.source,
        )
    if not isinstance(doc.data, Mapping):
        raise FileFormatError(
            f"{what} must be a mapping of fields, not {type(doc.data).__name__}",
            code="not_a_mapping", location=doc.where(()),
        )
    return doc.data
