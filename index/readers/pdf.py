"""PDF: the text layer of each page (pypdf), within the reading limits; pages without text are
recognised by OCR when Tesseract is there (`index.readers.ocr`). The info dictionary gives title,
author and date."""

from __future__ import annotations

import io
import logging
import re

from index.errors import DocumentUnreadable
from index.options import ReadingLimits
from index.readers.base import Extracted, row_text

log = logging.getLogger(__name__)
MIN_PAGE_CHARS = 25  # a page with less text than this counts as scanned


def open_pdf(data: bytes, limits: ReadingLimits):
    """A `PdfReader`, decrypted when the password is empty; encrypted with a password → unreadable."""
    import pypdf.filters
    from pypdf import PdfReader

    if not data.strip():
        raise DocumentUnreadable("leere Datei")
    cap = int(limits.max_decompressed_mb * 1_000_000)
    pypdf.filters.ZLIB_MAX_OUTPUT_LENGTH = min(pypdf.filters.ZLIB_MAX_OUTPUT_LENGTH, cap)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentUnreadable("PDF ist mit einem Passwort verschlüsselt")
    return reader


def page_text(page, limits: ReadingLimits) -> str | None:
    """The page's text, or None when the page is a drawing (too many operators) and is skipped."""
    from pypdf.errors import LimitReachedError

    contents = page.get_contents()
    if contents is not None:
        raw = contents.get_data()
        if len(raw) > limits.max_pdf_operators * 4 and raw.count(b"\n") + raw.count(b" ") > limits.max_pdf_operators:
            return None
    try:
        return page.extract_text() or ""
    except LimitReachedError:
        return None


CELL_GAP = re.compile(r"\t| {2,}")


def columns_as_rows(text: str) -> str:
    """A run of three or more lines with the same number (≥ 2) of cells, separated by tabs or wide
    gaps, is a table: each data row becomes its own paragraph „Spalte: Wert; …“ (header: first line)."""
    lines = text.split("\n")
    cells = [[c.strip() for c in CELL_GAP.split(line.strip())] if CELL_GAP.search(line.strip()) else [] for line in lines]
    out, i = [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(cells[j]) >= 2 and len(cells[j]) == len(cells[i]):
            j += 1
        if j - i >= 3:
            out.append("")
            out.extend(f"{row_text(cells[i], row)}\n" for row in cells[i + 1:j])
            i = j
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def read_pdf(data: bytes, limits: ReadingLimits, ocr=None) -> Extracted:
    """`ocr(page_number, page) -> str` recognises a page without a text layer (None: no OCR)."""
    reader = open_pdf(data, limits)
    pages, notices, recognised = [], [], 0
    for number, page in enumerate(reader.pages, 1):
        if number > limits.max_pages:
            notices.append(f"nur die ersten {limits.max_pages} Seiten gelesen")
            break
        text = page_text(page, limits)
        if text is None:
            notices.append(f"Seite {number} übersprungen (Zeichnung mit zu vielen Grafikbefehlen)")
            continue
        if len(text.strip()) < MIN_PAGE_CHARS and ocr is not None:
            scanned = ocr(number, page)
            if scanned.strip():
                text, recognised = scanned, recognised + 1
        pages.append(columns_as_rows(text.strip()))
    text = "\n\n".join(p for p in pages if p)
    # PDF text is hard-wrapped: rejoin hyphenated words and lines within a paragraph.
    text = re.sub(r"(?<=[a-zäöüß])-\n(?=[a-zäöüß])", "", text)
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", text)
    if not text.strip():
        raise DocumentUnreadable("PDF enthält keinen auslesbaren Text (gescannt? Texterkennung nicht verfügbar "
                                 "oder ohne Ergebnis)" if ocr is None else "PDF enthält keinen Text, auch nicht per Texterkennung")
    out = Extracted(text, "text", notices=notices, ocr=recognised > 0)
    if recognised:
        out.notices.append(f"Text per Texterkennung ({recognised} von {len(pages)} Seiten)")
    info = reader.metadata or {}
    out.found("title", _info(info, "/Title"), "PDF-Info")
    out.found("author", _info(info, "/Author"), "PDF-Info")
    date = _info(info, "/CreationDate")
    match = re.match(r"D?:?(\d{4})(\d{2})(\d{2})", date)
    if match:
        out.found("date", "-".join(match.groups()), "PDF-Info (Erstellungsdatum)")
    return out


def _info(info, key: str) -> str:
    try:
        value = info.get(key)
    except Exception:  # a broken info dictionary is no reason to lose the text
        return ""
    return str(value) if value is not None else ""
