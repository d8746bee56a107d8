"""What a reader returns, and text decoding shared by the text-based formats."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.errors import DocumentUnreadable


@dataclass
class Extracted:
    """Text of one file and what the file itself says about the document.

    `fmt` is `markdown` (headings `#`, lists `-`, tables as rows) or `text` (plain lines).
    `metadata` holds fields found in the file (title, date, author/publisher, type, …) with the
    name of the place they came from in `origins` (e.g. `front matter`, `HTML meta`, `PDF info`).
    """

    text: str
    fmt: str = "text"
    metadata: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # e.g. "Text per Texterkennung (OCR)"
    ocr: bool = False

    def found(self, key: str, value, origin: str) -> None:
        """Record one metadata field unless it is empty or already known."""
        value = " ".join(str(value or "").split())
        if value and key not in self.metadata:
            self.metadata[key] = value
            self.origins[key] = origin


def row_text(header: list[str], row: list[str]) -> str:
    """One table row as a readable sentence: „Fraktion: SPD; Ja: 12; Nein: 0.“ (unnamed columns: the value)."""
    header = [h or f"Spalte {n}" for n, h in enumerate(header, 1)]
    pairs = [f"{h}: {v}" if not h.startswith("Spalte ") else v for h, v in zip(header, row) if v]
    return "; ".join(pairs).rstrip(".") + "." if pairs else ""


CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # control characters other than \t \n \f \r


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with a BOM (Windows' „Unicode“ text), else
    Windows-1252; binary content is refused."""
    if not data.strip():
        raise DocumentUnreadable("leere Datei")
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                data = data.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                raise DocumentUnreadable(f"Text mit {encoding.upper()}-Kennung, aber nicht lesbar") from None
            break
    if b"\x00" in data[:8192]:
        raise DocumentUnreadable("binärer Inhalt (NUL-Bytes), kein Text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise DocumentUnreadable(f"Text ist weder UTF-8 noch Windows-1252 ({exc.reason})") from None
    controls = len(CONTROLS.findall(text))
    if controls > max(8, len(text) // 100):
        raise DocumentUnreadable("binärer Inhalt (Steuerzeichen), kein Text")
    return text.replace("\r\n", "\n").replace("\r", "\n")
