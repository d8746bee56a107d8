"""An answer's text (our small Markdown: bold topic lines, lists, citation markers) as safe HTML.

Raw HTML in the text is escaped, and links, images and autolinks are not rendered at all: text
quoted from a document can never become a link or make a browser fetch anything.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _renderer():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def answer_html(text: str) -> str:
    return _renderer().render(text)
