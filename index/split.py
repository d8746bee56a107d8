"""German sentence splitting and structure-aware chunking.

Sentences never span blocks; chunks never span sections. A chunk is a contiguous slice of the
cleaned document text, so every quote taken from it is verbatim in the document as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.model import Block, Chunk, CleanDocument, MONTHS_DE, chunk_id, content_hash

ABBREVIATIONS = (
    r"z\.\s?B|u\.\s?a|d\.\s?h|o\.\s?ä|u\.\s?U|z\.\s?T|i\.\s?d\.\s?R|s\.\s?o|s\.\s?u|v\.\s?a|Anm\.\s?d\.\s?Red"
    r"|Nr|Dr|Prof|St|ca|bzw|vgl|ggf|evtl|inkl|exkl|etc|usw|Str|Abs|Art|Mio|Mrd|Tel|Hr|Fr|Jh|Jhd|sog|bspw"
    r"|max|min|rd|gem|lt|li|re|Bd|Hrsg|Kap|Abt|Dipl|Ing|Mag|geb|gest|ehem|jun|sen|Reg|Bez|Co"
)
ABBREVIATION_END = re.compile(rf"(?:^|[\s(„\"])(?:{ABBREVIATIONS})\.$|(?:^|[\s(])[A-Za-zÄÖÜäöü]\.$")
ORDINAL_END = re.compile(r"(?:^|[\s(])\d{1,2}\.$")
CANDIDATE = re.compile(r"[.!?…]+[\"“”'’»«)\]]*(?=\s+)")
NEXT_START = re.compile(r"\s+[\"„“‚'»«(\[–-]?[A-ZÄÖÜ0-9]")
MONTH_START = re.compile(r"\s+(" + "|".join(MONTHS_DE) + r")\b")
OPENERS = {"„": "“", "»": "«", "‚": "‘"}
MAX_QUOTED_WORDS = 60


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets in the cleaned document text
    end: int


def _quote_depth(text: str) -> int:
    """How many quotations are open at the end of `text` (German „…“, »…«, English “…”)."""
    stack: list[str] = []
    for ch in text:
        if stack and ch == stack[-1]:
            stack.pop()
        elif ch in OPENERS:
            stack.append(OPENERS[ch])
        elif ch == "“":
            stack.append("”")
        elif ch == '"':
            stack.append('"')
    return len(stack)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries in one block of German text, as (start, end) offsets."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in CANDIDATE.finditer(text):
        end = match.end()
        rest = text[end:]
        if not NEXT_START.match(rest):
            continue
        head = text[start:end]
        dotted = match.group().startswith(".")
        if dotted and ABBREVIATION_END.search(text[max(start, end - 14):match.start() + 1]):
            continue
        if dotted and ORDINAL_END.search(text[max(start, end - 6):match.start() + 1]):
            continue
        if dotted and MONTH_START.match(rest) and re.search(r"\d\.$", text[:match.start() + 1]):
            continue
        if _quote_depth(head) and len(head.split()) < MAX_QUOTED_WORDS:
            continue  # keep a quotation (and its "sagte X") together
        spans.append((start, end))
        start = end + (len(rest) - len(rest.lstrip()))
    if start < len(text.rstrip()):
        spans.append((start, len(text.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def block_offsets(blocks: list[Block]) -> list[int]:
    """Start offset of each block in `render_blocks(blocks)`."""
    offsets, pos = [], 0
    for i, block in enumerate(blocks):
        if i:
            pos += 1 if block.kind == "item" and blocks[i - 1].kind == "item" else 2
        offsets.append(pos)
        pos += len(block.text)
    return offsets


def chunk_document(doc: CleanDocument, target_words: int = 120, max_words: int = 250,
                   overlap_sentences: int = 1) -> list[Chunk]:
    """Sentences grouped into chunks of about `target_words`, never across a section."""
    text = doc.text
    doc_hash = content_hash(text)
    groups: list[tuple[Block, list[Sentence]]] = []
    for block, offset in zip(doc.blocks, block_offsets(doc.blocks)):
        if block.kind == "heading":
            continue
        sentences = [Sentence(block.text[a:b], offset + a, offset + b) for a, b in sentence_spans(block.text)]
        if groups and groups[-1][0].section_path == block.section_path and groups[-1][0].is_comment == block.is_comment:
            groups[-1][1].extend(sentences)
        else:
            groups.append((block, sentences))
    chunks: list[Chunk] = []
    for block, sentences in groups:
        for part in _pack(sentences, target_words, max_words, overlap_sentences):
            start, end = part[0].start, part[-1].end
            body = text[start:end]
            chunks.append(Chunk(
                chunk_id=chunk_id(doc.meta.doc_id, len(chunks), body), doc_id=doc.meta.doc_id,
                position=len(chunks), text=body, section=block.section, section_path=block.section_path,
                start=start, end=end, is_comment=block.is_comment, doc_hash=doc_hash,
            ))
    return chunks


def _words(sentences: list[Sentence]) -> int:
    return sum(len(s.text.split()) for s in sentences)


def _pack(sentences: list[Sentence], target: int, maximum: int, overlap: int) -> list[list[Sentence]]:
    """Greedy packing with a sentence of overlap; a short tail joins the previous chunk."""
    parts: list[list[Sentence]] = []
    current: list[Sentence] = []
    fresh = 0  # sentences in `current` that are not overlap
    for sentence in sentences:
        if fresh and _words(current) + len(sentence.text.split()) > maximum:
            parts.append(current)
            current = [s for s in current[-overlap:] if len(s.text.split()) < 60] if overlap else []
            fresh = 0
        current.append(sentence)
        fresh += 1
        if _words(current) >= target:
            parts.append(current)
            current = [s for s in current[-overlap:] if len(s.text.split()) < 60] if overlap else []
            fresh = 0
    if fresh:
        tail = current
        if parts and _words(tail) < target // 3 and _words(parts[-1]) + _words(tail[len(tail) - fresh:]) <= maximum:
            parts[-1] = parts[-1] + tail[len(tail) - fresh:]
        else:
            parts.append(tail)
    return parts
