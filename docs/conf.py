"""Sphinx configuration for the nonpunish documentation."""

from __future__ import annotations

import sys
from pathlib import Path

import nonpunish

# Local extensions: docs/_ext/nonpunish_reference.py writes a reference page for every ruleset.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "nonpunish"
author = "nonpunish developers"
release = nonpunish.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "nonpunish_reference",
]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "README.md"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "furo"
html_title = "nonpunish"
html_static_path = ["_static"]
html_css_files = ["nonpunish.css"]
nitpicky = False

# Extra folders of ruleset files to document beside the shipped ones, laid out like
# rulesets/ (a ruleset's id is its path in the folder). The environment variable
# NONPUNISH_EXTRA_RULESETS adds more (separated by os.pathsep).
nonpunish_extra_rulesets: list[str] = []

# Examples in the pages read the shipped example files wherever the build is run from.
_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
doctest_global_setup = f"import pathlib\nEXAMPLES = pathlib.Path({str(_EXAMPLES)!r})\n"
