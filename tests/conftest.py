"""Shared test configuration: Hypothesis profiles and a few session fixtures.

Profiles:

* ``ci``: loaded when the ``CI`` environment variable is set (CI runs set ``CI=true``).
  Modest example counts so the whole property suite runs in well under two minutes on two
  cores (about 15 s when it passes); no deadline (shared runners are noisy); failures print
  a reproduction blob, and are shrunk but not "explained" (that phase is slow).
* ``dev``: the local default, more examples.
* ``default``: Hypothesis's own example count, without a deadline.

``HYPOTHESIS_PROFILE`` names a profile explicitly (it is ignored when ``CI`` is set, so a CI
job cannot be slowed down by a stray variable).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, Phase, settings

import nonpunish
from strategies import AS_OF

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    # No "explain" phase: it can add tens of seconds to a failing run; shrinking stays.
    phases=[p for p in Phase if p is not Phase.explain],
)
settings.register_profile(
    "dev",
    max_examples=250,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("default", deadline=None)

settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE",
                                                                         "dev"))

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
