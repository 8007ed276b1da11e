"""The durable-rules engine: the same three-valued evaluation, done by a Rete network.

durable-rules 2.0.28 (the optional extra ``durable``) has sharp edges that crash the process
or give wrong answers when it is used naively; the documentation page "The durable-rules
engine" (``docs/durable-rules.md``) lists the measured ones and the rules this adapter follows
to contain them. What it does, and why:

*Encoding.* Every element (a leaf, a node of the tree, or a synthetic node added here) is a
name. Its value is a fact ``{"t": "el", "g": GROUP, "n": NAME, "v": true|false}``, asserted
only when the value is known, so *unknown* is "neither fact derived". Each non-leaf element
gets rules that derive its true fact and its false fact from its children's facts:

=======  ====================================  ====================================
op       true fact                             false fact
=======  ====================================  ====================================
all      one join over the children's true     one single-pattern rule per child's
         facts                                 false fact
any      one single-pattern rule per child's   one join over the children's false
         true fact                             facts
not      the child's false fact                the child's true fact
=======  ====================================  ====================================

``m$not`` is never used (durable decides negation once, too early). Rule-level ``any`` is
not used either: measured here, a rule-level ``any`` over *k* patterns that all match fires
2**k - 1 times (65,535 times for 16), so "one single-pattern rule per child" replaces it.

*Limits, enforced at compile time.* Children are deduplicated (one fact fills only one
pattern of a rule). Joins of more than 16 patterns fail at assert time (error 304), so wide
nodes are split into nested synthetic nodes of the same operator. One alpha test shared by
256 or more rules crashed the process (255 works, 257 is error 108), so an element with many
parents is fanned out through synthetic copies (at most :data:`MAX_FANOUT` consumers each).
More than 511 sibling tests under one test hangs durable, so names are grouped under ``g``
(at most :data:`GROUP_SIZE` names a group). At most 4,096 rules. Durable identifies field
names, and very likely string values, by a 32-bit FNV-1a hash, so every string this module
puts into a ruleset is chosen so that no two hash alike.

*Sessions.* One short-lived session per evaluation, with a fresh sid whose FNV-1a hash is
checked against the sids still alive (sessions are found by that hash alone). A sentinel fact
``{"t": "start"}`` is asserted first and a sentinel rule always fires on it: ``delete_state``
on a session in which no action ran frees uninitialised pointers. Only facts some rule
references are asserted. Every action is its own one-parameter closure that records its own
firing, catches ``MessageObservedException`` / ``MessageNotHandledException``, and records
any other exception. After every call the state's ``exception`` is checked; errors become
:class:`NonpunishError` with code ``engine_error``. ``delete_state`` runs in a ``finally``.

*Process-wide state.* One :class:`durable.engine.Host` subclass with its background timer
threads turned off (they crash the process when several threads use one ruleset), one
module-level lock around everything that touches it (so never more than one live session),
and each ruleset registered once per process under a name derived from the sha256 of its
structure.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any

from ._engine import Tri
from ._errors import EngineUnavailableError, NonpunishError
from ._ruleset import CompiledVersion, LeafKey

MAX_JOIN = 16
"""Most patterns in one join (durable: 17 or more fail at assert time, error 304)."""

MAX_FANOUT = 128
"""Most rules that test one element's fact (durable: 256 rules on one test crashed)."""

GROUP_SIZE = 100
"""Most element names in one group (durable: over 511 sibling tests hang)."""

MAX_RULES = 4096
"""Most rules in one ruleset (durable: error 106 above this)."""

MAX_POISONED = 16
"""Sessions left undeleted after a failed start before the engine refuses to go on."""

_ENCODING = 1
"""Bump when the encoding changes, so ruleset names change with it."""

_FIELDS = ("t", "g", "n", "v")
_INTERNAL = ("sid", "id", "$s")  # fields of durable's own per-session state fact
_EL = "el"
_START = "start"

_action_hook: Callable[[str], None] | None = None
"""Test seam: when set, every action calls it with its rule name ("start" for the sentinel)
before doing its work, so a test can make an action raise. Never set outside tests."""


# --- hashing ---------------------------------------------------------------------------------

def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash of ``text`` (UTF-8), as durable computes it."""
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


class _Names:
    """Hands out strings whose FNV-1a hashes are all different."""

    def __init__(self, reserved: tuple[str, ...]) -> None:
        self.hashes: dict[int, str] = {}
        for name in reserved:
            if self.claim(name) != name:
                raise NonpunishError(f"reserved durable names collide: {name!r}",
                                     code="engine_error")

    def claim(self, base: str) -> str:
        name = base
        k = 0
        while fnv1a32(name) in self.hashes:
            k += 1
            name = f"{base}_{k}"
        self.hashes[fnv1a32(name)] = name
        return name


def check_sid(sid: str, live: Mapping[int, str]) -> int:
    """The FNV-1a hash of ``sid``; raises if it equals the hash of a live session's sid."""
    h = fnv1a32(sid)
    other = live.get(h)
    if other is not None:
        raise NonpunishError(
            f"session id {sid!r} hashes like live session {other!r} (FNV-1a {h:#010x}); "
            "durable-rules would mix their facts", code="engine_error")
    return h


# --- compiling a version into a durable ruleset ----------------------------------------------

@dataclass
class _Elem:
    op: str  # "leaf" | "all" | "any" | "not" | "const"
    children: list[int]
    name: str = ""
    group: str = ""


@dataclass(frozen=True)
class _Program:
    """A compiled durable ruleset, shared by every version with the same structure."""

    name: str
    n_elems: int
    groups: tuple[str, ...]
    names: tuple[str, ...]
    consumed: tuple[bool, ...]  # some rule tests this element's facts
    slot_elem: tuple[int, ...]  # leaf slot -> element
    node_elem: tuple[int, ...]  # compiled node -> element
    node_slot: tuple[int, ...]  # compiled node -> leaf slot, or -1
    rules: int


@dataclass(frozen=True)
class _Bound:
    program: _Program
    slot_keys: tuple[LeafKey, ...]


def _describe(version: CompiledVersion) -> tuple[list[Any], tuple[LeafKey, ...]]:
    """A canonical, JSON-able description of the DAG (leaves as slots) and the slot keys."""
    slots: dict[Any, int] = {}
    desc: list[Any] = []
    for i, node in enumerate(version.nodes):
        if node.index != i:
            raise NonpunishError(f"compiled node {i} has index {node.index}",
                                 code="engine_error")
        if node.op == "leaf":
            slot = slots.setdefault(node.leaf, len(slots))
            desc.append(["leaf", slot])
        elif node.op in ("all", "any", "not"):
            for ch in node.children:
                if not 0 <= ch < i:
                    raise NonpunishError(f"compiled node {i} has child {ch}, which is not an "
                                         "earlier node", code="engine_error")
            if node.op == "not" and not node.children:
                raise NonpunishError(f"`not` node {i} has no child", code="engine_error")
            desc.append([node.op, list(node.children)])
        else:
            raise NonpunishError(f"unknown node operator {node.op!r}", code="engine_error")
    return desc, tuple(slots)


def _plan(desc: list[Any]) -> tuple[list[_Elem], list[int], list[int], list[int]]:
    """Elements for a description: leaf slots, tree nodes, and synthetic nodes."""
    elems: list[_Elem] = []
    slot_elem: dict[int, int] = {}
    node_elem: list[int] = []
    node_slot: list[int] = []
    const: list[int] = []

    def new(op: str, children: list[int]) -> int:
        elems.append(_Elem(op, children))
        return len(elems) - 1

    def constant_true() -> int:
        if not const:
            const.append(new("const", []))
        return const[0]

    for entry in desc:
        op = entry[0]
        if op == "leaf":
            slot = entry[1]
            if slot not in slot_elem:
                slot_elem[slot] = new("leaf", [])
            node_elem.append(slot_elem[slot])
            node_slot.append(slot)
            continue
        node_slot.append(-1)
        children = list(dict.fromkeys(node_elem[c] for c in entry[1]))
        if op == "not":
            # Like the reference evaluator: the first child.
            node_elem.append(new("not", [node_elem[entry[1][0]]]))
            continue
        if not children:
            # all() is true; any() is false.
            k = constant_true()
            node_elem.append(new("all", [k]) if op == "all" else new("not", [k]))
            continue
        # Split wide nodes into nested nodes of the same operator (associative in Kleene
        # logic), so that no join has more than MAX_JOIN patterns.
        while len(children) > MAX_JOIN:
            chunks = [children[i:i + MAX_JOIN] for i in range(0, len(children), MAX_JOIN)]
            children = [ch[0] if len(ch) == 1 else new(op, ch) for ch in chunks]
        node_elem.append(new(op, children))

    # Fan out elements that too many rules would test, through identity copies.
    while True:
        consumers: dict[int, list[int]] = {}
        for j, e in enumerate(elems):
            for ch in e.children:
                consumers.setdefault(ch, []).append(j)
        wide = [(c, users) for c, users in consumers.items() if len(users) > MAX_FANOUT]
        if not wide:
            break
        for child, users in wide:
            for i in range(0, len(users), MAX_FANOUT):
                relay = new("all", [child])
                for user in users[i:i + MAX_FANOUT]:
                    u = elems[user]
                    u.children = [relay if ch == child else ch for ch in u.children]
    slots = [slot_elem[s] for s in range(len(slot_elem))]
    return elems, slots, node_elem, node_slot


class _Compiled:
    def __init__(self, program: _Program, rules: dict[str, dict[str, Any]]) -> None:
        self.program = program
        self.rules = rules


def _compile(desc: list[Any], name: str) -> _Compiled:
    elems, slot_elem, node_elem, node_slot = _plan(desc)
    names = _Names((*_FIELDS, *_INTERNAL, _EL, _START, "m"))
    aliases = [names.claim(f"a{k}") for k in range(MAX_JOIN)]
    consumed = [False] * len(elems)
    for e in elems:
        for ch in e.children:
            consumed[ch] = True
    group_names: dict[int, str] = {}
    n_named = 0
    for j, e in enumerate(elems):
        if consumed[j] or e.op != "leaf":
            g = n_named // GROUP_SIZE
            if g not in group_names:
                group_names[g] = names.claim(f"g{g}")
            e.group = group_names[g]
            e.name = names.claim(f"e{j}")
            n_named += 1
    if len(group_names) > 500:
        raise NonpunishError(f"too many elements for durable-rules ({n_named})",
                             code="engine_error")

    def pattern(child: int, value: bool) -> dict[str, Any]:
        c = elems[child]
        return {"$and": [{"t": _EL}, {"g": c.group}, {"n": c.name}, {"v": value}]}

    rules: dict[str, dict[str, Any]] = {}

    def add(patterns: list[dict[str, Any]], code: int, fact: dict[str, Any] | None) -> None:
        rule = names.claim(f"r{len(rules)}")
        rules[rule] = {"all": patterns, "run": _action(rule, code, fact)}

    def single(child: int, value: bool) -> list[dict[str, Any]]:
        return [{"m": pattern(child, value)}]

    def join(children: list[int], value: bool) -> list[dict[str, Any]]:
        return [{aliases[k]: pattern(ch, value)} for k, ch in enumerate(children)]

    rules[names.claim("start")] = {"all": [{"m": {"t": _START}}], "run": _sentinel_action}
    for j, e in enumerate(elems):
        if e.op == "leaf":
            continue
        facts = ({v: {"t": _EL, "g": e.group, "n": e.name, "v": v} for v in (True, False)}
                 if consumed[j] else {True: None, False: None})
        t_code, f_code = 2 * j + 1, 2 * j
        if e.op == "const":
            add([{"m": {"t": _START}}], t_code, facts[True])
        elif e.op == "not":
            add(single(e.children[0], False), t_code, facts[True])
            add(single(e.children[0], True), f_code, facts[False])
        elif e.op == "all":
            add(join(e.children, True), t_code, facts[True])
            for ch in e.children:
                add(single(ch, False), f_code, facts[False])
        else:  # any
            for ch in e.children:
                add(single(ch, True), t_code, facts[True])
            add(join(e.children, False), f_code, facts[False])
    if len(rules) > MAX_RULES:
        raise NonpunishError(f"the tree needs {len(rules)} durable rules; durable-rules "
                             f"allows at most {MAX_RULES}", code="engine_error")
    # Belt and braces: every string in the ruleset hashes differently.
    strings = {*_FIELDS, *_INTERNAL, _EL, _START, "m", *aliases, *rules,
               *(e.name for e in elems if e.name), *group_names.values()}
    if len({fnv1a32(s) for s in strings}) != len(strings):
        raise NonpunishError("FNV-1a collision among durable names", code="engine_error")
    program = _Program(
        name=name, n_elems=len(elems), groups=tuple(e.group for e in elems),
        names=tuple(e.name for e in elems), consumed=tuple(consumed),
        slot_elem=tuple(slot_elem), node_elem=tuple(node_elem), node_slot=tuple(node_slot),
        rules=len(rules))
    return _Compiled(program, rules)


# --- actions ---------------------------------------------------------------------------------

class _Session:
    __slots__ = ("derived", "errors", "sid", "started")

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.started = False
        self.derived: set[int] = set()  # 2 * element + value
        self.errors: list[BaseException] = []


_active: _Session | None = None


def _record_error(sess: _Session | None, exc: BaseException) -> None:
    if sess is not None:
        sess.errors.append(exc)


def _sentinel_action(c: Any) -> None:
    sess = _active
    try:
        if sess is None or c.s.sid != sess.sid:
            raise RuntimeError(f"sentinel fired for session {c.s.sid!r}, not the live one")
        sess.started = True  # an action ran: delete_state is safe from here on
        if _action_hook is not None:
            _action_hook("start")
    except BaseException as exc:
        _record_error(sess, exc)
        raise


def _action(rule: str, code: int, fact: dict[str, Any] | None) -> Callable[[Any], None]:
    """The action of one rule: record ``code`` (2 * element + value) and assert the fact."""

    def action(c: Any) -> None:
        sess = _active
        try:
            if _action_hook is not None:
                _action_hook(rule)
            if sess is None or c.s.sid != sess.sid:
                raise RuntimeError(f"rule {rule} fired for session {c.s.sid!r}, "
                                   "not the live one")
            if code in sess.derived:
                return  # derived already, through another child: nothing new to assert
            sess.derived.add(code)
            if fact is not None:
                c.assert_fact(dict(fact))
        except _BENIGN:
            pass
        except BaseException as exc:
            _record_error(sess, exc)
            raise

    return action


# --- the durable host and process-wide state -------------------------------------------------

_BENIGN: tuple[type[BaseException], ...] = ()
"""durable's MessageObservedException and MessageNotHandledException, once imported: an
action that asserts a fact already there, or one no rule tests, gets these (harmless)."""

_LOCK = threading.RLock()
_host: Any = None
_programs: dict[str, _Program] = {}
_bound: dict[int, tuple[weakref.ref[CompiledVersion], _Bound]] = {}
_live: dict[int, str] = {}  # FNV-1a hash -> sid of every session not (yet) deleted
_poisoned = 0
_counter = count(1)
_ENGINE: DurableEngine | None = None


def _sid_candidates() -> Iterator[str]:
    """Fresh session ids (a test may replace this to force collisions)."""
    while True:
        yield f"np{next(_counter)}"


def _new_sid() -> tuple[str, int]:
    for sid in _sid_candidates():
        try:
            return sid, check_sid(sid, _live)
        except NonpunishError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _load_host() -> Any:
    """The process's one durable host (created on first use). Raises EngineUnavailableError."""
    global _host, _BENIGN
    with _LOCK:
        if _host is not None:
            return _host
        version = ".".join(map(str, sys.version_info[:3]))
        try:
            from durable import engine as durable_engine_module
        except (ImportError, OSError) as exc:
            if sys.version_info >= (3, 13):
                reason = (f"durable-rules does not work on Python {version} (it imports only "
                          "on Python 3.10 to 3.12)")
            elif isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith(
                    "durable"):
                reason = "durable-rules is not installed (pip install 'nonpunish[durable]')"
            else:
                reason = "durable-rules is installed but cannot be loaded"
            raise EngineUnavailableError(f"the 'durable' engine is unavailable: {reason}: "
                                         f"{type(exc).__name__}: {exc}",
                                         code="engine_unavailable") from exc

        class QuietHost(durable_engine_module.Host):  # type: ignore[misc]
            """A host without the background timer threads (no timed or async actions)."""

            def _run(self) -> None:
                pass

        _BENIGN = (durable_engine_module.MessageObservedException,
                   durable_engine_module.MessageNotHandledException)
        _host = QuietHost()
        return _host


def _engine_error(what: str, exc: BaseException | None = None) -> NonpunishError:
    detail = f": {type(exc).__name__}: {_exc_text(exc)}" if exc is not None else ""
    return NonpunishError(f"durable-rules failed ({what}){detail}", code="engine_error")


def _exc_text(exc: BaseException) -> str:
    msg = getattr(exc, "message", None)  # durable's Message*Exception keep it here
    return str(msg if isinstance(msg, str) else exc)[:500]


def _bind(version: CompiledVersion) -> _Bound:
    """The program for ``version``, compiling and registering its ruleset on first use."""
    key = id(version)
    hit = _bound.get(key)
    if hit is not None and hit[0]() is version:
        return hit[1]
    desc, slot_keys = _describe(version)
    canon = json.dumps({"encoding": _ENCODING, "max_join": MAX_JOIN, "fanout": MAX_FANOUT,
                        "group": GROUP_SIZE, "nodes": desc},
                       sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canon.encode("utf-8")).hexdigest()
    program = _programs.get(digest)
    if program is None:
        compiled = _compile(desc, f"nonpunish_{digest[:32]}")
        host = _load_host()
        try:
            host.set_rulesets({compiled.program.name: compiled.rules})
        except Exception as exc:
            raise _engine_error("creating the ruleset", exc) from exc
        program = compiled.program
        _programs[digest] = program
    for k in [k for k, (ref, _) in _bound.items() if ref() is None]:
        del _bound[k]
    bound = _Bound(program, slot_keys)
    _bound[key] = (weakref.ref(version), bound)
    return bound


def _check_state(state: Any, sess: _Session) -> None:
    """Raise the first error an action recorded, or the one durable stored in the state."""
    if sess.errors:
        err = sess.errors[0]
        if not isinstance(err, Exception):  # KeyboardInterrupt, SystemExit: pass them on
            raise err
        raise _engine_error("an action raised", err) from err
    if isinstance(state, dict) and state.get("exception"):
        raise NonpunishError(f"durable-rules failed (an action raised): "
                             f"{str(state['exception'])[:500]}", code="engine_error")


def _run_session(program: _Program, facts: list[dict[str, Any]]) -> set[int]:
    """One session: sentinel, facts, check, delete. Returns the derived codes."""
    global _active, _poisoned
    host = _load_host()
    if _active is not None:
        raise NonpunishError("durable evaluation re-entered from inside an action",
                             code="engine_error")
    if _poisoned >= MAX_POISONED:
        raise NonpunishError("the durable engine is in a bad state (too many sessions failed "
                             "to start); restart the process", code="engine_error")
    sid, sid_hash = _new_sid()
    _live[sid_hash] = sid
    sess = _Session(sid)
    _active = sess
    name = program.name
    failure: BaseException | None = None
    try:
        try:
            state = host.assert_fact(name, {"sid": sid, "t": _START})
        except Exception as exc:
            raise _engine_error("asserting the start fact", exc) from exc
        _check_state(state, sess)
        if not sess.started:
            raise _engine_error("the sentinel rule did not fire")
        if facts:
            for f in facts:
                f["sid"] = sid
            try:
                state = host.assert_facts(name, facts)
            except Exception as exc:
                raise _engine_error("asserting the case's facts", exc) from exc
            _check_state(state, sess)
        try:
            state = host.get_state(name, sid)
        except Exception as exc:
            raise _engine_error("reading the session state", exc) from exc
        if not isinstance(state, dict) or state.get("sid") != sid:
            raise _engine_error("the session state belongs to another session")
        _check_state(state, sess)
        return sess.derived
    except BaseException as exc:
        failure = exc
        raise
    finally:
        _active = None
        if sess.started:
            # Safe: an action ran in this session, so its action context is initialised.
            try:
                host.delete_state(name, sid)
            except Exception as exc:
                _poisoned += 1  # its sid's hash stays reserved in _live
                if failure is None:
                    raise _engine_error("deleting the session", exc) from exc
            else:
                del _live[sid_hash]
        else:
            # Touching a session that failed to start can crash the process: leave it, and
            # keep its sid's hash reserved.
            _poisoned += 1


def _after_fork_in_child() -> None:
    """A fork may happen while another thread holds the lock mid-session: give the child a
    fresh lock, and leave that session alone (its sid's hash stays reserved)."""
    global _LOCK, _active, _poisoned
    _LOCK = threading.RLock()
    if _active is not None:
        _active = None
        _poisoned += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class DurableEngine:
    """Evaluates compiled versions with durable-rules (Rete), one session per evaluation.

    Thread-safe: every call is serialised on one module-level lock, because durable's C core
    is not safe to share between threads. Use processes for parallelism.
    """

    name = "durable"

    def __init__(self) -> None:
        _load_host()

    def evaluate(self, version: CompiledVersion, leaves: Mapping[LeafKey, Tri]) -> list[Tri]:
        """The value of every node of ``version``, indexed like ``version.nodes``."""
        with _LOCK:
            bound = _bind(version)
            program = bound.program
            slot_values: list[Tri] = []
            facts: list[dict[str, Any]] = []
            for slot, key in enumerate(bound.slot_keys):
                v = leaves.get(key)
                if v is not None and v is not True and v is not False:
                    raise TypeError(f"leaf {key!r} has value {v!r}; expected True, False or "
                                    "None")
                slot_values.append(v)
                e = program.slot_elem[slot]
                if v is not None and program.consumed[e]:
                    facts.append({"t": _EL, "g": program.groups[e], "n": program.names[e],
                                  "v": v})
            derived = _run_session(program, facts)
        out: list[Tri] = []
        for i, e in enumerate(program.node_elem):
            slot = program.node_slot[i]
            if slot >= 0:
                out.append(slot_values[slot])
                continue
            t, f = 2 * e + 1 in derived, 2 * e in derived
            if t and f:
                raise NonpunishError(f"durable derived node {i} both true and false",
                                     code="engine_error")
            out.append(True if t else False if f else None)
        return out


def durable_engine() -> DurableEngine:
    """The process's durable engine. Raises EngineUnavailableError if durable-rules cannot
    be imported (not installed, or Python 3.13 and later)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = DurableEngine()
        return _ENGINE
