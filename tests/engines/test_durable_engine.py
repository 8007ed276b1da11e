"""The durable-rules engine gives exactly the reference evaluator's values, node by node."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

# ``durable.lang``, not ``durable``: a bare folder named durable on sys.path would import.
durable = pytest.importorskip(
    "durable.lang",
    reason="durable-rules is not installed (optional extra 'durable'; it builds on Python "
    "3.10-3.12 only, with a C compiler)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nonpunish  # noqa: E402
from nonpunish import _durable  # noqa: E402
from nonpunish._durable import DurableEngine, check_sid, durable_engine, fnv1a32  # noqa: E402
from nonpunish._engine import evaluate_nodes  # noqa: E402
from nonpunish._errors import NonpunishError  # noqa: E402
from nonpunish._ruleset import CompiledNode, CompiledVersion, LeafKey, Node  # noqa: E402

pytestmark = pytest.mark.durable

S45 = "uk-ew/modern-slavery-act-2015/s45"
AS_OF = dt.date(2026, 11, 1)
ROOT = Path(__file__).resolve().parents[2]
TRI = st.sampled_from([True, False, None])


def _s45() -> tuple[CompiledVersion, ...]:
    return nonpunish.load_ruleset(S45).compiled


# --- building synthetic versions -------------------------------------------------------------

Spec = list[tuple[str, Any]]  # (op, children) or ("leaf", key)


def build(spec: Spec) -> CompiledVersion:
    """A CompiledVersion from (op, children) / ("leaf", key) pairs; the last is the root."""
    src = Node(fact="compelled")
    nodes = []
    for i, (op, arg) in enumerate(spec):
        if op == "leaf":
            nodes.append(CompiledNode(i, "leaf", (), arg, src, False, None))
        else:
            nodes.append(CompiledNode(i, op, tuple(arg), None, src, False, None))
    parents: dict[int, list[int]] = {}
    for n in nodes:
        for ch in n.children:
            parents.setdefault(ch, []).append(n.index)
    leaves = tuple(dict.fromkeys(n.leaf for n in nodes if n.leaf is not None))
    root = len(nodes) - 1
    return CompiledVersion(_s45()[0].version, tuple(nodes), root, root, leaves, None, {},
                           {k: tuple(v) for k, v in parents.items()}, {}, None, None)


def agree(version: CompiledVersion, leaves: dict[LeafKey, bool | None]) -> None:
    got = durable_engine().evaluate(version, leaves)
    want = evaluate_nodes(version.nodes, leaves)
    assert got == want, {i: (g, w) for i, (g, w) in enumerate(zip(got, want, strict=True))
                         if g is not w}


def synthetic() -> CompiledVersion:
    """Wide AND and OR (20 children each: the 16-pattern join limit forces a split), a NOT,
    a child shared by two parents, a node that lists one child twice, and two leaf nodes with
    the same key."""
    spec: Spec = [("leaf", ("fact", f"x{i}")) for i in range(25)]            # 0..24
    spec.append(("leaf", ("fact", "x0")))                                    # 25: same key as 0
    spec.append(("all", list(range(20))))                                    # 26: AND of 20
    spec.append(("any", list(range(5, 25))))                                 # 27: OR of 20
    spec.append(("not", [26]))                                               # 28
    spec.append(("any", [0, 1]))                                             # 29: shared
    spec.append(("all", [29, 29, 2]))                                        # 30: child twice
    spec.append(("all", [29, 3]))                                            # 31: shares 29
    spec.append(("all", [0, 25]))                                            # 32: same leaf key
    spec.append(("any", [28, 27]))                                           # 33
    spec.append(("all", [33, 30, 31, 32]))                                   # 34: root
    return build(spec)


def wide() -> CompiledVersion:
    """300-wide AND and OR (nested splits, several name groups), and one leaf read by 300
    parents (more than one alpha test may serve: fanned out through copies)."""
    n = 300
    spec: Spec = [("leaf", ("fact", f"w{i}")) for i in range(n)]
    spec.append(("all", list(range(n))))       # n
    spec.append(("any", list(range(n))))       # n + 1
    first = len(spec)
    for i in range(1, n + 1):
        spec.append(("all", [0, i % n]) if i % 2 else ("not", [0]))
    spec.append(("any", [n, n + 1, *range(first, len(spec))]))
    return build(spec)


# --- unit tests of the pieces ----------------------------------------------------------------

def test_fnv1a32_matches_the_collisions_measured_in_durable() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("case-478212") == fnv1a32("case-1221200") == 0xA9F4DB48
    assert fnv1a32("f6059") == fnv1a32("f264602")


def test_check_sid_refuses_a_hash_collision_with_a_live_session() -> None:
    live = {fnv1a32("case-478212"): "case-478212"}
    with pytest.raises(NonpunishError) as err:
        check_sid("case-1221200", live)
    assert err.value.code == "engine_error"
    assert check_sid("case-1", live) == fnv1a32("case-1")


def test_sid_allocation_skips_candidates_that_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_durable, "_live", {fnv1a32("case-478212"): "case-478212"})
    monkeypatch.setattr(_durable, "_sid_candidates",
                        lambda: iter(["case-1221200", "case-478212", "case-7"]))
    assert _durable._new_sid() == ("case-7", fnv1a32("case-7"))


def test_names_never_share_a_hash() -> None:
    names = _durable._Names(("f6059",))
    other = names.claim("f264602")
    assert other != "f264602"
    assert fnv1a32(other) != fnv1a32("f6059")


def test_engine_is_a_singleton_named_durable() -> None:
    assert durable_engine() is durable_engine()
    assert durable_engine().name == "durable"
    assert isinstance(durable_engine(), DurableEngine)


def test_state_exception_is_raised() -> None:
    sess = _durable._Session("x")
    with pytest.raises(NonpunishError) as err:
        _durable._check_state({"sid": "x", "exception": "exception caught boom"}, sess)
    assert err.value.code == "engine_error"
    assert "boom" in err.value.message


def test_a_leaf_value_that_is_not_a_boolean_is_refused() -> None:
    cv = _s45()[0]
    with pytest.raises(TypeError):
        durable_engine().evaluate(cv, {cv.leaves[0]: 1})  # type: ignore[dict-item]


def test_rulesets_are_compiled_once_per_structure() -> None:
    a, b = synthetic(), synthetic()
    engine = durable_engine()
    engine.evaluate(a, {})
    engine.evaluate(b, {})
    assert _durable._bind(a).program is _durable._bind(b).program
    names = [p.name for p in _durable._programs.values()]
    assert len(names) == len(set(names))


def test_split_and_fan_out_respect_durable_limits() -> None:
    prog = _durable._bind(wide()).program
    desc, _ = _durable._describe(wide())
    elems, _, _, _ = _durable._plan(desc)
    users: dict[int, int] = {}
    for e in elems:
        assert len(e.children) <= _durable.MAX_JOIN
        for ch in e.children:
            users[ch] = users.get(ch, 0) + 1
    assert max(users.values()) <= _durable.MAX_FANOUT
    assert len(set(prog.groups) - {""}) > 1  # more names than one group holds
    assert prog.rules <= _durable.MAX_RULES


def test_no_background_timer_threads() -> None:
    # durable's default Host starts self-rescheduling timers that crash threaded use.
    durable_engine().evaluate(_s45()[0], {})
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_empty_and_or_and_a_tree_that_is_one_leaf() -> None:
    cv = build([("all", []), ("any", []), ("not", [0]), ("not", [1]), ("any", [0, 1, 2]),
                ("all", [0, 3])])
    agree(cv, {})
    assert durable_engine().evaluate(cv, {}) == [True, False, False, True, True, True]
    one = build([("leaf", ("fact", "only"))])
    for v in (True, False, None):
        agree(one, {("fact", "only"): v})


# --- agreement with the reference evaluator --------------------------------------------------

@pytest.mark.parametrize("index", range(len(_s45())))
def test_s45_every_two_valued_assignment(index: int) -> None:
    cv = _s45()[index]
    for values in itertools.product([True, False], repeat=len(cv.leaves)):
        agree(cv, dict(zip(cv.leaves, values, strict=True)))
    agree(cv, dict.fromkeys(cv.leaves))
    agree(cv, {})


@pytest.mark.parametrize("index", range(len(_s45())))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_s45_random_three_valued_assignments(index: int, data: st.DataObject) -> None:
    cv = _s45()[index]
    leaves = data.draw(st.fixed_dictionaries(dict.fromkeys(cv.leaves, TRI)))
    agree(cv, leaves)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_synthetic_wide_shared_and_duplicated(data: st.DataObject) -> None:
    cv = synthetic()
    # Bias towards mostly-true or mostly-false inputs, so the wide nodes become known.
    bias = data.draw(st.sampled_from([None, True, False]))
    value = TRI if bias is None else st.sampled_from([bias] * 8 + [not bias, None])
    agree(cv, data.draw(st.fixed_dictionaries(dict.fromkeys(cv.leaves, value))))


def test_synthetic_extremes() -> None:
    cv = synthetic()
    for v in (True, False, None):
        agree(cv, dict.fromkeys(cv.leaves, v))


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_wide_tree(data: st.DataObject) -> None:
    cv = wide()
    bias = data.draw(st.sampled_from([True, False]))
    value = st.sampled_from([bias] * 30 + [not bias, None])
    agree(cv, data.draw(st.fixed_dictionaries(dict.fromkeys(cv.leaves, value))))
    agree(cv, dict.fromkeys(cv.leaves, bias))


@st.composite
def dags(draw: st.DrawFn) -> Spec:
    keys = [("fact", f"k{i}") for i in range(draw(st.integers(1, 6)))]
    spec: Spec = []
    for i in range(draw(st.integers(1, 25))):
        if i == 0 or draw(st.integers(0, 3)) == 0:
            spec.append(("leaf", draw(st.sampled_from(keys))))
            continue
        op = draw(st.sampled_from(["all", "any", "not"]))
        earlier = st.integers(0, i - 1)
        if op == "not":
            spec.append((op, [draw(earlier)]))
        else:
            spec.append((op, draw(st.lists(earlier, min_size=0, max_size=20))))
    return spec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=dags(), data=st.data())
def test_random_dags(spec: Spec, data: st.DataObject) -> None:
    cv = build(spec)
    for _ in range(3):
        agree(cv, data.draw(st.fixed_dictionaries(dict.fromkeys(cv.leaves, TRI))))


# --- the whole pipeline ----------------------------------------------------------------------

def _without_provenance(outcome: nonpunish.Outcome) -> dict[str, Any]:
    d = outcome.model_dump()
    assert d.pop("provenance") is not None
    return d


def _same_both_ways(case: Any) -> None:
    ref = nonpunish.evaluate(case, S45, as_of=AS_OF, engine="reference")
    dur = nonpunish.evaluate(case, S45, as_of=AS_OF, engine="durable")
    assert dur.provenance.engine == "durable"
    assert ref.provenance.engine == "reference"
    assert _without_provenance(dur) == _without_provenance(ref)


ER = {"evidence": "evidence_raised"}
CASES: list[dict[str, Any]] = [
    {"person": {"age_at_act": 25},
     "facts": {"victim_of_slavery": True, "compelled": True,
               "compulsion_is_exploitation_conduct": True,
               "reasonable_person_no_realistic_alternative": ER},
     "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                 "act_date": "2019-05-01"}]},
    {"person": {"date_of_birth": "1990-01-01"},
     "facts": {"victim_of_trafficking": True, "exploitation_types": ["forced_labour"],
               "compelled": True, "compulsion_direct_consequence_of_exploitation": True,
               "reasonable_person_no_realistic_alternative": True},
     "counts": [{"id": "1", "offence": {"id": "uk-ew/common-law/murder"},
                 "act_date": "2020-02-02"},
                {"id": "2", "offence": {"id": "uk-ew/theft-act-1968/s9"},
                 "act_date": "2020-02-02",
                 "facts": {"burglary_with_intent_to_cause_gbh_or_damage": False}},
                {"id": "3", "offence": {"id": "uk-ew/theft-act-1968/s9"},
                 "act_date": "2020-02-02"}]},
    {"person": {"age_at_act": {"min": 16, "max": 19}},
     "facts": {"victim_of_trafficking": {"evidence": "slight_indication"},
               "exploitation_types": ["forced_criminality"],
               "act_direct_consequence_of_exploitation": ER,
               "reasonable_person_would_do_act": {"evidence": "balance_of_probabilities",
                                                  "disproved": True},
               "compelled": ER},
     "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"},
                 "act_date": {"earliest": "2016-01-01", "latest": "2017-12-31"}}]},
    {"facts": {}, "counts": [{"offence": {"id": "uk-ew/misuse-of-drugs-act-1971/s4-2"}}]},
    {"person": {"date_of_birth": {"earliest": "2000-01-01", "latest": "2001-12-31"}},
     "facts": {"victim_of_slavery": False, "victim_of_trafficking": False,
               "exploitation_types": []},
     "counts": [{"offence": {"id": "uk-ew/theft-act-1968/s9"}, "act_date": "2018-06-01",
                 "facts": {"compelled": False}}]},
]


def test_pipeline_example_file() -> None:
    _same_both_ways(ROOT / "examples" / "child-cannabis-farm.yaml")


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_pipeline_cases(case: dict[str, Any]) -> None:
    _same_both_ways(case)


@pytest.mark.subprocess
@pytest.mark.parametrize("failure", ["missing", "undefined-symbol"])
def test_unavailable_when_durable_cannot_be_imported(failure: str) -> None:
    code = textwrap.dedent(f"""
        import sys
        if {failure!r} == "missing":
            sys.modules["durable"] = None          # import durable -> ModuleNotFoundError
        else:
            class Broken:                         # what Python 3.13 shows
                def find_spec(self, name, path=None, target=None):
                    if name == "durable_rules_engine":
                        raise OSError("undefined symbol: PyEval_CallObject")
            sys.meta_path.insert(0, Broken())
        import nonpunish
        from nonpunish._durable import durable_engine
        from nonpunish import EngineUnavailableError
        for call in (durable_engine,
                     lambda: nonpunish.evaluate({{"counts": [{{"offence": {{"id":
                         "uk-ew/theft-act-1968/s9"}}}}]}},
                         "{S45}", engine="durable")):
            try:
                call()
            except EngineUnavailableError as e:
                assert e.code == "engine_unavailable", e.code
                print("unavailable:", e.message)
            else:
                raise SystemExit("no error")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("unavailable: ") for line in lines)
    expected = "not installed" if failure == "missing" else "undefined symbol"
    assert all(expected in line for line in lines), lines
