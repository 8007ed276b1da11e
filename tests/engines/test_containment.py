"""The durable adapter contains durable-rules' measured defects (docs/durable-rules.md).

Each test runs in a child process, so a regression that crashes the interpreter (several of
durable's defects are segfaults) fails one test instead of the whole run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# ``durable.lang``, not ``durable``: a bare folder named durable on sys.path would import.
durable = pytest.importorskip(
    "durable.lang",
    reason="durable-rules is not installed (optional extra 'durable'; it builds on Python "
    "3.10-3.12 only, with a C compiler)")

pytestmark = [pytest.mark.durable, pytest.mark.subprocess]

PRELUDE = textwrap.dedent("""
    import datetime as dt
    import itertools
    import random
    import sys
    import threading

    import nonpunish
    from nonpunish import _durable
    from nonpunish._durable import durable_engine, fnv1a32
    from nonpunish._engine import evaluate_nodes
    from nonpunish._errors import NonpunishError
    from nonpunish._ruleset import CompiledNode, CompiledVersion, Node

    S45 = "uk-ew/modern-slavery-act-2015/s45"
    AS_OF = dt.date(2026, 11, 1)
    cv = nonpunish.load_ruleset(S45).compiled[0]
    eng = durable_engine()

    def random_leaves(rnd):
        return {k: rnd.choice([True, False, None]) for k in cv.leaves}

    def check(version, leaves):
        got = eng.evaluate(version, leaves)
        want = evaluate_nodes(version.nodes, leaves)
        assert got == want, (leaves, got, want)

    def build(spec):
        src = Node(fact="compelled")
        nodes = tuple(CompiledNode(i, op, () if op == "leaf" else tuple(arg),
                                   arg if op == "leaf" else None, src, False, None)
                      for i, (op, arg) in enumerate(spec))
        leaves = tuple(dict.fromkeys(n.leaf for n in nodes if n.leaf is not None))
        root = len(nodes) - 1
        return CompiledVersion(cv.version, nodes, root, root, leaves, None, {}, {}, {}, None, None)

    def settled():
        assert _durable._live == {}, _durable._live
        assert _durable._poisoned == 0
        assert _durable._active is None
        assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
""")

CASES = textwrap.dedent("""
    FINDINGS = ["victim_of_trafficking", "victim_of_slavery", "compelled",
                "compulsion_is_exploitation_conduct",
                "compulsion_direct_consequence_of_exploitation",
                "act_direct_consequence_of_exploitation",
                "reasonable_person_no_realistic_alternative", "reasonable_person_would_do_act"]
    LEVELS = ["not_assessed", "no_evidence", "slight_indication", "evidence_raised",
              "balance_of_probabilities", "beyond_reasonable_doubt"]
    TYPES = ["forced_labour", "domestic_servitude", "sexual_exploitation", "organ_removal",
             "forced_criminality", "forced_begging", "use_of_child_or_vulnerable_person",
             "other"]
    OFFENCES = ["uk-ew/misuse-of-drugs-act-1971/s4-2", "uk-ew/common-law/murder",
                "uk-ew/theft-act-1968/s9"]

    def make_case(rnd, n):
        def finding():
            r = rnd.random()
            if r < 0.35:
                return rnd.choice([True, False])
            if r < 0.7:
                return {"evidence": rnd.choice(LEVELS), "disproved": rnd.random() < 0.2}
            return None
        facts = {f: v for f in FINDINGS if (v := finding()) is not None}
        if rnd.random() < 0.7:
            facts["exploitation_types"] = rnd.sample(TYPES, rnd.randint(0, 3))
        person = {}
        r = rnd.random()
        if r < 0.4:
            born = dt.date(rnd.randint(1985, 2008), rnd.randint(1, 12), rnd.randint(1, 28))
            person["date_of_birth"] = born.isoformat()
        elif r < 0.7:
            person["age_at_act"] = rnd.randint(12, 40)
        elif r < 0.85:
            lo = rnd.randint(12, 25)
            person["age_at_act"] = {"min": lo, "max": lo + rnd.randint(0, 4)}
        counts = []
        for i in range(rnd.randint(1, 3)):
            c = {"id": str(i + 1), "offence": {"id": rnd.choice(OFFENCES)}}
            if rnd.random() < 0.8:
                act = dt.date(rnd.randint(2016, 2025), rnd.randint(1, 12), rnd.randint(1, 28))
                c["act_date"] = act.isoformat()
            if rnd.random() < 0.3:
                burglary = "burglary_with_intent_to_cause_gbh_or_damage"
                c["facts"] = {burglary: rnd.choice([True, False])}
            counts.append(c)
        return {"case_id": f"case-{n}", "person": person, "facts": facts, "counts": counts}

    def strip(outcome):
        d = outcome.model_dump()
        d.pop("provenance")
        return d
""")


def run(code: str, *, extra: str = "", timeout: float = 120) -> str:
    """Run PRELUDE + extra + code in a fresh interpreter; it must exit 0. Returns stdout."""
    src = PRELUDE + extra + textwrap.dedent(code)
    out = subprocess.run([sys.executable, "-X", "faulthandler", "-c", src],
                         capture_output=True, text=True, timeout=timeout, check=False)
    assert out.returncode == 0, (f"child exited with {out.returncode}\n"
                                 f"stdout:\n{out.stdout[-2000:]}\nstderr:\n{out.stderr[-4000:]}")
    return out.stdout


def test_sessions_in_which_no_rule_but_the_sentinel_fires() -> None:
    # delete_state on a session where no action ran frees garbage: the sentinel prevents it.
    out = run("""
        fired = []
        real = _durable._run_session
        def spy(program, facts):
            derived = real(program, facts)
            fired.append(len(derived))
            return derived
        _durable._run_session = spy
        # Half of a two-pattern join: a session with facts in which no rule fires.
        half = build([("leaf", ("fact", "a")), ("leaf", ("fact", "b")), ("all", [0, 1])])
        for _ in range(500):
            check(half, {("fact", "a"): True})
            check(half, {("fact", "b"): True})
        # Every leaf unknown: no fact at all.
        for _ in range(500):
            assert eng.evaluate(cv, {}) == [None] * len(cv.nodes)
        assert set(fired) == {0}, set(fired)
        settled()
        print("ok", len(fired))
    """)
    assert out.split() == ["ok", "1500"]


def test_more_than_1024_sessions_in_a_row() -> None:
    # A ruleset holds at most 1,024 live sessions; the 1,025th is a MemoryError and a crash.
    out = run("""
        rnd = random.Random(1024)
        for i in range(3000):
            check(cv, random_leaves(rnd))
        settled()
        print("ok", i + 1)
    """)
    assert out.split() == ["ok", "3000"]


def test_sids_whose_hashes_collide_never_share_a_session() -> None:
    # durable finds sessions by the 32-bit FNV-1a hash of the sid alone.
    out = run("""
        assert fnv1a32("case-478212") == fnv1a32("case-1221200")
        host = _durable._load_host()
        program = _durable._bind(cv).program
        # A session that stays alive, holding a fact of its own.
        host.assert_fact(program.name, {"sid": "case-478212", "t": "start"})
        e = program.slot_elem[0]
        host.assert_fact(program.name, {"sid": "case-478212", "t": "el",
                                        "g": program.groups[e], "n": program.names[e],
                                        "v": True})
        _durable._live[fnv1a32("case-478212")] = "case-478212"
        before = sorted(map(repr, host.get_facts(program.name, "case-478212")))

        used = []
        real_new_sid = _durable._new_sid
        def spy():
            sid, h = real_new_sid()
            used.append(sid)
            return sid, h
        _durable._new_sid = spy
        candidates = itertools.chain(["case-1221200"], (f"case-{n}" for n in itertools.count()))
        _durable._sid_candidates = lambda: candidates
        rnd = random.Random(3)
        for _ in range(300):
            check(cv, random_leaves(rnd))
        assert "case-1221200" not in used, used[:3]
        assert used[0] == "case-0", used[:3]
        after = sorted(map(repr, host.get_facts(program.name, "case-478212")))
        assert before == after
        host.delete_state(program.name, "case-478212")
        del _durable._live[fnv1a32("case-478212")]

        # One after the other (never both alive), colliding sids are harmless.
        pairs = itertools.cycle(["case-478212", "case-1221200"])
        _durable._sid_candidates = lambda: pairs
        used.clear()
        for _ in range(300):
            check(cv, random_leaves(rnd))
        assert set(used) == {"case-478212", "case-1221200"}
        settled()
        print("ok")
    """)
    assert out.split() == ["ok"]


def test_an_action_that_raises_is_an_engine_error() -> None:
    # durable catches every exception in an action (even SystemExit) and only stores it.
    out = run("""
        rnd = random.Random(4)
        def boom(rule):
            raise RuntimeError("boom in " + rule)
        _durable._action_hook = boom
        for leaves in ({}, {k: True for k in cv.leaves}, random_leaves(rnd)):
            try:
                eng.evaluate(cv, leaves)
            except NonpunishError as e:
                assert e.code == "engine_error", e.code
                assert "boom in" in e.message, e.message
                assert isinstance(e.__cause__, RuntimeError)
            else:
                raise SystemExit("the exception was swallowed")
        settled()

        # Only one action among many fails (the third to run): still an error.
        calls = []
        def third(rule):
            calls.append(rule)
            if len(calls) == 3:
                raise ValueError("third " + rule)
        _durable._action_hook = third
        try:
            eng.evaluate(cv, {k: True for k in cv.leaves})
        except NonpunishError as e:
            assert e.code == "engine_error" and "third" in e.message, e
        else:
            raise SystemExit("swallowed")
        assert len(calls) > 3, calls  # the other rules still ran
        settled()

        # KeyboardInterrupt is passed on, not wrapped and not swallowed.
        def interrupt(rule):
            raise KeyboardInterrupt
        _durable._action_hook = interrupt
        try:
            eng.evaluate(cv, {})
        except KeyboardInterrupt:
            pass
        else:
            raise SystemExit("KeyboardInterrupt swallowed")
        settled()

        _durable._action_hook = None
        for _ in range(200):
            check(cv, random_leaves(rnd))
        settled()
        print("ok")
    """)
    assert out.split() == ["ok"]


def test_an_error_code_from_the_c_core_is_an_engine_error() -> None:
    # With the join limit lifted, a 20-pattern join fails at assert time with error 304.
    out = run("""
        _durable.MAX_JOIN = 20
        wide = build([("leaf", ("fact", f"x{i}")) for i in range(20)] + [("all", list(range(20)))])
        try:
            eng.evaluate(wide, {("fact", f"x{i}"): True for i in range(20)})
        except NonpunishError as e:
            assert e.code == "engine_error", e.code
            assert "304" in e.message, e.message
        else:
            raise SystemExit("no error")
        settled()
        _durable.MAX_JOIN = 16
        rnd = random.Random(5)
        for _ in range(200):
            check(cv, random_leaves(rnd))
        settled()
        print("ok")
    """)
    assert out.split() == ["ok"]


def test_eight_threads_through_the_public_api() -> None:
    # With durable's default Host, 8 threads on one ruleset segfaulted in 5 of 5 runs.
    out = run(extra=CASES, code="""
        rnd = random.Random(8)
        cases = [make_case(rnd, n) for n in range(200)]
        expected = [strip(nonpunish.evaluate(c, S45, as_of=AS_OF)) for c in cases]
        errors, done = [], [0] * 8
        def worker(t):
            try:
                for i in range(500):
                    k = (t * 61 + i) % len(cases)
                    got = nonpunish.evaluate(cases[k], S45, as_of=AS_OF, engine="durable")
                    assert got.provenance.engine == "durable"
                    if strip(got) != expected[k]:
                        errors.append(("wrong", t, k))
                    done[t] += 1
            except BaseException as e:
                errors.append((t, repr(e)))
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors[:5]
        settled()
        print("ok", sum(done))
    """)
    assert out.split() == ["ok", "4000"]


@pytest.mark.thorough
def test_memory_stays_flat_over_20000_evaluations() -> None:
    out = run("""
        def rss_kb():
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        rnd = random.Random(6)
        inputs = [random_leaves(rnd) for _ in range(500)]
        for i in range(2000):
            eng.evaluate(cv, inputs[i % 500])
        before = rss_kb()
        for i in range(20000):
            eng.evaluate(cv, inputs[i % 500])
        growth = rss_kb() - before
        settled()
        print("growth_kb", growth, "before_kb", before)
    """)
    growth_kb = int(out.split()[1])
    assert growth_kb < 20 * 1024, f"RSS grew by {growth_kb} kB over 20,000 evaluations"
