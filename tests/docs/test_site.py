"""The documentation site builds with warnings as errors, writes a reference page (with a
decision diagram) for every ruleset, including one from an extra folder, and every page can be
reached from the index.

The site is built once for the module, from a copy of docs/ in a temporary folder (the
reference pages are generated into the source folder, and a test must not leave a throwaway
ruleset's page in the real one). The build takes a few seconds; it needs Graphviz's ``dot``,
and is skipped without it, except in CI, where it fails.
"""

from __future__ import annotations

import html
import os
import pickle
import re
import shutil
from pathlib import Path

import pytest

import nonpunish

pytest.importorskip("sphinx", reason="the docs extra is not installed")
pytestmark = [
    pytest.mark.docs,
    # Sphinx, MyST and napoleon warn each other about their own deprecations; not ours.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]

ROOT = Path(__file__).parents[2]
S45 = ROOT / "rulesets" / "uk-ew" / "modern-slavery-act-2015"
THROWAWAY_ID = "zz-test/throwaway-act-2026/s1"
THROWAWAY_TITLE = "Throwaway provision for the documentation build test"
GENERATED = "reference/rulesets"


def _throwaway_ruleset(folder: Path) -> Path:
    """A copy of s.45 under another id and title, with Schedule 4 beside it."""
    target = folder / f"{THROWAWAY_ID}.yaml"
    target.parent.mkdir(parents=True)
    text = (S45 / "s45.yaml").read_text(encoding="utf-8")
    text = text.replace("id: uk-ew/modern-slavery-act-2015/s45",
                        f"id: {THROWAWAY_ID}", 1)
    text = re.sub(r"^title:\n  en: .*$", f"title:\n  en: {THROWAWAY_TITLE}", text, count=1,
                  flags=re.M)
    assert THROWAWAY_ID in text and THROWAWAY_TITLE in text
    target.write_text(text, encoding="utf-8")
    shutil.copy(S45 / "schedule-4.yaml", target.parent / "schedule-4.yaml")
    return target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's `dot` is not installed (apt-get install graphviz)")
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")
    from sphinx.cmd.build import build_main

    tmp = tmp_path_factory.mktemp("site")
    docs = tmp / "docs"
    shutil.copytree(ROOT / "docs", docs,
                    ignore=shutil.ignore_patterns("_build", "rulesets", "__pycache__"))
    shutil.copy(ROOT / "CHANGELOG.md", tmp / "CHANGELOG.md")  # included by changelog.md
    extra = tmp / "extra-rulesets"
    _throwaway_ruleset(extra)
    out = tmp / "html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NONPUNISH_EXTRA_RULESETS", str(extra))
        status = build_main(["-W", "--keep-going", "-q", "-b", "html", str(docs), str(out)])
    assert status == 0, "the site did not build cleanly (the warnings are printed above)"
    return out


def _page(site: Path, docname: str) -> str:
    return (site / f"{docname}.html").read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The words of a page, its quotes straightened (Sphinx curls them)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(text.translate(_STRAIGHT).split())


_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})


def test_every_shipped_ruleset_has_a_reference_page(site: Path) -> None:
    for info in nonpunish.list_rulesets():
        assert info.title in _text(_page(site, f"{GENERATED}/{info.id}"))


def test_a_ruleset_from_an_extra_folder_gets_its_page(site: Path, tmp_path: Path) -> None:
    page = _page(site, f"{GENERATED}/{THROWAWAY_ID}")
    text = _text(page)
    assert f"<h1>{THROWAWAY_TITLE}" in page
    ruleset = nonpunish.load_ruleset(_throwaway_ruleset(tmp_path))
    # Every element, with its citation and its statutory wording.
    for cv in ruleset.compiled:
        for node in cv.nodes:
            if node.element:
                src = node.source
                assert src.id in text and src.citation in text, src.id
                if src.wording:
                    assert " ".join(src.wording.split())[:60] in text, src.id
    # Schedule 4, with its conditional entries and the ancillary paragraph.
    assert "Burglary" in text and "burglary_with_intent_to_cause_gbh_or_damage" in text
    assert "37(1)" in text


def test_a_reference_page_has_an_svg_decision_diagram(site: Path) -> None:
    docname = f"{GENERATED}/{THROWAWAY_ID}"
    page = _page(site, docname)
    sources = re.findall(r'<object data="([^"]+\.svg)" type="image/svg\+xml"', page)
    assert len(sources) == 1, "one decision diagram for the one version"
    svg = ((site / docname).parent / sources[0]).resolve()
    drawing = svg.read_text(encoding="utf-8")
    assert "<svg" in drawing
    for words in ("s.45(1)", "s.45(4)", "s.45(7)", "AND", "OR", "NOT", "Schedule 4"):
        assert words in drawing, words


def test_the_comparison_has_a_column_for_each_ruleset(site: Path) -> None:
    page = _page(site, "reference/comparison")
    for docname in (f"{GENERATED}/uk-ew/modern-slavery-act-2015/s45",
                    f"{GENERATED}/{THROWAWAY_ID}"):
        assert re.search(rf'href="[./]*{re.escape(docname.split("reference/")[1])}\.html"',
                         page), docname
    for row in ("Kind", "Legal effect", "Adult test", "Child test", "Burden", "Exclusions",
                "Temporal rule"):
        assert f"<p>{row}</p>" in page or f">{row}<" in page, row


def test_every_page_is_reachable_from_the_index(site: Path) -> None:
    with (site / ".doctrees" / "environment.pickle").open("rb") as f:
        env = pickle.load(f)  # noqa: S301 - our own build, just written
    root = env.config.root_doc
    reachable, todo = {root}, [root]
    while todo:
        for child in env.toctree_includes.get(todo.pop(), []):
            if child not in reachable:
                reachable.add(child)
                todo.append(child)
    assert env.found_docs - reachable == set()
    for docname in env.found_docs:
        assert (site / f"{docname}.html").is_file(), docname
    # The pages this documentation promises are among them.
    for docname in ("getting-started", "concepts", "tutorial-legal-aid", "teaching-s45", "cli",
                    "reference/index", "reference/comparison", "api", "errors", "changelog",
                    f"{GENERATED}/{THROWAWAY_ID}"):
        assert docname in reachable, docname
