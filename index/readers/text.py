"""Plain text and Markdown, with YAML front matter (python-frontmatter) taken as metadata.

The front matter block never becomes document text: when it cannot be parsed as YAML it is
still cut off (a broken metadata block is not content either).
"""

from __future__ import annotations

import logging
import re

import frontmatter
import yaml

from index.readers.base import Extracted, decode_text

log = logging.getLogger(__name__)
FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n.*?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# Keys that Jekyll, Hugo, Astro, Pandoc and CMS exports use, by the field they fill.
KEYS = {
    "title": ("title", "titel", "name", "headline"),
    "date": ("date", "datum", "pubdate", "pub_date", "published", "publishdate", "publish_date", "created", "stand",
             "veroeffentlicht", "veröffentlicht", "beschlossen", "beschlussdatum", "sitzungsdatum", "gueltig_ab", "gültig_ab",
             "valid_from"),
    "author": ("author", "autor", "autorin", "authors", "by", "verfasser"),
    "publisher": ("publisher", "herausgeber", "organisation", "organization", "partei", "fraktion", "source", "site"),
    "doc_type": ("type", "typ", "art", "doctype", "kind", "category", "kategorie"),
    "reference": ("reference", "aktenzeichen", "drucksache", "vorlage", "nummer"),
    "description": ("description", "summary", "beschreibung", "teaser"),
}


# Front-matter keys naming the body a text belongs to, with the word that names its kind.
PLACE_KEYS = (("gemeinde", "Gemeinde"), ("stadt", "Stadt"), ("kommune", "Kommune"), ("landkreis", "Landkreis"),
              ("kreis", "Kreis"), ("bezirk", "Bezirk"))


def read_text(data: bytes, markdown: bool) -> Extracted:
    """Decoded text; the front matter, if any, goes into the metadata."""
    text = decode_text(data)
    out = Extracted(text, "markdown" if markdown else "text")
    block = FRONT_MATTER.match(text)
    if not block:
        return out
    out.text = text[block.end():]
    try:
        fields = frontmatter.loads(block.group(0)).metadata
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        log.info("front matter not parseable (%s); cut off without its fields", type(exc).__name__)
        out.notices.append("Front Matter nicht lesbar, ignoriert")
        return out
    lowered = {str(k).lower(): v for k, v in fields.items()}
    for key, names in KEYS.items():
        for name in names:
            value = lowered.get(name)
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value if isinstance(v, (str, int, float)))
            if isinstance(value, (str, int, float)) or hasattr(value, "isoformat"):
                out.found(key, value.isoformat() if hasattr(value, "isoformat") else value, "Front Matter")
                break
    if "publisher" not in out.metadata:  # „gemeinde: Bad Boll“: the body the text belongs to
        for name, label in PLACE_KEYS:
            value = lowered.get(name)
            if isinstance(value, str) and value.strip():
                out.found("publisher", f"{label} {value.strip()}", "Front Matter")
                break
    return out
