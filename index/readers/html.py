"""HTML pages: the main text (trafilatura), with scripts, comments and hidden elements removed
first, and the page's own metadata (trafilatura's extraction, htmldate for the date)."""

from __future__ import annotations

import logging
import re

from index.errors import DocumentUnreadable
from index.readers.base import Extracted, decode_text

log = logging.getLogger(__name__)
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0(?![.\d])"
    r"|color\s*:\s*(#fff(fff)?|white|rgba?\(\s*255\s*,\s*255\s*,\s*255)\b",
    re.IGNORECASE,
)


def visible_html(html: str):
    """The parsed page without comments, scripts, styles, templates, frames and hidden elements."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise DocumentUnreadable(f"HTML nicht lesbar ({exc})") from None
    for el in list(tree.iter(lxml.etree.Comment)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in tree.xpath("//script|//style|//noscript|//template|//iframe|//*[@hidden]|//*[@aria-hidden='true']"):
        el.drop_tree()
    for el in tree.xpath("//*[@style]"):
        if HIDDEN_STYLE.search(el.get("style", "")):
            el.drop_tree()
    return tree


def read_html(data: bytes) -> Extracted:
    import lxml.html
    import trafilatura

    tree = visible_html(decode_text(data))
    cleaned = lxml.html.tostring(tree, encoding="unicode")
    text = trafilatura.extract(cleaned, include_comments=False, include_tables=True, favor_recall=True,
                               output_format="markdown") or ""
    if not text.strip():
        raise DocumentUnreadable("HTML enthält keinen lesbaren Haupttext")
    out = Extracted(text, "markdown")
    meta = trafilatura.extract_metadata(cleaned)
    if meta is not None:
        out.found("title", meta.title, "HTML-Metadaten")
        out.found("author", meta.author, "HTML-Metadaten")
        out.found("publisher", meta.sitename, "HTML-Metadaten")
        out.found("date", meta.date, "HTML-Metadaten")
        out.found("description", meta.description, "HTML-Metadaten")
    out.found("title", (tree.findtext(".//title") or "").strip(), "HTML-Titel")
    if "date" not in out.metadata:
        from htmldate import find_date

        out.found("date", find_date(cleaned, original_date=True, extensive_search=False), "HTML-Datum (htmldate)")
    return out
