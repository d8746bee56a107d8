"""German sentence splitting and structure-aware chunking.

Sentences never span blocks; chunks never span sections. A chunk is a contiguous slice of the
cleaned document text, so every quote taken from it is verbatim in the document as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from index.model import Block, Chunk, CleanDocument, MONTHS_DE, chunk_id, content_hash
from index.options import ChunkingOptions

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
QUOTE_MARK = re.compile("[„»‚“\"«‘”]")  # the openers and closers `_quote_depth` looks at
SPACE = re.compile(r"\s*")
MAX_QUOTED_WORDS = 60


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets in the cleaned document text
    end: int

    @cached_property
    def words(self) -> int:
        """Its number of words (counted once: packing asks again for every sentence it adds)."""
        return len(self.text.split())


def _quote_depth(text: str) -> int:
    """How many quotations are open at the end of `text` (German „…“, »…«, English “…”)."""
    stack: list[str] = []
    for ch in QUOTE_MARK.findall(text):  # every other character leaves the stack as it is
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
    return list(_sentence_spans(text))


@lru_cache(maxsize=4096)  # a block is split when chunked and again when its statements are sought
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in CANDIDATE.finditer(text):
        end = match.end()
        if not NEXT_START.match(text, end):
            continue
        head = text[start:end]
        dotted = match.group().startswith(".")
        if dotted and ABBREVIATION_END.search(text[max(start, end - 14):match.start() + 1]):
            continue
        if dotted and ORDINAL_END.search(text[max(start, end - 6):match.start() + 1]):
            continue
        if dotted and MONTH_START.match(text, end) and match.start() and text[match.start() - 1].isdecimal():
            continue  # "am 6. November"
        if _quote_depth(head) and len(head.split()) < MAX_QUOTED_WORDS:
            continue  # keep a quotation (and its "sagte X") together
        spans.append((start, end))
        start = SPACE.match(text, end).end()
    if start < len(text.rstrip()):
        spans.append((start, len(text.rstrip())))
    return tuple(spans)


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


def bounded(sentence: Sentence, max_words: int, max_chars: int) -> list[Sentence]:
    """A sentence longer than the limits, cut into pieces at word boundaries (or anywhere, for text
    without spaces), so that no chunk grows without bound."""
    if len(sentence.text) <= max_chars and len(sentence.text.split()) <= max_words:
        return [sentence]
    pieces, text, offset = [], sentence.text, 0
    while offset < len(text):
        end = min(len(text), offset + max_chars)
        words = [m.end() for m in re.finditer(r"\S+", text[offset:end])]
        if len(words) > max_words:
            end = offset + words[max_words - 1]
        elif end < len(text):
            space = text.rfind(" ", offset + 1, end)
            end = space if space > offset else end
        piece = text[offset:end].rstrip()
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            pieces.append(Sentence(piece.strip(), sentence.start + offset + lead, sentence.start + offset + len(piece)))
        offset = end
        while offset < len(text) and text[offset].isspace():
            offset += 1
    return pieces


def chunk_document(doc: CleanDocument, options: ChunkingOptions = ChunkingOptions()) -> list[Chunk]:
    """Sentences grouped into chunks of about `options.target_words`, never across a section, never
    longer than `options.max_words` words or `options.max_chars` characters."""
    target_words, max_words, overlap_sentences = options.target_words, options.max_words, options.overlap_sentences
    text = doc.text
    doc_hash = content_hash(text)
    groups: list[tuple[Block, list[Sentence]]] = []
    for block, offset in zip(doc.blocks, block_offsets(doc.blocks)):
        if block.kind == "heading":
            continue
        sentences = [piece for a, b in sentence_spans(block.text)
                     for piece in bounded(Sentence(block.text[a:b], offset + a, offset + b), max_words, options.max_chars)]
        if groups and groups[-1][0].section_path == block.section_path and groups[-1][0].is_comment == block.is_comment:
            groups[-1][1].extend(sentences)
        else:
            groups.append((block, sentences))
    chunks: list[Chunk] = []
    for block, sentences in groups:
        for part in _pack(sentences, target_words, max_words, overlap_sentences, options.max_chars):
            start, end = part[0].start, part[-1].end
            body = text[start:end]
            chunks.append(Chunk(
                chunk_id=chunk_id(doc.meta.doc_id, len(chunks), body), doc_id=doc.meta.doc_id,
                position=len(chunks), text=body, section=block.section, section_path=block.section_path,
                start=start, end=end, is_comment=block.is_comment, doc_hash=doc_hash,
            ))
    return chunks


def _words(sentences: list[Sentence]) -> int:
    return sum(s.words for s in sentences)


def _pack(sentences: list[Sentence], target: int, maximum: int, overlap: int, max_chars: int) -> list[list[Sentence]]:
    """Greedy packing with a sentence of overlap; a short tail joins the previous chunk. A chunk
    never exceeds `maximum` words or `max_chars` characters (sentences are already bounded)."""
    def fits(part: list[Sentence], more: list[Sentence]) -> bool:
        span = (more[-1].end if more else part[-1].end) - (part[0].start if part else more[0].start)
        return _words(part) + _words(more) <= maximum and span <= max_chars

    def carried(part: list[Sentence]) -> list[Sentence]:
        return [s for s in part[-overlap:] if s.words < 60] if overlap else []

    parts: list[list[Sentence]] = []
    current: list[Sentence] = []
    fresh = 0  # sentences in `current` that are not overlap
    for sentence in sentences:
        if current and not fits(current, [sentence]):
            if fresh:
                parts.append(current)
            current = [s for s in carried(current) if fits([s], [sentence])] if fresh else []
            fresh = 0
        current.append(sentence)
        fresh += 1
        if _words(current) >= target:
            parts.append(current)
            current = carried(current)
            fresh = 0
    if fresh:
        tail = current[len(current) - fresh:]
        if parts and _words(tail) < target // 3 and fits(parts[-1], tail):
            parts[-1] = parts[-1] + tail
        else:
            parts.append(current)
    return parts
