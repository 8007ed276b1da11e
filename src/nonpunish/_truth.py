"""Truth tables of a condition tree over its unknown leaves, as bit sets.

Which unknown facts can still change a result, and which one answer alone would settle it,
are questions about the Boolean function the tree computes once the known leaves are fixed.
Kleene evaluation cannot answer them exactly when a fact feeds the tree in two places (a
shared definition such as victim status), so they are answered here from the function itself.

With ``n`` unknown leaves there are ``2**n`` assignments; a Python integer holds one bit per
assignment, so the whole truth table comes from one pass over the tree with ``&``, ``|`` and
``^``. Variable ``j`` is true in assignment ``i`` when bit ``j`` of ``i`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from ._ruleset import CompiledNode, LeafKey

#: Above this many unknown leaves the tables get large; callers fall back to structure.
MAX_VARIABLES = 16


@cache
def _masks(n: int) -> tuple[int, tuple[int, ...]]:
    """All-ones for ``2**n`` assignments, and for each variable the assignments where it is
    true."""
    size = 1 << n
    full = (1 << size) - 1
    masks = []
    for j in range(n):
        width = 1 << j
        block = ((1 << width) - 1) << width  # one period: `width` zeros, then `width` ones
        masks.append(block * (full // ((1 << (2 * width)) - 1)))
    return full, tuple(masks)


@dataclass(slots=True)  # not frozen: built for every open result, and never changed
class TruthTable:
    variables: tuple[LeafKey, ...]
    table: int
    full: int
    masks: tuple[int, ...]

    def depends_on(self, j: int) -> bool:
        """Whether some assignment of the other variables makes variable ``j`` matter."""
        shift = 1 << j
        on = (self.table & self.masks[j]) >> shift
        off = self.table & (self.full ^ self.masks[j])
        return on != off

    def settled_by(self, js: Sequence[int]) -> bool:
        """Whether some values of the variables ``js`` alone make the function constant."""
        if len(js) == 1:  # the usual case: either value of one variable
            on = self.masks[js[0]]
            off = self.full ^ on
            when_on, when_off = self.table & on, self.table & off
            return when_on in (0, on) or when_off in (0, off)
        for combo in range(1 << len(js)):
            region = self.full
            for k, j in enumerate(js):
                region &= self.masks[j] if combo >> k & 1 else self.full ^ self.masks[j]
            part = self.table & region
            if part in (0, region):
                return True
        return False


def truth_table(nodes: Sequence[CompiledNode], root: int, leaves: Mapping[LeafKey, bool | None],
                variables: Sequence[LeafKey] | None = None,
                values: Sequence[bool | None] | None = None,
                region: Sequence[int] | None = None) -> TruthTable | None:
    """The truth table of ``root`` over the unknown leaves (or the ``variables`` given, which
    must include every unknown leaf the tree reads). None if there are too many.

    With ``values`` (the Kleene value of every node), a node already true or false is a
    constant: its subtree cannot change the result, so its unknown leaves need not be
    variables, which keeps the table small. ``region``, if given with ``values``, is every
    unknown node reachable from ``root`` through unknown nodes, in evaluation order: only
    those are computed."""
    if variables is None:
        variables = tuple(dict.fromkeys(
            n.leaf for n in nodes if n.leaf is not None and leaves.get(n.leaf) is None))
    if len(variables) > MAX_VARIABLES:
        return None
    full, masks = _masks(len(variables))
    index = {key: j for j, key in enumerate(variables)}
    todo: Iterable[int]
    if values is None:
        bits: list[int] = [0] * len(nodes)
        todo = range(len(nodes))
    else:
        # Known nodes are constants; the unknown ones (0 for now) are computed below.
        bits = [full if v else 0 for v in values]
        todo = region if region is not None else [i for i, v in enumerate(values) if v is None]
    for i in todo:
        node = nodes[i]
        if node.op == "leaf":
            assert node.leaf is not None
            value = leaves.get(node.leaf)
            j = index.get(node.leaf)
            if value is None and j is not None:
                bits[node.index] = masks[j]
            elif value is None:
                # Open, but only under nodes already decided (``values``): it cannot matter.
                bits[node.index] = 0
            else:
                bits[node.index] = full if value else 0
        elif node.op == "all":
            acc = full
            for child in node.children:
                acc &= bits[child]
            bits[node.index] = acc
        elif node.op == "any":
            acc = 0
            for child in node.children:
                acc |= bits[child]
            bits[node.index] = acc
        else:
            bits[node.index] = full ^ bits[node.children[0]]
    return TruthTable(tuple(variables), bits[root], full, masks)
