"""Values worked out once from a long-lived object (a ruleset, a compiled version, a list)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Owner = TypeVar("Owner")
Value = TypeVar("Value")


class OwnedCache(Generic[Owner, Value]):
    """A cache keyed by an owner object's identity (rulesets are not hashable) and a key.

    The owner is kept with each value and checked on every hit, so a recycled ``id()`` can
    never return another object's value. Past ``limit`` entries the cache starts again,
    which bounds memory when keys vary (as-of dates in a long batch run)."""

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int = 4096) -> None:
        self._entries: dict[tuple[int, Hashable], tuple[Owner, Value]] = {}
        self._limit = limit

    def get(self, owner: Owner, key: Hashable, make: Callable[[], Value]) -> Value:
        slot = (id(owner), key)
        hit = self._entries.get(slot)
        if hit is not None and hit[0] is owner:
            return hit[1]
        value = make()
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[slot] = (owner, value)
        return value
