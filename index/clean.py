"""Cleaning: newsroom debris out, PDF damage repaired, structure (headings, items, comments) kept.

The input is a `LoadedDocument` (plain text or markdown-like text); the output is a list of
`Block`s, each knowing its section. Rules are generic (no document ids), so the next city's
newsroom pages clean the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import STOPWORDS
from index.load import LoadedDocument
from index.readers.base import row_text
from index.normalise import normalise_text
from index.model import Block, CleanDocument

INTRO_SECTION = "Einleitung"
COMMENT_SECTION = "Reaktionen (Leserkommentare)"

# A line that starts a block of teasers/links; everything after it is debris until comments begin.
TEASER_START = re.compile(
    r"^(Weitere Nachrichten|Mehr Nachrichten|Mehr zum Thema|Mehr (auf )?dazu\b.*:|Das könnte Sie auch interessieren"
    r"|Lesen Sie auch|Ähnliche Artikel|Verwandte Artikel)\s*:?$",
    re.IGNORECASE,
)
COMMENTS_START = re.compile(r"^(Reaktionen|Kommentare|Leserkommentare|\d+ Kommentare?)\s*:?$", re.IGNORECASE)
DEBRIS_LINE = [
    re.compile(r"^(Newsroom|Datenschutz|Impressum|Teilen|Drucken|Nach oben|Zurück|Startseite|Menü)$", re.I),
    re.compile(r"^zur Nachricht\b", re.I),
    re.compile(r"^(Bild|Foto|Fotos|Grafik|Quelle Bild)\s*:", re.I),
    re.compile(r"^(Mo|Di|Mi|Do|Fr|Sa|So)\.? \d{1,2}\. [A-ZÄÖÜ][a-zäöü]+ \d{4}$"),
    re.compile(r"^Sieh dir diesen Beitrag auf (Instagram|Facebook|TikTok|X) an$", re.I),
    re.compile(r"^Ein Beitrag geteilt von\b", re.I),
    re.compile(r"Haben Sie bis zum Ende gelesen\?|freuen uns (aber )?auch über (Ihre )?Unterstützung", re.I),
]
CREDIT_LINE = re.compile(r"^(Bild|Foto|Fotos|Grafik)\s*:", re.I)
PRIVACY_WORDS = re.compile(r"Datenschutz|Cookie", re.I)
PRIVACY_CONTEXT = re.compile(r"IP-Adresse|zulassen|Webdienste|Einwilligung|Datenschutzerklärung|Cookies? akzeptieren", re.I)
CATEGORY_TAG = re.compile(r"^[\wÄÖÜäöüß.\- ]{1,40} & [\wÄÖÜäöüß.\- ]{1,40}$")
BYLINE = re.compile(r"^(Von|Text:|Autor(in)?:)\s+[A-ZÄÖÜ][\w-]+\s+[A-ZÄÖÜ]")
BULLETS = "-•*–+\u25aa\u25e6\u25cf\u25a0\u2023\u27a2\uf0b7\uf0a7\uf0d8"  # PDF exports use Symbol/Wingdings bullets
ITEM = re.compile(r"^\s*(\d{1,2}[.)]\s+(?!(Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)\b)\S"
                  rf"|[{BULLETS}]\s+\S)")
BULLET = re.compile(rf"^\s*[{BULLETS}]\s+")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
MD_BOLD_ONLY = re.compile(r"^([-*]\s+)?\*\*(.+?)\*\*\s*:?\s*$")
HTML_TAGS = re.compile(r"</?(?:a|abbr|b|big|blockquote|br|caption|center|code|details|div|em|figcaption|figure|font|"
                       r"h[1-6]|hr|i|img|li|mark|ol|p|pre|s|small|span|strike|strong|sub|summary|sup|table|tbody|"
                       r"td|tfoot|th|thead|tr|u|ul)\b[^<>]*/?>", re.I)
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
FILE_LINE = re.compile(r"^(?:[\w.%()-]+\.(?:pdf|docx?|odt|xlsx?|ods|pptx?|jpe?g|png|gif|zip)\s*)+$", re.I)
HTML_BLOCK = re.compile(r"<(h([1-6])|li)\b[^>]*>(.*?)(?:</(?:h[1-6]|li)>)?", re.I | re.S)
SENTENCE_END = re.compile(r"[.!?:;…]([\"“”'’»«)]*)$")
KEEP_HYPHEN_WORDS = {"und", "oder", "bzw.", "sowie", "bis", "als", "wie"}
URL = re.compile(r"https?://|www\.", re.I)
BULLET_LEVEL = 7


@dataclass
class Unit:
    """One line of the source after debris removal, before it becomes a block."""

    kind: str  # heading | paragraph | item | verbatim (bold-only lines: never joined)
    text: str
    level: int = 0
    after_blank: bool = False
    is_comment: bool = False
    last_line: int = 0  # length of its last source line, to recognise hard-wrapped text


def normalise(text: str) -> str:
    """The shared normalisation (`index.normalise`: NFKC, invisible and control characters out,
    look-alike letters folded), tabs as spaces, no trailing blanks."""
    text = normalise_text(text).replace("\t", " ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


INLINE = {"a", "abbr", "b", "big", "code", "em", "font", "i", "mark", "s", "small", "span", "strike", "strong", "sub",
          "sup", "u"}


def strip_tags(text: str) -> str:
    """HTML tags out, their words kept: inline tags vanish (`CO<sub>2</sub>` → CO2), block tags
    (`<br>`, `<hr>`, `<p>` …) leave a space."""
    if "<" not in text:
        return text
    return HTML_TAGS.sub(lambda m: "" if re.match(r"</?(\w+)", m.group()).group(1).lower() in INLINE else " ", text)


def strip_markup(text: str) -> str:
    """Markdown emphasis, images and link targets out (a link keeps its words), words kept."""
    text = MD_IMAGE.sub(lambda m: m.group(1), text)
    text = MD_LINK.sub(lambda m: m.group(1), text)
    text = MD_AUTOLINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<!\w)__(.+?)__(?!\w)", r"\1", text)
    return re.sub(r"\s{2,}", " ", text.replace("**", "")).strip()


def is_debris(line: str) -> bool:
    if any(p.search(line) for p in DEBRIS_LINE):
        return True
    if CATEGORY_TAG.match(line) and len(line.split()) <= 5:
        return True
    return bool(PRIVACY_WORDS.search(line) and PRIVACY_CONTEXT.search(line))


def looks_like_heading(line: str) -> bool:
    """Plain-text sub-headings: short, no sentence punctuation at the end, not a byline or item."""
    words = line.split()
    if not words or len(words) > 15 or len(line) > 120 or ITEM.match(line) or BYLINE.match(line) or URL.search(line):
        return False
    return not SENTENCE_END.search(line) and not line.endswith((",", "-"))


PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def table_rows(lines: list[str]) -> dict[int, str]:
    """Pipe tables (Markdown, and what the DOCX, ODT, HTML and PDF readers make of tables) as
    readable rows: line index → „Spalte: Wert; Spalte: Wert.“ (header and rule lines map to '')."""
    rows: dict[int, str] = {}
    i = 0
    while i < len(lines):
        if not PIPE_ROW.match(lines[i]):
            i += 1
            continue
        start = i
        while i < len(lines) and (PIPE_ROW.match(lines[i]) or PIPE_RULE.match(lines[i])):
            i += 1
        block = [j for j in range(start, i) if not PIPE_RULE.match(lines[j])]
        if len(block) < 2:
            continue
        cells = [[c.strip() for c in lines[j].strip().strip("|").split("|")] for j in block]
        rows.update({j: "" for j in range(start, i)})
        rows.update({j: row_text(cells[0], row) for j, row in zip(block[1:], cells[1:])})
    return rows


def split_units(doc: LoadedDocument, removed: list[str], wrapped: int = 0) -> list[Unit]:
    """Lines → units, debris removed, headings and items recognised, tables as rows."""
    markdown = doc.fmt == "markdown"
    lines = normalise(doc.text).split("\n")
    rows = table_rows(lines)
    units: list[Unit] = []
    blank, in_teasers, in_comments = False, False, False
    next_text = [""] * len(lines)  # the next non-blank line after each line
    for i in range(len(lines) - 2, -1, -1):
        next_text[i] = lines[i + 1].strip() or next_text[i + 1]
    for i, raw in enumerate(lines):
        if i in rows:  # a table row stands on its own, never joined to the next
            if rows[i]:
                units.append(Unit("verbatim", strip_markup(rows[i]), 0, blank))
                blank = False
            continue
        html = HTML_BLOCK.fullmatch(raw.strip()) if markdown and "<" in raw else None
        if html:  # „<h2>Titel</h2>“, „<li>Punkt</li>“ in a Markdown file: structure, not words
            text = strip_markup(strip_tags(html.group(3)))
            if text:
                tag = html.group(1).lower()
                units.append(Unit("heading", text, int(html.group(2)), blank) if tag.startswith("h")
                             else Unit("item", "- " + text, 0, blank))
                blank = tag.startswith("h")
            continue
        line = strip_tags(raw).strip()
        if not line or (markdown and re.fullmatch(r"[-*_=]{3,}|[-*+]", line)):
            blank = True  # a rule, an empty bullet or nothing: a break between blocks
            continue
        if not markdown and COMMENTS_START.match(line):
            in_teasers, in_comments = False, True
            units.append(Unit("heading", COMMENT_SECTION, 1, blank, True))
            blank = False
            continue
        if in_teasers or TEASER_START.match(line):
            in_teasers = True
            removed.append(line)
            continue
        next_line = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if is_debris(line) or (not markdown and CREDIT_LINE.match(next_line) and len(line.split()) <= 30):
            removed.append(line)  # a photo caption is the line right above its credit
            continue
        previous_line = lines[i - 1].strip() if i else ""
        in_a_list = bool(BULLET.match(next_line) or BULLET.match(previous_line))  # bullets on adjacent lines
        unit = classify(line, markdown, in_comments, blank, sub_heading_follows=not in_a_list)
        unit.last_line = len(line)
        indent = len(raw) - len(raw.lstrip())
        if markdown and unit.kind == "item" and indent >= 2 and unit.text.startswith("- "):
            unit.text = "  " * (1 if indent < 6 else 2) + unit.text  # a nested item keeps its level
        if markdown and unit.kind == "paragraph" and indent >= 2 and not blank and units and units[-1].kind == "item":
            units[-1].text, units[-1].last_line = f"{units[-1].text} {unit.text}", unit.last_line
            continue  # a list item continued on an indented line
        if not unit.text.strip("-*• ") or FILE_LINE.match(unit.text):
            removed.append(line)  # nothing left but markup, or only links to attached files
            continue
        following = next_text[i]
        if unit.kind == "heading" and not markdown and (following[:1].islower() or (wrapped and len(line) >= 0.6 * wrapped)):
            unit.kind = "paragraph"  # the line continues on the next one: a broken sentence, not a heading
        units.append(unit)
        blank = False
    return units


def classify(line: str, markdown: bool, in_comments: bool, after_blank: bool, sub_heading_follows: bool = True) -> Unit:
    """A line as heading, item or paragraph. A bold bullet („- **Titel**“) heads the text under it,
    unless it stands in a run of bullets on adjacent lines: then it is a list item."""
    if markdown:
        heading = MD_HEADING.match(line)
        if heading:
            text = strip_markup(heading.group(2))
            level = len(heading.group(1))
            if text.startswith("- "):
                text, level = text[2:].strip(), BULLET_LEVEL
            return Unit("heading", text.rstrip(":"), level, after_blank)
        bold = MD_BOLD_ONLY.match(line)
        if bold:
            text = strip_markup(bold.group(2)).rstrip(":").strip()
            if bold.group(1) and sub_heading_follows and not SENTENCE_END.search(text):
                return Unit("heading", text, BULLET_LEVEL, after_blank)
            if bold.group(1):
                return Unit("item", "- " + text, 0, after_blank)
            return Unit("verbatim", text, 0, after_blank)
        text = strip_markup(line)
        bullet = BULLET.match(text)
        if bullet:
            return Unit("item", "- " + text[bullet.end():].strip(), 0, after_blank)
        return Unit("item" if ITEM.match(text) else "paragraph", text, 0, after_blank)
    if ITEM.match(line):
        return Unit("item", line, 0, after_blank, in_comments)
    if looks_like_heading(line):
        return Unit("heading", line, 2, after_blank, in_comments)
    return Unit("paragraph", line, 0, after_blank, in_comments)


def wrap_width(text: str) -> int:
    """The line width of hard-wrapped text (PDF exports: most lines end near the same column), or 0
    when lines are paragraphs of their own."""
    lengths = sorted(len(line.strip()) for line in text.split("\n") if line.strip())
    if len(lengths) < 8:
        return 0
    width = lengths[int(len(lengths) * 0.9)]
    near = sum(1 for n in lengths if n >= 0.75 * width)
    return width if 50 <= width <= 140 and near >= len(lengths) / 3 else 0


LABEL_START = re.compile(r"^[\w-]+(?:\s+[\w-]+)?:\s")  # „Möglicher Hintergrund: …“, „Antwort: …“


def starts_sentence(text: str) -> bool:
    """Whether a paragraph begins a sentence (rather than continuing the one before a blank line):
    a capitalised article, pronoun, preposition or conjunction, or a label."""
    first = text.split()[0] if text.split() else ""
    return bool(LABEL_START.match(text)) or (first[:1].isupper() and first.lower() in STOPWORDS)


def repair_breaks(units: list[Unit], markdown: bool, wrapped: int = 0) -> list[Unit]:
    """Rejoin sentences broken by the PDF conversion, and words hyphenated across lines. With a
    wrap width, a long line without final punctuation continues on the next line (no blank between)."""
    out: list[Unit] = []
    seen_heading = False
    for unit in units:
        prev = out[-1] if out else None
        if unit.kind == "heading":
            seen_heading = True
        if prev and unit.kind == "paragraph" and prev.kind in ("paragraph", "item") and not SENTENCE_END.search(prev.text):
            first = unit.text.split()[0]
            hyphenated = re.search(r"[a-zäöüß]-$", prev.text) and first[0].islower() and first not in KEEP_HYPHEN_WORDS
            if hyphenated:
                prev.text, prev.last_line = prev.text[:-1] + unit.text, unit.last_line
                continue
            continued = wrapped and not unit.after_blank and prev.last_line >= 0.6 * wrapped
            # a converted PDF's sentence split by a blank line; not when the next paragraph starts a
            # sentence of its own („Die Stadtverwaltung …“, „Möglicher Hintergrund: …“)
            broken = markdown and seen_heading and prev.kind == "paragraph" and not starts_sentence(unit.text)
            if (first[0].islower() and (prev.kind == "paragraph" or not unit.after_blank)) or broken or continued:
                prev.text, prev.last_line = f"{prev.text} {unit.text}", unit.last_line
                continue
        out.append(unit)
    return out


def build_blocks(units: list[Unit]) -> list[Block]:
    """Units → blocks with their section path; empty headings vanish."""
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    for unit in units:
        if unit.kind == "heading":
            while stack and stack[-1][0] >= unit.level:
                stack.pop()
            stack.append((unit.level, unit.text))
            if unit.is_comment and unit.text == COMMENT_SECTION:
                stack = [(unit.level, unit.text)]
        path = " › ".join(text for _, text in stack) or INTRO_SECTION
        section = stack[-1][1] if stack else INTRO_SECTION
        kind = "paragraph" if unit.kind == "verbatim" else unit.kind
        blocks.append(Block(kind, unit.text, section, path, unit.is_comment))
    return blocks


def clean(doc: LoadedDocument) -> CleanDocument:
    """The pipeline's clean step: debris out, breaks repaired, structure kept."""
    removed: list[str] = []
    wrapped = wrap_width(doc.text)
    units = repair_breaks(split_units(doc, removed, wrapped), doc.fmt == "markdown", wrapped)
    return CleanDocument(doc.meta, build_blocks(units), removed)
