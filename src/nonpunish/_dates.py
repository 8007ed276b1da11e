"""Calendar rules for ages and for dates known only as a range.

Age is counted in whole years by calendar anniversaries. For a person born on 29 February,
the anniversary in a common year is taken to be 1 March: a person born on 29 February 2000
turns 18 on 1 March 2018. That is the rule of the Age of Legal Capacity (Scotland) Act 1991
s.6(2); no such statutory rule for England and Wales was found, so outcomes that turn on it
say so in a caveat (see ``leap_day_matters``).
"""

from __future__ import annotations

import calendar
import datetime as dt

#: Lower bound for an open-ended date range ("before 28 June 2015").
EARLIEST = dt.date(1900, 1, 1)


def anniversary(born: dt.date, year: int) -> dt.date:
    """The date in ``year`` on which a person born on ``born`` has a birthday."""
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return dt.date(year, 3, 1)
    return born.replace(year=year)


def age_on(born: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day`` (negative if ``day`` is before birth).

    Comparing (month, day) keeps the rule above: on 28 February of a common year a person
    born on 29 February has not had their birthday, and on 1 March they have."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birthday_of_age(born: dt.date, age: int) -> dt.date:
    """The first day on which the person is ``age`` years old."""
    return anniversary(born, born.year + age)


def born_on_leap_day(born: dt.date) -> bool:
    return born.month == 2 and born.day == 29


def leap_day_matters(born: dt.date, threshold: int, lo: dt.date, hi: dt.date) -> bool:
    """True if ``born`` is 29 February and reading the common-year birthday as 28 February
    instead of 1 March would change which side of ``threshold`` an act in [lo, hi] falls."""
    if not born_on_leap_day(born):
        return False
    year = born.year + threshold
    if calendar.isleap(year):
        return False
    feb28 = dt.date(year, 2, 28)
    return lo <= feb28 <= hi


def fmt(day: dt.date) -> str:
    return day.isoformat()
