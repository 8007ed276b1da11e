"""The public API is thread-safe and keeps no state between calls that could leak from one
case into another."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import nonpunish

AS_OF = dt.date(2026, 11, 1)
S45 = "uk-ew/modern-slavery-act-2015/s45"


def _case(i: int) -> dict[str, object]:
    # Alternate children and adults, protected and not, listed and unlisted offences.
    offences = ["uk-ew/misuse-of-drugs-act-1971/s4-2", "uk-ew/common-law/murder",
                "uk-ew/identity-documents-act-2010/s4"]
    return {
        "case_id": f"case-{i}",
        "person": {"date_of_birth": "2000-01-01" if i % 2 else "1990-01-01"},
        "facts": {"victim_of_trafficking": True, "exploitation_types": ["forced_criminality"],
                  "compelled": bool(i % 3), "compulsion_is_exploitation_conduct": True,
                  "reasonable_person_no_realistic_alternative": True,
                  "act_direct_consequence_of_exploitation": bool(i % 5),
                  "reasonable_person_would_do_act": True},
        "counts": [{"offence": {"id": offences[i % 3]}, "act_date": "2016-06-01"}],
    }


def test_concurrent_evaluations_match_sequential_ones() -> None:
    cases = [_case(i) for i in range(300)]
    expected = [nonpunish.evaluate(c, S45, as_of=AS_OF).model_dump_json() for c in cases]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda c: nonpunish.evaluate(c, S45, as_of=AS_OF).model_dump_json(),
                            cases))
    assert got == expected
    assert len(set(expected)) > 3  # the cases really differ


def test_no_state_leaks_between_calls() -> None:
    first = nonpunish.evaluate(_case(1), S45, as_of=AS_OF)
    nonpunish.evaluate(_case(2), S45, as_of=AS_OF)
    again = nonpunish.evaluate(_case(1), S45, as_of=AS_OF)
    assert again == first
    assert again.case_id == "case-1"
