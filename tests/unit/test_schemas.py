"""The JSON Schemas shipped in schemas/ are the ones the code produces (regenerate them with
``nonpunish schema --output schemas``), and they describe real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nonpunish

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("name", ["case", "outcome", "ruleset"])
def test_shipped_schema_is_current(name: str) -> None:
    shipped = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert shipped == nonpunish.json_schemas()[name], (
        f"schemas/{name}.schema.json is stale: run `nonpunish schema --output schemas`")


def test_ruleset_schema_names_the_format_fields() -> None:
    props = nonpunish.ruleset_json_schema()["properties"]
    for field in ("schema", "id", "kind", "legal_effect", "status", "burden", "temporal",
                  "versions", "caveats"):
        assert field in props


def test_case_schema_requires_counts() -> None:
    schema = nonpunish.case_json_schema()
    assert "counts" in schema["required"]
