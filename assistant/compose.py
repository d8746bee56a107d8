"""The extractive answer: verbatim sentences from the retrieved passages, each with its citation.

Sentences are scored by how much of the question they cover (IDF-weighted, with glossary
expansions), how well their passage ranked, and, for questions about promises, whether they state
an intention. Redundant sentences are dropped. When the best evidence is an enumeration, the
items are given. Every sentence is a slice of its passage, so quotes are verbatim by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.query import Glossary, QueryPlan
from assistant.types import Claim, Source
from index.clean import ITEM
from index.lexical import tokenize
from index.model import Chunk
from index.retrieve import Hit, SearchIndex
from index.split import sentence_spans

LABEL = re.compile(r"^(\d{1,2}\.\s+[^:„\"]{3,80}?):")


@dataclass
class Candidate:
    hit: Hit
    text: str
    start: int  # offsets in the cleaned document
    end: int
    score: float = 0.0
    is_item: bool = False
    stems: frozenset[str] = frozenset()


def passage_sentences(hit: Hit) -> list[Candidate]:
    """The sentences of a passage, line by line (list items are lines), with document offsets."""
    out, offset = [], 0
    for line in hit.chunk.text.split("\n"):
        for a, b in sentence_spans(line):
            text = line[a:b]
            out.append(Candidate(hit, text, hit.chunk.start + offset + a, hit.chunk.start + offset + b,
                                 is_item=bool(ITEM.match(line)) and a == 0, stems=frozenset(tokenize(text))))
        offset += len(line) + 1
    return out


def score_candidates(plan: QueryPlan, hits: list[Hit], glossary: Glossary) -> list[Candidate]:
    best = hits[0].score if hits else 1.0
    candidates = []
    for rank, hit in enumerate(hits):
        context = frozenset(tokenize(f"{hit.meta.title} {hit.chunk.section_path}"))
        for cand in passage_sentences(hit):
            if glossary.is_injection(cand.text):  # an instruction planted in a document is never repeated
                continue
            words = len(cand.text.split())
            coverage = plan.support(set(cand.stems))
            framed = plan.support(set(cand.stems | context))
            prior = hit.score / best
            cand.score = 0.35 * coverage + 0.3 * framed + 0.35 * prior
            if plan.wants_intent and glossary.is_intent_sentence(cand.text):
                cand.score += 0.15
            if hit.chunk.is_comment and not plan.wants_comments:
                cand.score *= 0.4
            if words < 5 and not cand.is_item:
                cand.score *= 0.5
            candidates.append(cand)
    return sorted(candidates, key=lambda c: -c.score)


def _similar(a: Candidate, b: Candidate) -> bool:
    if not a.stems or not b.stems:
        return a.text == b.text
    return len(a.stems & b.stems) / len(a.stems | b.stems) >= 0.6 or a.text in b.text or b.text in a.text


def select_sentences(candidates: list[Candidate], max_sentences: int, max_sources: int = 3) -> list[Candidate]:
    """Best first, then every strong enough, non-redundant sentence from at most a few passages."""
    if not candidates:
        return []
    chosen = [candidates[0]]
    floor = candidates[0].score * 0.62
    for cand in candidates[1:]:
        if len(chosen) >= max_sentences or cand.score < floor:
            break
        if any(_similar(cand, c) for c in chosen):
            continue
        if len({c.hit.chunk.doc_id for c in chosen} | {cand.hit.chunk.doc_id}) > max_sources:
            continue
        chosen.append(cand)
    return chosen


def list_items(index: SearchIndex, chunk: Chunk) -> list[tuple[Chunk, str, int]]:
    """The enumerated items of the chunk's section, in order, with the chunk that holds each."""
    seen, out = set(), []
    for part in index.section_chunks(chunk):
        offset = 0
        for line in part.text.split("\n"):
            start = part.start + offset
            if ITEM.match(line) and start not in seen:  # overlapping chunks repeat an item
                seen.add(start)
                out.append((part, line, start))
            offset += len(line) + 1
    return out


def item_label(line: str) -> str:
    """A verbatim, short form of an item: its numbered title, else its first sentence."""
    match = LABEL.match(line)
    if match:
        return match.group(1)
    spans = sentence_spans(line)
    return line[spans[0][0]:spans[0][1]] if spans else line


def list_answer(index: SearchIndex, best: Candidate, plan: QueryPlan, candidates: list[Candidate]) -> list[Candidate] | None:
    """When the best evidence is (or introduces) an enumeration, give its items."""
    items = list_items(index, best.hit.chunk)
    if len(items) < 2:
        return None
    introduces = best.text.rstrip().endswith(":")
    if not (introduces or plan.wants_list):
        return None  # a specific question answered by one item gets that item's sentences
    hit_of = {c.hit.chunk.chunk_id: c.hit for c in candidates}
    out: list[Candidate] = []
    intro = next((c for c in candidates if c.hit.chunk.section_path == best.hit.chunk.section_path
                  and c.hit.chunk.doc_id == best.hit.chunk.doc_id and c.text.rstrip().endswith(":")), None)
    if intro:
        out.append(intro)
    for chunk, line, start in items:
        label = item_label(line)
        hit = hit_of.get(chunk.chunk_id) or Hit(chunk, index.meta(chunk.doc_id), 0.0)
        out.append(Candidate(hit, label, start, start + len(label), is_item=True))
    return out


def lead_in(meta, is_comment: bool) -> str:
    intro = meta.cite_as or f"In „{meta.title}“ ({meta.publisher})"
    if is_comment:
        return f"Ein Leserkommentar unter dem Beitrag „{meta.title}“ ({meta.date_display()}) lautet:"
    return f"{intro} ({meta.date_display()}) heißt es:"


def render(selected: list[Candidate], as_list: bool) -> tuple[str, list[Source], list[Claim]]:
    """Group sentences by document (best group first), number the passages, and cite each sentence."""
    numbers: dict[str, int] = {}
    spans: dict[str, list[Candidate]] = {}
    for cand in selected:
        cid = cand.hit.chunk.chunk_id
        numbers.setdefault(cid, len(numbers) + 1)
        spans.setdefault(cid, []).append(cand)
    groups: dict[tuple[str, bool], list[Candidate]] = {}
    for cand in selected:
        groups.setdefault((cand.hit.chunk.doc_id, cand.hit.chunk.is_comment), []).append(cand)
    paragraphs, claims = [], []
    for (doc_id, is_comment), cands in groups.items():
        parts = [lead_in(cands[0].hit.meta, is_comment)]
        for cand in cands:
            n = numbers[cand.hit.chunk.chunk_id]
            claims.append(Claim(cand.text, n))
            parts.append(f"\n- {cand.text} [{n}]" if as_list and cand.is_item else f" {cand.text} [{n}]")
        paragraphs.append("".join(parts).replace(": \n", ":\n"))
    sources = [make_source(n, spans[cid]) for cid, n in numbers.items()]
    return "\n\n".join(paragraphs), sources, claims


def make_source(n: int, cands: list[Candidate]) -> Source:
    """The quote is the contiguous slice of the passage that covers every sentence cited from it."""
    hit = cands[0].hit
    return Source.from_chunk(n, hit.chunk, hit.meta, min(c.start for c in cands), max(c.end for c in cands))


def compose(index: SearchIndex, plan: QueryPlan, hits: list[Hit], glossary: Glossary,
            max_sentences: int) -> tuple[str, list[Source], list[Claim], bool]:
    """The extractive answer text, its sources and claims, and whether it is a list."""
    candidates = score_candidates(plan, hits, glossary)
    if not candidates:
        return "", [], [], False
    listed = list_answer(index, candidates[0], plan, candidates)
    selected = listed or select_sentences(candidates, max_sentences)
    text, sources, claims = render(selected, bool(listed))
    return text, sources, claims, bool(listed)
