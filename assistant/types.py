"""What the CLI, the app and the evaluation see: `Answer` and `Source`, never llama-index nodes.

Both are frozen: an answer is built complete, and a changed one is a new one
(`dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.model import Chunk, DocumentMeta


@dataclass(frozen=True)
class Source:
    """One cited passage: marker number, document, section, and the exact quoted text."""

    n: int
    doc_id: str
    title: str
    publisher: str
    date: str  # for people: "16.08.2023", "ca. 29.09.2025", "Februar 2024 (ungefähr)"
    section: str
    quote: str  # verbatim slice of the cleaned document
    chunk_id: str = ""
    date_iso: str = ""
    doc_type: str = ""
    start: int = 0  # offsets of `quote` in the cleaned document text, for highlighting
    end: int = 0
    is_comment: bool = False
    reference: str = ""  # the council paper's number (OParl `Paper.reference`), if any
    ocr: bool = False  # the document's text was recognised from images: the quote may contain errors

    @classmethod
    def cite(cls, n: int, meta: DocumentMeta, section: str, text: str, start: int, end: int,
             chunk: Chunk | None = None) -> "Source":
        """The one constructor: `text[start:end]` of the cleaned document, cited as number `n`."""
        return cls(n=n, doc_id=meta.doc_id, title=meta.title, publisher=meta.publisher, date=meta.date_display(),
                   section=section, quote=text, chunk_id=chunk.chunk_id if chunk else "", date_iso=meta.date,
                   doc_type=meta.doc_type, start=start, end=end, is_comment=bool(chunk and chunk.is_comment),
                   reference=meta.reference, ocr=meta.ocr)

    @classmethod
    def from_chunk(cls, n: int, chunk: Chunk, meta: DocumentMeta, start: int | None = None,
                   end: int | None = None) -> "Source":
        """A chunk, or the slice `[start:end]` of it (document offsets), as source `n`."""
        start = chunk.start if start is None else start
        end = chunk.end if end is None else end
        quote = chunk.text[start - chunk.start:end - chunk.start]
        return cls.cite(n, meta, chunk.section_path, quote, start, end, chunk)

    def line(self) -> str:
        """`[1] Titel – Herausgeber, Datum, Abschnitt „…“: „Zitat …“`"""
        comment = " (Leserkommentar)" if self.is_comment else ""
        reference = f", Vorlage {self.reference}" if self.reference else ""
        ocr = " [Text per Texterkennung]" if self.ocr else ""
        return (f"[{self.n}] {self.title} – {self.publisher}, {self.date}{reference}, Abschnitt „{self.section}“{comment}"
                f"{ocr}: „{self.quote}“")


@dataclass(frozen=True)
class Claim:
    """A verbatim sentence of the answer and the source it is cited from."""

    text: str
    n: int


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    sources: tuple[Source, ...] = ()
    refused: bool = False
    claims: tuple[Claim, ...] = ()
    resolved_question: str = ""  # the question after follow-up resolution
    mode: str = "extractive"  # extractive | llm | llm-fallback | list | promises | message
    notice: str = ""  # shown to the user, e.g. why the LLM answer was replaced
    nearest: tuple[str, ...] = ()  # doc ids named in a refusal
    ranked_docs: tuple[str, ...] = ()  # documents in the order retrieval ranked them (for evaluation)
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.text, "refused": self.refused,
            "sources": [asdict(s) for s in self.sources], "timings_ms": self.timings_ms,
            "resolved_question": self.resolved_question, "mode": self.mode, "notice": self.notice,
            "claims": [asdict(c) for c in self.claims], "nearest": list(self.nearest),
            "ranked_docs": list(self.ranked_docs),
        }
