"""The public API is what ``__all__`` says, and nothing private leaks through it."""

from __future__ import annotations

import nonpunish


def test_all_matches_public_names() -> None:
    public = {name for name in dir(nonpunish) if not name.startswith("_")}
    # Submodules are importable but are not part of the API.
    modules = {name for name in public if type(getattr(nonpunish, name)).__name__ == "module"}
    assert sorted(public - modules) == sorted(set(nonpunish.__all__) - {"__version__"})


def test_all_is_sorted_and_unique() -> None:
    assert list(nonpunish.__all__) == sorted(set(nonpunish.__all__), key=str)


def test_every_public_name_exists() -> None:
    for name in nonpunish.__all__:
        assert hasattr(nonpunish, name), name


def test_one_exception_hierarchy() -> None:
    errors = [getattr(nonpunish, n) for n in nonpunish.__all__
              if isinstance(getattr(nonpunish, n), type)
              and issubclass(getattr(nonpunish, n), Exception)]
    assert errors
    assert all(issubclass(e, nonpunish.NonpunishError) for e in errors)


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("nonpunish").joinpath("py.typed").is_file()


def test_the_api_page_documents_every_public_name() -> None:
    """docs/api.md names every public function and class (errors are documented by module),
    so the reference cannot fall behind the API."""
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    errors = {n for n in nonpunish.__all__ if n.endswith("Error")}
    missing = [n for n in nonpunish.__all__
               if n not in errors and n != "__version__" and n not in page]
    assert not missing, f"not on docs/api.md: {missing}"
