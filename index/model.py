"""Small data types shared by the indexing steps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

MONTHS_DE = [
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
]


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What we know about a document besides its text: from the manifest, the file, or the text
    (`origins` says which, per field; see `index.metadata`)."""

    doc_id: str
    title: str
    publisher: str = "unbekannt"
    date: str = ""  # ISO: YYYY-MM-DD or YYYY-MM
    date_precision: str = "exact"  # exact | approximate
    doc_type: str = "Dokument"
    language: str = "de"
    cite_as: str = ""
    aliases: tuple[str, ...] = ()
    source_file: str = ""
    speaker: str = ""  # whose voice the document is ("wir"), for attributing statements of intent
    actors: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, words naming them)
    author: str = ""
    reference: str = ""  # e.g. a council paper's number (OParl `Paper.reference`)
    origins: tuple[tuple[str, str], ...] = ()  # (field, "manifest" | "file:…" | "inferred:…" | "default…")
    ocr: bool = False  # text (partly) recognised from images: quotes may contain recognition errors
    source: str = ""  # where it was ingested from (folder or OParl endpoint); an ingest prunes only its own

    def origin(self, name: str) -> str:
        """Where a field came from: manifest, file, inferred or default."""
        value = dict(self.origins).get(name, "manifest" if not self.origins else "default")
        return value.split(":", 1)[0]

    def date_display(self) -> str:
        """German date for people: '16.08.2023', 'ca. 29.09.2025' or 'Februar 2024 (ungefähr)'."""
        parts = self.date.split("-")
        if len(parts) == 3:
            text = f"{parts[2]}.{parts[1]}.{parts[0]}"
            return text if self.date_precision == "exact" else f"ca. {text}"
        if len(parts) == 2:
            text = f"{MONTHS_DE[int(parts[1]) - 1]} {parts[0]}"
            return text if self.date_precision == "exact" else f"{text} (ungefähr)"
        return self.date or "ohne Datum"


@dataclass(frozen=True)
class Block:
    """One structural unit of a cleaned document: a heading, a paragraph or a list item."""

    kind: str  # heading | paragraph | item
    text: str
    section: str = ""
    section_path: str = ""
    is_comment: bool = False


@dataclass
class CleanDocument:
    """A document after cleaning: its blocks and the text they make up."""

    meta: DocumentMeta
    blocks: list[Block]
    removed: list[str] = field(default_factory=list)  # debris lines, for inspection

    @property
    def text(self) -> str:
        return render_blocks(self.blocks)


def render_blocks(blocks: list[Block]) -> str:
    """The cleaned text: list items one per line, other blocks separated by a blank line."""
    out: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            tight = block.kind == "item" and blocks[i - 1].kind == "item"
            out.append("\n" if tight else "\n\n")
        out.append(block.text)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A citable passage: a few sentences of one section of one document."""

    chunk_id: str
    doc_id: str
    position: int
    text: str
    section: str
    section_path: str
    start: int  # character offsets in the cleaned document text
    end: int
    is_comment: bool = False
    doc_hash: str = ""

    def embed_text(self, meta: DocumentMeta) -> str:
        """What gets embedded and indexed: the passage with its title and section as context."""
        header = meta.title if not self.section_path else f"{meta.title} – {self.section_path}"
        return f"{header}\n{self.text}"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def chunk_id(doc_id: str, position: int, text: str) -> str:
    """Stable id: document, position and content hash, so unchanged text keeps its id."""
    return f"{doc_id}:{position:04d}:{content_hash(text)[:10]}"
