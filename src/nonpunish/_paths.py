"""Where the shipped rulesets live: inside the installed package, or in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def shipped_root() -> Path:
    """The folder holding the shipped rulesets, the fact vocabulary and offence catalogues."""
    here = Path(__file__).resolve().parent
    installed = here / "rulesets"
    if installed.is_dir():
        return installed
    # An editable install or a source checkout: the rulesets sit at the project's top level.
    checkout = here.parent.parent / "rulesets"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("nonpunish's shipped rulesets are missing from this installation")
