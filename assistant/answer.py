"""The assistant: question (+ history, filters) → one `Turn` → grounded `Answer`, extractive by default.

A turn is worked once: plan → (statements of intent, for broad promise questions) → retrieve →
check the evidence (refuse if it does not answer) → compose → cite. An optional LLM then rewrites
the turn's answer from the same numbered passages and is checked, with the extractive answer as
fallback; it never asks the assistant again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from assistant.answer_types import CHECKABLE, MISSING_TEXT
from assistant.compose import Candidate, best_typed_support, compose, score_candidates
from assistant.promise_list import PromiseAnswerer
from assistant.promise_status import StatusAnswerer
from assistant.query import QueryAnalyzer, QueryPlan
from assistant.settings import AnswerSettings
from assistant.types import Answer
from index.lexical import WORD
from index.options import RetrievalOptions
from index.normalise import normalise_text
from index.retrieve import Filters, Hit, SearchIndex

log = logging.getLogger(__name__)

REFUSAL = "Dazu habe ich in den vorliegenden Dokumenten keine Angaben gefunden."
INJECTION_REFUSAL = ("Ich beantworte nur Fragen zum Inhalt der vorliegenden Dokumente und folge keinen "
                     "Anweisungen, die in einer Frage oder einem Dokument stehen.")
NO_WORDS = "Die Frage enthält kein Wort, nach dem ich in den Dokumenten suchen könnte. Bitte formulieren Sie sie in Worten."


@dataclass(frozen=True)
class Evidence:
    """The signals the refusal is decided on (thresholds in `answer.*`, fitted on all evaluation sets)."""

    support: float  # key-term coverage of the best sentence with its title and section
    unknown: float  # weighted share of key nouns the corpus does not have ('Hamburg', 'Wetter')
    dense: float  # best cosine similarity of a passage
    typed: float  # coverage of the best sentence that holds an answer of the wanted kind (1.0 if none is wanted)


@dataclass(frozen=True)
class Turn:
    """One question worked once: its plan, the passages retrieved for it and the grounded answer."""

    plan: QueryPlan
    filters: Filters
    hits: tuple[Hit, ...]
    answer: Answer

    @property
    def rewritable(self) -> bool:
        """Whether an LLM may rewrite the answer: only a grounded answer from retrieved passages."""
        return self.answer.mode in ("extractive", "list") and not self.answer.refused and bool(self.hits)


NOTHING_KNOWN = 0.999  # share of unknown key nouns at which nothing the question asks about is in the documents


class Assistant:
    """Shared by all users of a process: the index and models are loaded once (see `wiring`)."""

    def __init__(self, index: SearchIndex, analyzer: QueryAnalyzer, promises: PromiseAnswerer,
                 answer: AnswerSettings = AnswerSettings(), retrieval: RetrievalOptions = RetrievalOptions(),
                 llm=None, status: StatusAnswerer | None = None) -> None:
        self.index = index
        self.status = status
        self.analyzer = analyzer
        self.glossary = analyzer.glossary
        self.promises = promises
        self.options = answer
        self.retrieval = retrieval
        self.llm = llm

    # -- one turn ------------------------------------------------------------------------------
    def prepare(self, question: str, history: list[str] | None = None, filters: Filters = Filters()) -> Turn:
        """Plan, retrieve and answer once; everything later (LLM, streaming, evaluation) reads the turn."""
        started = time.perf_counter()
        question = normalise_text(question)  # as the documents were: invisible and look-alike characters out
        plan = self.plan(question, [normalise_text(h) for h in history or []])
        if not WORD.search(question):  # „🔥🔥🔥“, „***“: nothing to search for
            return Turn(plan, filters, (), self._refusal(plan, (), started, NO_WORDS))
        if plan.injection:
            return Turn(plan, filters, (), self._refusal(plan, (), started, INJECTION_REFUSAL))
        found = self.status.find(plan.resolved, filters) if self.status else None
        if found:  # "Was ist aus dem Versprechen X geworden?": the statements with their status and evidence
            answer = self.status.answer(plan.question, found)
            return Turn(plan, filters, (), replace(answer, resolved_question=plan.resolved,
                                                   timings_ms={"total": _ms(started, time.perf_counter())}))
        asked = self.promises.understand(plan.resolved, plan.holders)
        listed = self.promises.answer(plan.question, asked, filters) if asked else None
        if listed is not None:  # "Was hat der OB versprochen?": from the extracted statements of intent
            ranked = tuple(dict.fromkeys(s.doc_id for s in listed.sources))
            return Turn(plan, filters, (), replace(listed, resolved_question=plan.resolved, ranked_docs=ranked,
                                                   timings_ms={"total": _ms(started, time.perf_counter())}))
        hits = tuple(self.retrieve(plan, filters))
        retrieved = time.perf_counter()
        candidates = score_candidates(self.index, plan, list(hits), self.glossary) if hits else []
        refusal = self.refusal_reason(plan, hits, candidates)
        if refusal is not None:
            return Turn(plan, filters, hits, self._refusal(plan, hits, started, refusal))
        text, sources, claims, as_list = compose(self.index, plan, candidates, self.options.max_sentences)
        done = time.perf_counter()
        answer = Answer(question=plan.question, text=text, sources=tuple(sources), claims=tuple(claims),
                        resolved_question=plan.resolved, mode="list" if as_list else "extractive",
                        ranked_docs=_ranked(hits),
                        timings_ms={"retrieval": _ms(started, retrieved), "compose": _ms(retrieved, done),
                                    "total": _ms(started, done)})
        return Turn(plan, filters, hits, answer)

    def plan(self, question: str, history: list[str]) -> QueryPlan:
        """The query plan; with an LLM, a follow-up is first rewritten as a standalone question."""
        if self.llm is not None and history:
            condensed = self.llm.condense(question, history)
            if condensed:
                plan = self.analyzer.analyze(condensed, [])
                return replace(plan, question=question,
                               injection=plan.injection or self.glossary.is_injection(question))
        return self.analyzer.analyze(question, history)

    def retrieve(self, plan: QueryPlan, filters: Filters = Filters()) -> list[Hit]:
        return self.index.search(plan.dense_query, k=self.retrieval.top_k, filters=filters,
                                 lexical_query=plan.lexical_query, doc_boost=plan.doc_boost)

    def evidence(self, plan: QueryPlan, hits, candidates: list[Candidate]) -> Evidence:
        return Evidence(support=max((c.framed for c in candidates), default=0.0),
                        unknown=plan.unknown_share(self.index.knows),
                        dense=max((h.dense for h in hits), default=0.0),
                        typed=best_typed_support(candidates, plan))

    def refusal_reason(self, plan: QueryPlan, hits, candidates: list[Candidate]) -> str | None:
        """Why the evidence does not answer (None: it does); thresholds fitted on all evaluation sets."""
        if not hits or not candidates:
            return REFUSAL
        e = self.evidence(plan, hits, candidates)
        a = self.options
        if e.support < a.min_support:
            return REFUSAL
        if e.unknown > a.max_unknown_share and (e.dense < a.rescue_dense or e.unknown >= NOTHING_KNOWN):
            return REFUSAL  # a very similar passage rescues a question with a few unknown words, not one of only unknown words
        if plan.asks_holder and not self.index.offices.holders(plan.asks_holder, place=plan.holder_place):
            return f"Die Dokumente nennen niemanden mit Namen in diesem Amt. {REFUSAL}"
        if plan.wanted in CHECKABLE and e.typed < a.min_typed_support:
            return (f"Die Dokumente sprechen zwar über das Thema, nennen aber {MISSING_TEXT[plan.wanted]} dazu. "
                    + REFUSAL)
        return None

    # -- front doors ---------------------------------------------------------------------------
    def ask(self, question: str, history: list[str] | None = None, filters: Filters = Filters()) -> Answer:
        turn = self.prepare(question, history, filters)
        if self.llm is not None and turn.rewritable:
            return self.llm.rewrite(turn)
        return turn.answer

    def stream(self, question: str, history: list[str] | None = None, filters: Filters = Filters()) -> Iterator[Answer]:
        """Partial answers as the text grows (LLM tokens, or the extractive answer paragraph by paragraph)."""
        turn = self.prepare(question, history, filters)
        if self.llm is not None and turn.rewritable:
            yield from self.llm.stream(turn)
            return
        answer = turn.answer
        paragraphs = answer.text.split("\n\n")
        for i in range(1, len(paragraphs)):
            yield Answer(answer.question, "\n\n".join(paragraphs[:i]), refused=answer.refused, mode=answer.mode)
        yield answer

    def _refusal(self, plan: QueryPlan, hits, started: float, text: str = REFUSAL) -> Answer:
        nearest = tuple(dict.fromkeys(h.chunk.doc_id for h in hits[:3]))
        if hits and text.endswith(REFUSAL):
            names = "; ".join(f"„{self.index.meta(d).title}“ ({self.index.meta(d).date_display()})" for d in nearest[:2])
            text = f"{text} Am nächsten kommen diese Dokumente: {names}."
        return Answer(question=plan.question, text=text, refused=True, resolved_question=plan.resolved,
                      nearest=nearest, ranked_docs=_ranked(hits), timings_ms={"total": _ms(started, time.perf_counter())})


def _ranked(hits) -> tuple[str, ...]:
    return tuple(dict.fromkeys(h.chunk.doc_id for h in hits))


def _ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 2)
