"""The documentation site builds with warnings as errors, writes a reference page (with a
decision diagram per version) for every ruleset, including one from an extra folder, and every
page can be reached from the index.

The site is built once for the module, from a copy of docs/ in a temporary folder (the
reference pages are generated into the source folder, and a test must not leave a throwaway
ruleset's page in the real one). The build takes a few seconds and needs only the Python
packages: the decision diagrams are HTML, checked here against the compiled condition trees.
"""

from __future__ import annotations

import html
import pickle
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import nonpunish
from nonpunish._ruleset import CompiledVersion
from nonpunish._vocabulary import vocabulary

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


# --- the decision diagrams ----------------------------------------------------------------------
#
# A diagram is an HTML <figure class="np-diagram"> per version of a ruleset: the result box, and
# under it the compiled condition tree as nested lists (li: a box, then a ul of its parts). The
# tests parse it with the standard library's HTML parser and walk it beside the compiled tree.

#: How a diagram must show each operator: its badge, and the same in words.
GATES = {"all": ("AND", "all of"), "any": ("OR", "any of"), "not": ("NOT", "not")}
_VOID = {"br", "hr", "img", "input", "link", "meta", "source", "wbr"}
_BLOCK = {"div", "p", "ul", "ol", "li", "figure", "figcaption"}


@dataclass
class Tag:
    """An element of a parsed fragment."""

    name: str
    attrs: dict[str, str]
    children: list[Tag | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def tags(self) -> list[Tag]:
        return [c for c in self.children if isinstance(c, Tag)]

    def descendants(self) -> list[Tag]:
        out = []
        for t in self.tags():
            out += [t, *t.descendants()]
        return out

    def with_class(self, cls: str) -> list[Tag]:
        return [t for t in self.descendants() if cls in t.classes]

    def text(self) -> str:
        parts = [c if isinstance(c, str) else f" {c.text()} " for c in self.children]
        return " ".join("".join(parts).split())


class _FragmentParser(HTMLParser):
    """Builds a Tag tree, and notes every tag closed out of order or placed where HTML does
    not allow it (a block inside a paragraph, anything but li directly in a list)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Tag("#fragment", {})
        self.open = [self.root]
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        parent = self.open[-1]
        if parent.name == "p" and tag in _BLOCK:
            self.errors.append(f"<{tag}> inside <p> at line {self.getpos()[0]}")
        if (parent.name in ("ul", "ol")) != (tag == "li"):
            self.errors.append(f"<{tag}> inside <{parent.name}> at line {self.getpos()[0]}")
        element = Tag(tag, {k: v or "" for k, v in attrs})
        parent.children.append(element)
        if tag not in _VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if len(self.open) == 1 or self.open[-1].name != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1].name}> at line "
                               f"{self.getpos()[0]}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def _parse(fragment: str) -> Tag:
    """A well-formed HTML fragment, parsed (the test fails on anything else)."""
    parser = _FragmentParser()
    parser.feed(fragment)
    parser.close()
    unclosed = [t.name for t in parser.open[1:]]
    assert not parser.errors and not unclosed, (parser.errors, unclosed)
    return parser.root


def _figures(page: str) -> list[str]:
    return re.findall(r'<figure class="np-diagram".*?</figure>', page, re.S)


def _diagrams(page: str) -> dict[str, Tag]:
    """A page's decision diagrams, by the date their version is valid from."""
    figures = [_parse(f).tags()[0] for f in _figures(page)]
    by_version = {f.attrs["data-valid-from"]: f for f in figures}
    assert len(by_version) == len(figures), "one diagram per version"
    return by_version


def _documented(tmp_path: Path) -> list[tuple[str, nonpunish.Ruleset]]:
    """Every ruleset the site documents, with its page: the shipped ones and the throwaway."""
    out = [(f"{GENERATED}/{info.id}", nonpunish.load_ruleset(info.id))
           for info in nonpunish.list_rulesets()]
    out.append((f"{GENERATED}/{THROWAWAY_ID}",
                nonpunish.load_ruleset(_throwaway_ruleset(tmp_path))))
    return out


def _items(ul: Tag) -> list[Tag]:
    return [t for t in ul.tags() if t.name == "li"]


def _box(item: Tag) -> Tag:
    box = item.tags()[0]
    assert box.name == "div" and "np-box" in box.classes, box
    return box


def _parts(item: Tag) -> list[Tag]:
    """The list items of the parts under an item's box."""
    lists = [t for t in item.tags() if t.name == "ul"]
    assert len(lists) <= 1
    return _items(lists[0]) if lists else []


def _check_test(cv: CompiledVersion, leaf: tuple[Any, ...], text: str) -> None:
    """A test names what it reads, and a test of a fact gives the caseworker's question."""
    kind = leaf[0]
    if kind in ("fact", "is", "includes_any", "listed"):
        assert leaf[1] in text, (leaf, text)
    if kind in ("is", "includes_any"):
        values = leaf[2] if kind == "includes_any" else (leaf[2],)
        assert all(str(v) in text for v in values), (leaf, text)
    if kind.startswith("age_"):
        assert "age at the act" in text and str(leaf[1]) in text, (leaf, text)
    if kind == "excluded":
        assert cv.exclusion_list is not None
        assert f"listed in {cv.exclusion_list.provision}" in text, text
    fact = "age_at_act" if kind.startswith("age_") else leaf[1] if kind != "excluded" else None
    spec = vocabulary().facts.get(fact) if isinstance(fact, str) else None
    if spec is not None:
        assert " ".join(spec.question.en.split()) in text, (fact, text)


def _check_tree(cv: CompiledVersion, figure: Tag) -> set[str]:
    """Walks a diagram's lists beside the compiled tree, part by part, and returns the ids of
    the elements it names."""
    (tree,) = figure.with_class("np-tree")
    (result,) = _items(tree)
    assert "np-result" in _box(result).classes
    (top,) = _parts(result)
    anchors = {t.attrs["id"]: t for t in figure.descendants() if "id" in t.attrs}
    named: set[str] = set()

    def check(i: int, item: Tag, exclusion: bool) -> None:
        n = cv.nodes[i]
        src = n.source
        box = _box(item)
        text = box.text()
        parts = _parts(item)
        exclusion = exclusion or i == cv.not_excluded
        assert ("np-exclusion" in box.classes) == (exclusion or n.leaf == ("excluded",)), text
        if n.element:
            assert "np-element" in box.classes, text
            assert src.id in text and src.citation in text, (src.id, text)
            if src.label is not None:
                assert " ".join(src.label.en.split()) in text, text
            if src.wording:  # the statutory wording on hover, escaped and read back intact
                assert box.attrs["title"] == " ".join(src.wording.split())
            named.add(src.id or "")
        if n.limb:
            assert f"{n.limb} limb" in text and "np-limb-start" in box.classes, text
        if i == cv.not_excluded:
            assert "exclusion check" in text, text
        if "np-repeat" in box.classes:
            # A shared part already drawn in full: named here, with a link to the drawing.
            assert len(cv.parents[i]) > 1 and not parts, text
            (link,) = [t for t in box.descendants() if t.name == "a"]
            target = anchors[link.attrs["href"].removeprefix("#")]
            assert src.id in target.text()
            return
        if n.op == "leaf":
            assert not parts, text
            _check_test(cv, n.leaf or (), text)
            return
        badge, words = GATES[n.op]
        assert [g.text() for g in box.with_class("np-gate")] == [badge], text
        assert box.with_class(f"np-gate-{badge.lower()}"), text
        assert f"{badge} {words}:" in text, text
        assert len(parts) == len(n.children), text
        for child, part in zip(n.children, parts, strict=True):
            check(child, part, exclusion)

    check(cv.root, top, exclusion=False)
    return named


def test_every_ruleset_page_has_a_decision_diagram_per_version(site: Path,
                                                                  tmp_path: Path) -> None:
    for docname, ruleset in _documented(tmp_path):
        diagrams = _diagrams(_page(site, docname))
        assert sorted(diagrams) == sorted(str(cv.version.valid_from)
                                          for cv in ruleset.compiled), docname


def test_a_diagram_draws_the_condition_tree_of_its_version(site: Path, tmp_path: Path) -> None:
    ops: set[str] = set()
    for docname, ruleset in _documented(tmp_path):
        diagrams = _diagrams(_page(site, docname))
        for cv in ruleset.compiled:
            figure = diagrams[str(cv.version.valid_from)]
            # Every element, with its id and citation, in a box where the tree has it; AND,
            # OR and NOT exactly where the tree has them.
            assert _check_tree(cv, figure) == {n.source.id for n in cv.nodes if n.element}
            ops |= {n.op for n in cv.nodes}
    assert ops == {"all", "any", "not", "leaf"}, "the shipped rulesets use every operator"


def test_the_s45_diagram_shows_both_limbs_and_schedule_4(site: Path) -> None:
    diagrams = _diagrams(_page(site, f"{GENERATED}/uk-ew/modern-slavery-act-2015/s45"))
    (figure,) = diagrams.values()
    text = figure.text()
    for words in ("NOT GUILTY", "section 45 applies", "First: in force?", "2015-07-31",
                  "s.45(1) Adult limb", "adult limb", "s.45(4) Child limb", "child limb",
                  "s.45(7) The offence is not excluded", "exclusion check",
                  "the offence is listed in Schedule 4", "AND all of", "OR any of", "NOT not",
                  "Is the person a victim of human trafficking?"):
        assert words in text, words
    # "A victim of slavery or of relevant exploitation" serves both limbs: drawn in full
    # once, and named with a link back wherever else it is used.
    shared = [b for b in figure.with_class("np-element") if "victim-status" in b.text()]
    assert len(shared) == 3
    assert [("np-repeat" in b.classes) for b in shared] == [False, True, True]


def test_the_exclusion_check_is_shown_where_a_version_has_exclusions(site: Path,
                                                                     tmp_path: Path) -> None:
    with_exclusions = 0
    for docname, ruleset in _documented(tmp_path):
        diagrams = _diagrams(_page(site, docname))
        for cv in ruleset.compiled:
            figure = diagrams[str(cv.version.valid_from)]
            checks = [b for b in figure.with_class("np-element") if "np-exclusion" in b.classes]
            ref = cv.version.exclusions
            if cv.not_excluded is None or ref is None:
                assert not checks and "exclusion check" not in figure.text(), docname
                continue
            with_exclusions += 1
            (check,) = checks
            assert "exclusion check" in check.text() and ref.citation in check.text()
            assert check.with_class("np-gate-not"), docname
            if cv.exclusion_list is not None:
                assert f"listed in {cv.exclusion_list.provision}" in figure.text(), docname
    assert with_exclusions >= 2, "s.45 and the throwaway copy of it at least"


def test_the_diagrams_are_well_formed_html(site: Path, tmp_path: Path) -> None:
    for docname, _ruleset in _documented(tmp_path):
        page = _page(site, docname)
        figures = [_parse(f) for f in _figures(page)]  # balanced and properly nested
        assert figures, docname
        tags = [t for f in figures for t in f.descendants()]
        ids = [t.attrs["id"] for t in tags if "id" in t.attrs]
        assert len(ids) == len(set(ids)), "ids are unique on the page"
        for link in (t for t in tags if t.name == "a"):
            assert link.attrs["href"].removeprefix("#") in ids, link.attrs
        # No script, and nothing fetched from elsewhere: the page's own HTML and CSS.
        assert not [t for t in tags if t.name in ("script", "img", "object", "iframe")]


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
