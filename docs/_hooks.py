"""MkDocs hooks: make docs/_cli.py importable for mkdocs-click, whose ``:module:`` is imported by
name, without a module inside the package or a PYTHONPATH in every command that builds the site.
(MkDocs restores sys.path after loading a hook module, so the path is added in ``on_config``.)"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_DOCS = str(Path(__file__).resolve().parent)


def on_config(config):
    if _DOCS not in sys.path:
        sys.path.insert(0, _DOCS)
    return config


#: a Sphinx role before inline code, as the docstrings write cross-references
#: (":class:`~nasperf.records.Record`"): mkdocstrings shows the role as text
_ROLE = re.compile(r":(?:mod|class|func|meth|data|attr|exc|obj):(<code>)(~?)([^<]*)(</code>)")


def _role(match: re.Match[str]) -> str:
    name = match.group(3)
    if match.group(2):  # "~a.b.C" shows "C", as Sphinx does
        name = name.rsplit(".", 1)[-1]
    return f"{match.group(1)}{name}{match.group(4)}"


def on_page_content(html, page, config, files):
    return _ROLE.sub(_role, html)
