"""Chat answers to "Was ist aus dem Versprechen X geworden?" / "Was hat sich seit dem Projektpapier beim
KOD getan?": the matching statements of intent with their status and its evidence, each cited
(`index.follow_through` finds the evidence; this module only selects and presents it).

The question's matter is what remains after the question frame, stop words, question words and a
document named by its type („seit dem Projektpapier“) are taken out; statements are ranked by the idf of the
matter's terms they contain. A question whose matter no statement shares goes to normal retrieval.
"""

from __future__ import annotations

import re
from array import array

from assistant.types import Answer, Claim, Source
from index.follow_through import OPEN
from index.lexical import STOPWORDS, tokenize
from index.promises import Promise

STATUS_QUESTION = re.compile(
    r"\bwas\s+ist\s+(?:denn\s+)?(?:aus|mit)\b.*\b(?:geworden|passiert)\b"
    r"|\bwas\s+hat\s+sich\b.*\bgetan\b"
    r"|\b(?:wurde|wurden|ist|sind)\b.*\b(?:umgesetzt|verwirklicht|eingelöst|erfüllt)\b"
    r"|\bstand\s+der\s+umsetzung\b|\bwie\s+weit\s+ist\b", re.IGNORECASE)
FRAME = re.compile(r"\b(?:versprech\w*|versproch\w*|vorhab\w*|ziel\w*|geworden|passiert|getan|umgesetzt|verwirklicht|"
                   r"eingelöst|erfüllt|umsetzung|stand|seither|seitdem|inzwischen|mittlerweile|eigentlich)\b", re.IGNORECASE)
MAX_SHOWN = 3
CANDIDATES = 10  # statements whose follow-through is looked up for one question
CANDIDATE_PASSAGES = 500  # passages richest in the question's terms whose statements are scored
STATUS_WORDS = {"umgesetzt": "umgesetzt", "in Arbeit": "in Arbeit", "geändert/verworfen": "geändert oder verworfen"}


class StatusAnswerer:
    def __init__(self, index, question_words: frozenset[str] = frozenset()) -> None:
        self.index = index
        self.question_words = question_words
        self._version = ""
        self._promises: list[Promise] = []  # the index's statements of that version …
        self._by_doc: dict[str, array] = {}  # … and the positions of those that are no achievements, by document
        self._types: dict[str, set[str]] = {}  # document type → documents
        self._terms: dict[tuple[str, int], frozenset[str]] = {}

    def _refresh(self) -> None:
        """Per index version: the statements by document and the documents by type."""
        if self._version != self.index.version:
            self._promises, positions = self.index.promises_and_positions()
            self._by_doc, self._types, self._terms = positions.intents_by_doc, {}, {}
            for doc_id, stored in self.index.documents.items():
                self._types.setdefault(stored.meta.doc_type, set()).add(doc_id)
            self._version = self.index.version

    def statements(self, terms: set[str]) -> list[tuple[Promise, frozenset[str]]]:
        """The statements of intent that may share `terms`, with their own terms, in index order: those
        in the passages BM25 ranks highest for the terms (every passage with one of them, unless there
        are more than `CANDIDATE_PASSAGES`), so that a question never tokenizes a whole archive's
        statements."""
        self._refresh()
        found: dict[int, Promise] = {}
        for cid, _ in self.index.lexical.search_terms(sorted(terms), CANDIDATE_PASSAGES):
            chunk = self.index.chunks.get(cid)
            for i in self._by_doc.get(chunk.doc_id, ()) if chunk else ():
                if chunk.start <= self._promises[i].start < chunk.end:
                    found[i] = self._promises[i]
        if len(self._terms) > 50_000:
            self._terms = {}
        out = []
        for i in sorted(found):
            key = (found[i].doc_id, found[i].start)
            if key not in self._terms:
                self._terms[key] = frozenset(tokenize(found[i].statement))
            out.append((found[i], self._terms[key]))
        return out

    def named_documents(self, question: str) -> tuple[set[str], str]:
        """Documents the question names by their type („seit dem Projektpapier“, „im Koalitionsvertrag“),
        and the question without those words."""
        self._refresh()
        named, rest = set(), question
        for kind, doc_ids in self._types.items():
            pattern = rf"(?<![\w-]){re.escape(kind)}\w*" if len(kind) >= 6 else None
            if pattern and re.search(pattern, question, re.IGNORECASE):
                named |= doc_ids
                rest = re.sub(pattern, " ", rest, flags=re.IGNORECASE)
        return named, rest

    def matter(self, text: str) -> set[str]:
        words = [w for w in re.findall(r"[\w-]+", FRAME.sub(" ", text))
                 if w.lower() not in STOPWORDS and w.lower() not in self.question_words]
        return {t for w in words for t in tokenize(w)}

    def find(self, question: str, filters=None) -> list[Promise] | None:
        """The statements the question asks about, best first; None when it is no such question."""
        if not STATUS_QUESTION.search(question):
            return None
        named, rest = self.named_documents(question)
        terms = self.matter(rest)
        if not terms:
            return None
        scored = []
        for p, statement_terms in self.statements(terms):
            shared = terms & statement_terms
            if not shared or (named and p.doc_id not in named and len(named) < len(self.index.documents)) \
                    or (filters and not filters.allows(self.index.meta(p.doc_id))):
                continue
            if shared:
                scored.append((sum(self.index.idf(t) for t in shared), p))
        if not scored:
            return None
        best = max(score for score, _ in scored)
        close = sorted(((s, p) for s, p in scored if s >= 0.8 * best), key=lambda x: -x[0])[:CANDIDATES]
        # what became of them, for these few only (the whole list's follow-through is for the Versprechen tab)
        followed = self.index.promises_with_status([p for _, p in close])
        ranked = sorted(zip(close, followed), key=lambda x: (x[1].status == OPEN, -x[0][0]))
        return [p for _, p in ranked[:MAX_SHOWN]]

    def answer(self, question: str, found: list[Promise]) -> Answer:
        lines = ["Was aus den Vorhaben wurde, nach den späteren Dokumenten:"]
        sources: list[Source] = []
        claims: list[Claim] = []

        def cite(doc_id: str, section: str, quote: str, start: int = -1) -> int:
            stored = self.index.documents[doc_id]
            start = stored.text.find(quote) if start < 0 else start
            n = len(sources) + 1
            sources.append(Source.cite(n, stored.meta, section, quote, max(start, 0), max(start, 0) + len(quote)))
            claims.append(Claim(quote, n))
            return n

        for p in found:
            meta = self.index.meta(p.doc_id)
            n = cite(p.doc_id, p.section, p.statement, p.start)
            lines.append(f"\n- {p.actor} ({meta.title}, {meta.date_display()}); dort heißt es: {p.statement} [{n}]")
            if p.status == OPEN or not p.evidence:
                lines.append("  Stand: **offen** – kein späteres Dokument berichtet davon.")
                continue
            lines.append(f"  Stand: **{STATUS_WORDS.get(p.status, p.status)}**")
            for evidence in p.evidence:
                later = self.index.meta(evidence["doc_id"])
                m = cite(evidence["doc_id"], evidence.get("section", ""), evidence["quote"])
                lines.append(f"  In „{later.title}“ ({later.date_display()}) heißt es: {evidence['quote']} [{m}]")
        ranked = tuple(dict.fromkeys(s.doc_id for s in reversed(sources)))  # the evidence first
        return Answer(question=question, text="\n".join(lines), sources=tuple(sources), claims=tuple(claims),
                      mode="status", ranked_docs=ranked)
