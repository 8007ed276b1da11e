"""Cases hold criminal-record and special-category data: the library logs none of it, and an
outcome repeats only what its reasoning needs (an age, not a date of birth)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

import nonpunish

CASE = {
    "case_id": "client-0042",
    "person": {"date_of_birth": "1999-05-17"},
    "facts": {"victim_of_trafficking": True, "exploitation_types": ["sexual_exploitation"],
              "compelled": {"evidence": "evidence_raised", "source": "statement of Ms X"}},
    "counts": [{"offence": {"id": "uk-ew/street-offences-act-1959/s1"},
                "act_date": "2019-02-03"}],
}


def test_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        outcome = nonpunish.evaluate(CASE, "uk-ew/modern-slavery-act-2015/s45",
                                     as_of=dt.date(2026, 11, 1))
        nonpunish.render(outcome, "text", "nl")
    assert caplog.records == []


def test_outcome_repeats_the_age_not_the_date_of_birth() -> None:
    outcome = nonpunish.evaluate(CASE, "uk-ew/modern-slavery-act-2015/s45",
                                 as_of=dt.date(2026, 11, 1))
    text = outcome.model_dump_json()
    assert "1999-05-17" not in text
    assert "statement of Ms X" not in text  # evidence sources stay with the case
    ages = [f.given for e in outcome.counts[0].elements for f in e.facts
            if f.fact == "age_at_act"]
    assert ages and all(a == 19 for a in ages)
