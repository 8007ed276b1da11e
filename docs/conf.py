"""Sphinx configuration for the nonpunish documentation."""

from __future__ import annotations

import nonpunish

project = "nonpunish"
author = "nonpunish developers"
release = nonpunish.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
]
myst_enable_extensions = ["colon_fence", "deflist"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "README.md"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "furo"
html_title = "nonpunish"
nitpicky = False
