"""Every shipped ruleset, variant and offence list loads, validates and cites every rule."""

from __future__ import annotations

import pytest

import nonpunish
from nonpunish._explain import _layout
from nonpunish._offences import catalogues, categories
from nonpunish._ruleset import not_encoded, shipped_ids
from nonpunish._vocabulary import vocabulary

INFOS = nonpunish.list_rulesets()


@pytest.mark.parametrize("ruleset_id", [i.id for i in INFOS])
def test_every_test_sits_under_a_cited_element(ruleset_id: str) -> None:
    """No condition in a tree is uncited: every leaf belongs to an element with a citation,
    a label in English and Dutch, and the provision's official link."""
    rs = nonpunish.load_ruleset(ruleset_id)
    assert rs.spec.url.startswith("https://") or rs.spec.url.startswith("http://")
    for cv in rs.compiled:
        assert cv.version.source.strip()
        layout = _layout(rs, cv)
        for node in cv.nodes:
            if node.element:
                src = node.source
                assert src.citation and src.label and src.label.en and src.label.nl, src.id
            if node.op == "leaf":
                assert node.index in layout.element_of, (
                    f"{ruleset_id}: the test {node.leaf} is not under any cited element")


@pytest.mark.parametrize("ruleset_id", [i.id for i in INFOS])
def test_caveats_speak_both_languages(ruleset_id: str) -> None:
    rs = nonpunish.load_ruleset(ruleset_id)
    for cav in rs.spec.caveats:
        assert cav.text.en.strip() and cav.text.nl.strip(), cav.id
    assert rs.spec.temporal.before_commencement.en.strip()


def test_the_listing_covers_every_file_and_variant() -> None:
    ids = {i.id for i in INFOS}
    for rid in shipped_ids():
        rs = nonpunish.load_ruleset(rid)
        if rs.source_spec is None:
            assert rid in ids
        else:
            assert {f"{rid}@{v}" for v in rs.source_spec.variants} <= ids
    assert not set(not_encoded()) & set(shipped_ids())


def test_catalogues_use_known_categories_and_facts() -> None:
    known = set(categories())
    assert set(vocabulary().facts["offence_category"].values) == known
    for cat in catalogues().values():
        for key, offence in cat.offences.items():
            assert offence.category in known, key
            for name in offence.facts:
                assert name in vocabulary().facts, (key, name)
