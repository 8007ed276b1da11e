"""The one exception hierarchy of nonpunish.

::

    NonpunishError                 every error the library raises on purpose
    ├── InputError                 a caller's input is wrong (a case, a table, a path)
    │   ├── CaseError              a case fails validation (field named in ``location``)
    │   └── FileFormatError        a file is not well-formed JSON or YAML (file and line)
    ├── RulesetError               a ruleset, list or catalogue is invalid (file and line)
    ├── UnknownRulesetError        no ruleset with that id (or an id that is not a name)
    └── EngineUnavailableError     the requested engine cannot run here

Every error carries a stable ``code`` (documented in the error reference) and, where it
can, a ``location``: ``file:line`` for files, a dotted field path for cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorDetail:
    """One problem found in an input: where, what, and its stable code."""

    code: str
    message: str
    location: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message} [{self.code}]"


@dataclass
class NonpunishError(Exception):
    """Base class. ``code`` is stable across releases; ``details`` lists every problem."""

    message: str
    code: str = "error"
    location: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.message} [{self.code}]"
        extra = [str(d) for d in self.details[1:]]
        if extra:
            text += "; also: " + "; ".join(extra)
        return text

    def one_line(self) -> str:
        """The error as one line, for a command line or a log that must not hold case facts."""
        return str(self).replace("\n", " ")


class InputError(NonpunishError):
    """A caller's input is not acceptable."""


class CaseError(InputError):
    """A case (or a count in it) fails validation."""


class FileFormatError(InputError):
    """A file is not well-formed: bad JSON or YAML, a YAML tag, anchor or alias."""


class RulesetError(NonpunishError):
    """A ruleset, exclusion list, offence catalogue or fact vocabulary is invalid."""


class UnknownRulesetError(NonpunishError):
    """No ruleset has that id, or the id is not a valid ruleset name."""


class EngineUnavailableError(NonpunishError):
    """The requested evaluation engine is not installed or cannot run on this Python."""
