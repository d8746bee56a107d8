"""What the CLI, the app and the evaluation see: `Answer` and `Source`, never llama-index nodes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def line(self) -> str:
        """`[1] Titel – Herausgeber, Datum, Abschnitt „…“: „Zitat …“`"""
        comment = " (Leserkommentar)" if self.is_comment else ""
        return (f"[{self.n}] {self.title} – {self.publisher}, {self.date}, Abschnitt „{self.section}“{comment}: "
                f"„{self.quote}“")


@dataclass(frozen=True)
class Claim:
    """A verbatim sentence of the answer and the source it is cited from."""

    text: str
    n: int


@dataclass
class Answer:
    question: str
    text: str
    sources: list[Source] = field(default_factory=list)
    refused: bool = False
    claims: list[Claim] = field(default_factory=list)
    resolved_question: str = ""  # the question after follow-up resolution
    mode: str = "extractive"  # extractive | llm | llm-fallback | list | promises
    notice: str = ""  # shown to the user, e.g. why the LLM answer was replaced
    nearest: list[str] = field(default_factory=list)  # doc ids named in a refusal
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.text, "refused": self.refused,
            "sources": [asdict(s) for s in self.sources], "timings_ms": self.timings_ms,
            "resolved_question": self.resolved_question, "mode": self.mode, "notice": self.notice,
            "claims": [asdict(c) for c in self.claims], "nearest": self.nearest,
        }
