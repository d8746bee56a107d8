"""Word (DOCX, python-docx) and OpenDocument (ODT, odfpy) files as Markdown: headings keep their
level, list paragraphs become items, tables become pipe tables (which cleaning turns into readable
rows „Spalte: Wert; …“). The documents' core properties give title and author; their dates are
kept as `created`, used only when the text has no dateline (templates carry old dates)."""

from __future__ import annotations

import io
import re
import zipfile

from index.errors import DocumentUnreadable
from index.options import ReadingLimits
from index.readers.base import Extracted

HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titel|title)\s*(\d*)", re.I)


def unzipped_size(data: bytes, limits: ReadingLimits) -> None:
    """Refuse zip bombs before any parser inflates them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise DocumentUnreadable("keine gültige Office-Datei (kein ZIP-Container)") from None
    if total > limits.max_decompressed_mb * 1_000_000:
        raise DocumentUnreadable(f"entpackt zu groß ({total / 1e6:.0f} MB > {limits.max_decompressed_mb:.0f} MB)")


def pipe_table(rows: list[list[str]]) -> list[str]:
    """Rows of cell texts as a Markdown pipe table (cells on one line each)."""
    rows = [[" ".join(cell.split()).replace("|", "/") for cell in row] for row in rows if any(c.strip() for c in row)]
    if len(rows) < 2:
        return [" ".join(c for c in row if c) for row in rows]
    width = max(len(r) for r in rows)
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
    return ["", lines[0], "|" + "---|" * width, *lines[1:], ""]


def read_docx(data: bytes, limits: ReadingLimits) -> Extracted:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    unzipped_size(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentUnreadable(f"DOCX nicht lesbar ({type(exc).__name__})") from None
    lines: list[str] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend(docx_paragraph(Paragraph(element, document)))
        elif tag == "tbl":
            table = Table(element, document)
            lines.extend(pipe_table([[cell.text for cell in row.cells] for row in table.rows]))
    out = Extracted("\n".join(lines).strip(), "markdown")
    props = document.core_properties
    out.found("title", props.title, "DOCX-Eigenschaften")
    out.found("author", props.author, "DOCX-Eigenschaften")
    stamp = props.modified or props.created  # often a template's date: used only when the text has no dateline
    if stamp:
        out.found("created", stamp.date().isoformat(), "DOCX-Eigenschaften")
    return out


def docx_paragraph(paragraph) -> list[str]:
    text = " ".join(paragraph.text.split())
    if not text:
        return [""]
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = HEADING_STYLE.match(style)
    if heading:
        level = int(heading.group(1) or 1) if style.lower().startswith(("heading", "überschrift")) else 1
        return ["", "#" * min(level, 6) + " " + text, ""]
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if "list" in style.lower() or "liste" in style.lower() or numbered:
        return ["- " + text]
    return ["", text]


def read_odt(data: bytes, limits: ReadingLimits) -> Extracted:
    from odf import dc, meta, table, teletype
    from odf.opendocument import load

    unzipped_size(data, limits)
    try:
        document = load(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentUnreadable(f"ODT nicht lesbar ({type(exc).__name__})") from None
    lines: list[str] = []

    def walk(node, in_list: bool = False) -> None:
        for child in node.childNodes:
            kind = getattr(child, "qname", (None, None))[1]
            if kind == "h":
                level = int(child.getAttribute("outlinelevel") or 1)
                lines.extend(["", "#" * min(level, 6) + " " + " ".join(teletype.extractText(child).split()), ""])
            elif kind == "p":
                words = " ".join(teletype.extractText(child).split())
                lines.append(("- " + words) if in_list and words else words)
                if not in_list:
                    lines.append("")
            elif kind in ("list", "list-item"):
                walk(child, in_list=True)
            elif kind == "table":
                rows = [[" ".join(teletype.extractText(cell).split()) for cell in row.getElementsByType(table.TableCell)]
                        for row in child.getElementsByType(table.TableRow)]
                lines.extend(pipe_table(rows))
            elif kind in ("section", "text", "body"):
                walk(child, in_list)

    walk(document.text)
    out = Extracted("\n".join(lines).strip(), "markdown")
    for element, key in ((dc.Title, "title"), (meta.InitialCreator, "author"), (dc.Creator, "author"),
                         (dc.Date, "created"), (meta.CreationDate, "created")):
        found = document.meta.getElementsByType(element)
        if found:
            value = teletype.extractText(found[0]).strip()
            out.found(key, value[:10] if key == "created" else value, "ODT-Eigenschaften")
    return out
