"""Calendar rules for ages: anniversaries, and 29 February birthdays."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nonpunish._dates import age_on, anniversary, birthday_of_age, leap_day_matters

D = dt.date


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (D(2000, 3, 14), D(2018, 3, 13), 17),
        (D(2000, 3, 14), D(2018, 3, 14), 18),
        (D(2000, 2, 29), D(2018, 2, 28), 17),  # common year: birthday taken as 1 March
        (D(2000, 2, 29), D(2018, 3, 1), 18),
        (D(2000, 2, 29), D(2016, 2, 29), 16),  # leap year: the real birthday
        (D(2000, 2, 29), D(2016, 2, 28), 15),
        (D(2000, 12, 31), D(2001, 1, 1), 0),
    ],
)
def test_age_on(born: dt.date, day: dt.date, age: int) -> None:
    assert age_on(born, day) == age


def test_leap_day_anniversary_is_first_of_march_in_common_years() -> None:
    assert anniversary(D(2000, 2, 29), 2018) == D(2018, 3, 1)
    assert anniversary(D(2000, 2, 29), 2020) == D(2020, 2, 29)
    assert birthday_of_age(D(2000, 2, 29), 18) == D(2018, 3, 1)


def test_leap_day_matters_only_when_the_range_holds_28_february() -> None:
    born = D(2000, 2, 29)
    assert leap_day_matters(born, 18, D(2018, 2, 28), D(2018, 2, 28))
    assert not leap_day_matters(born, 18, D(2018, 3, 1), D(2018, 3, 1))
    assert not leap_day_matters(D(2000, 3, 1), 18, D(2018, 2, 28), D(2018, 2, 28))
    assert not leap_day_matters(D(1996, 2, 29), 20, D(2016, 2, 28), D(2016, 2, 28))  # leap


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2030, 12, 31)),
       st.integers(min_value=1, max_value=90))
def test_birthday_of_age_is_the_first_day_of_that_age(born: dt.date, age: int) -> None:
    day = birthday_of_age(born, age)
    assert age_on(born, day) == age
    assert age_on(born, day - dt.timedelta(days=1)) == age - 1
