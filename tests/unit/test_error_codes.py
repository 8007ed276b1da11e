"""Every error code the library can raise is documented, and every documented code exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
#: Codes made from pydantic's own error types (see nonpunish._files._code_for).
FROM_PYDANTIC = {"unknown_field", "missing_field", "invalid_value", "invalid_type"}


def _raised_codes() -> set[str]:
    codes = set(FROM_PYDANTIC)
    for path in (ROOT / "src" / "nonpunish").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r'code\s*=\s*"([a-z_]+)"', r'ErrorDetail\(\s*"([a-z_]+)"',
                        r'_detail\(\s*"([a-z_]+)"', r'PydanticCustomError\(\s*"([a-z_]+)"',
                        r'_raise_validation\(exc, doc, "([a-z_]+)"\)'):
            codes |= set(re.findall(pattern, text))
    return codes


def _documented_codes() -> set[str]:
    """The codes in the first column of the tables in docs/errors.md."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    codes: set[str] = set()
    for first_cell in re.findall(r"^\| ([^|]+) \|", text, re.M):
        codes |= set(re.findall(r"`([a-z_]+)`", first_cell))
    return codes


def test_every_raised_code_is_documented() -> None:
    missing = _raised_codes() - _documented_codes()
    assert not missing, f"undocumented error codes: {sorted(missing)}"


def test_every_documented_code_is_raised() -> None:
    stale = _documented_codes() - _raised_codes()
    assert not stale, f"documented codes nothing raises: {sorted(stale)}"


def test_custom_codes_are_all_raised() -> None:
    from nonpunish._files import CUSTOM_CODES

    assert set(CUSTOM_CODES) <= _raised_codes()
