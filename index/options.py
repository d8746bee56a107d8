"""Options of the indexing and retrieval steps, declared once with their defaults and help.

They are the pydantic models of the settings tree (`assistant.settings.Settings.chunking`,
`.retrieval`, `.limits`); the components take them as they are, never a copy of their fields.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class ChunkingOptions(BaseModel):
    target_words: int = Field(120, ge=20, le=1000, description="A chunk is closed once it reaches this many words.")
    max_words: int = Field(250, ge=40, le=2000, description="No chunk grows beyond this many words; a longer sentence is cut.")
    overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences repeated at the start of the next chunk.")
    max_chars: int = Field(3000, ge=200, le=100_000,
                           description="Hard limit of a chunk in characters, also for text without punctuation.")

    @model_validator(mode="after")
    def _sizes(self) -> "ChunkingOptions":
        if self.target_words > self.max_words:
            raise ValueError("chunking.target_words must not exceed chunking.max_words")
        return self


class RetrievalOptions(BaseModel):
    top_k: int = Field(8, ge=1, le=100, description="Passages handed to the answer step.")
    dense_k: int = Field(30, ge=1, le=1000, description="Candidates from the vector search.")
    lexical_k: int = Field(30, ge=1, le=1000, description="Candidates from BM25.")
    rrf_k: int = Field(60, ge=1, le=10_000, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(1.0, ge=0, le=100, description="Weight of the dense ranking in the fusion.")
    lexical_weight: float = Field(1.0, ge=0, le=100, description="Weight of the BM25 ranking in the fusion.")
    route_boost: float = Field(1.6, ge=1, le=100,
                               description="Score multiplier for documents a question names ('Projektpapier', 'OB').")


class ReadingLimits(BaseModel):
    """Bounds on reading one file, so that one hostile or broken file cannot stop an ingest (all finite:
    an upper bound rejects `inf` and `nan` at start-up)."""

    max_pages: int = Field(2000, ge=1, le=100_000, description="PDF pages read at most; the rest is skipped with a notice.")
    max_pdf_operators: int = Field(1_000_000, ge=1000, le=100_000_000,
                                   description="Drawing operators per PDF page before the page counts as a plan, not text.")
    max_decompressed_mb: float = Field(200.0, gt=0, le=4096,
                                       description="Largest decompressed content (PDF streams, DOCX/ODT parts) read from one file.")
    seconds_per_file: float = Field(120.0, gt=0, le=3600, description="Time one file may take to be read (OCR included).")
    ocr: bool = Field(True, description="Recognise PDF pages without a text layer with Tesseract (German), when it is installed.")
