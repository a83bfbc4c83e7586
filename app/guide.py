"""The guide: docs/{name}.md rendered as HTML for the /guide pages.

The files are ours, so raw HTML is kept: explicit anchors (``<a id="c2"></a>``) are how
the pages link a case or an assumption to its place in the guide.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from app.links import GUIDES, guide_href

DOCS = Path(__file__).resolve().parent.parent / "docs"

_markdown = MarkdownIt("commonmark", {"html": True}).enable("table")
_DOC_LINK = re.compile(r'href="([a-z]+)\.md(?:#([a-z0-9-]+))?"')


def guide_html(name: str, docs: Path = DOCS) -> Markup:
    """The HTML of docs/{name}.md; FileNotFoundError when there is no such page.
    ``name`` must be one of links.GUIDES (the caller checks)."""
    html = _markdown.render((docs / f"{name}.md").read_text(encoding="utf-8"))
    # a link to another file of docs/ (model.md#goals) opens that page of the guide
    html = _DOC_LINK.sub(lambda m: f'href="{guide_href(m[1], m[2] or "")}"' if m[1] in GUIDES else m[0], html)
    # tables and code blocks scroll inside their box on a phone: keyboard users must reach them
    return Markup(html.replace("<table>", '<table tabindex="0">').replace("<pre>", '<pre tabindex="0">'))


_SECTION = re.compile(r'^<a id="(?P<anchor>[a-z0-9-]+)"></a>\n#+ (?P<title>.+)$', re.MULTILINE)


@lru_cache(maxsize=8)
def sections(name: str, docs: Path = DOCS) -> tuple[tuple[str, str], ...]:
    """The (anchor, heading) of each explicitly anchored section of docs/{name}.md, in the
    page's order: ``("c2", "C2: same slot, now a file VMA")``; read once (the files ship with the app)."""
    text = (docs / f"{name}.md").read_text(encoding="utf-8")
    return tuple((m["anchor"], m["title"].replace("`", "").strip()) for m in _SECTION.finditer(text))
