"""RTF files (older council documents and templates) as plain text, by striprtf. The document's
info group gives title, author and creation date; the code page the file declares decodes its
escaped characters („\\'fc“ → ü)."""

from __future__ import annotations

import re

from striprtf.striprtf import rtf_to_text

from index.errors import DocumentUnreadable
from index.readers.base import Extracted

CODE_PAGE = re.compile(rb"\\ansicpg(\d+)")
INFO = re.compile(r"\{\\(title|author|subject)\s+((?:[^{}\\]|\\.)*)\}")
CREATED = re.compile(r"\{\\creatim\\yr(\d{4})\\mo(\d{1,2})\\dy(\d{1,2})")


def read_rtf(data: bytes) -> Extracted:
    if not data.lstrip().startswith(b"{\\rtf"):
        raise DocumentUnreadable("keine gültige RTF-Datei")
    page = CODE_PAGE.search(data[:2000])
    encoding = f"cp{page.group(1).decode()}" if page else "cp1252"
    try:
        raw = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        encoding, raw = "cp1252", data.decode("cp1252", errors="replace")
    out = Extracted(rtf_to_text(raw, encoding=encoding, errors="replace"), "text")
    for key, value in INFO.findall(raw):
        text = rtf_to_text("{\\rtf1 " + value + "}", encoding=encoding, errors="replace").strip()
        out.found({"subject": "description"}.get(key, key), text, "RTF-Info")
    created = CREATED.search(raw)
    if created:
        year, month, day = created.groups()
        out.found("created", f"{year}-{int(month):02d}-{int(day):02d}", "RTF-Info")
    return out
