"""Shared test configuration: Hypothesis profiles, the ``--thorough`` flag, and a few session
fixtures.

Two runs, one flag apart:

* ``python -m pytest`` (the README's test command): the ``quick`` profile, modest example
  counts so the whole suite passes in a few minutes on two cores. Tests marked ``thorough``
  (soaks, very large tables) are skipped, and say so.
* ``python -m pytest --thorough``: the ``thorough`` profile, twice the examples with
  Hypothesis's "explain" phase, and the tests marked ``thorough``. CI runs both.

Every profile has no deadline (shared machines are noisy) and prints a reproduction blob on
failure. ``ci`` is another name for ``quick``. ``HYPOTHESIS_PROFILE`` names a profile
explicitly; ``--thorough`` wins over it.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, Phase, settings

import nonpunish
from strategies import AS_OF

_QUICK = settings(
    max_examples=150,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    # No "explain" phase: it can add tens of seconds to a failing run; shrinking stays.
    phases=[p for p in Phase if p is not Phase.explain],
)
settings.register_profile("quick", _QUICK)
settings.register_profile("ci", _QUICK)
settings.register_profile("thorough", max_examples=300, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("default", deadline=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--thorough", action="store_true",
                     help="nonpunish: more Hypothesis examples, and the long soak and "
                     "large-table runs (tests marked thorough)")


def pytest_configure(config: pytest.Config) -> None:
    # Before collection: strategies.per_ruleset reads the profile's example count when the
    # test modules are imported.
    thorough = config.getoption("--thorough")
    settings.load_profile("thorough" if thorough else os.environ.get("HYPOTHESIS_PROFILE",
                                                                      "quick"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--thorough"):
        return
    skip = pytest.mark.skip(reason="a long run: `python -m pytest --thorough` runs it")
    for item in items:
        if "thorough" in item.keywords:
            item.add_marker(skip)


S45 = "uk-ew/modern-slavery-act-2015/s45"


@pytest.fixture(scope="session")
def as_of() -> dt.date:
    return AS_OF


@pytest.fixture(scope="session")
def s45() -> nonpunish.Ruleset:
    return nonpunish.load_ruleset(S45)


@pytest.fixture(scope="session")
def ruleset_ids() -> list[str]:
    return [info.id for info in nonpunish.list_rulesets()]
