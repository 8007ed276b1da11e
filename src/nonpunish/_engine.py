"""Evaluation engines: the reference evaluator, and the interface every engine meets.

An engine takes a compiled version (a DAG of ``all`` / ``any`` / ``not`` nodes over leaves)
and the prepared leaf values, and returns the three-valued value of every node. Preparing the
leaves (ages, dates, burdens, list membership) happens once, in Python, before any engine runs,
so engines differ only in how they evaluate the same tree. The reference evaluator below is
the specification of the semantics (Kleene's strong three-valued logic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from ._ruleset import CompiledNode, CompiledVersion, LeafKey

Tri = bool | None


class Engine(Protocol):
    name: str

    def evaluate(self, version: CompiledVersion, leaves: Mapping[LeafKey, Tri]) -> list[Tri]:
        """The value of every node of ``version``, indexed like ``version.nodes``."""
        ...


def evaluate_nodes(nodes: Sequence[CompiledNode], leaves: Mapping[LeafKey, Tri],
                   values: list[Tri] | None = None) -> list[Tri]:
    """Kleene evaluation of a DAG whose nodes are in evaluation order.

    With ``values`` (every node's value, by index), only ``nodes`` are evaluated again, into
    it: some leaves and every node above them, in evaluation order."""
    if values is None:
        values = [None] * len(nodes)
    for node in nodes:
        op = node.op
        if op == "leaf":
            values[node.index] = leaves.get(node.leaf)  # type: ignore[arg-type]
        elif op == "all":
            result: Tri = True
            for child in node.children:
                v = values[child]
                if v is False:
                    result = False
                    break
                if v is None:
                    result = None
            values[node.index] = result
        elif op == "any":
            result = False
            for child in node.children:
                v = values[child]
                if v is True:
                    result = True
                    break
                if v is None:
                    result = None
            values[node.index] = result
        else:  # not
            v = values[node.children[0]]
            values[node.index] = None if v is None else not v
    return values


class ReferenceEngine:
    """Plain Python, three-valued; the specification the other engines are held to."""

    name = "reference"

    def evaluate(self, version: CompiledVersion, leaves: Mapping[LeafKey, Tri]) -> list[Tri]:
        return evaluate_nodes(version.nodes, leaves)


REFERENCE = ReferenceEngine()
