"""The assistant: question (+ history, filters) → grounded `Answer`, extractive by default.

retrieve → check the evidence (refuse if it does not answer) → compose → cite; optionally an LLM
writes the answer from the same numbered sources and is checked, with the extractive answer as
fallback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from assistant.compose import compose
from assistant.promise_list import PromiseAnswerer
from assistant.query import Glossary, QueryAnalyzer, QueryPlan
from assistant.settings import Settings
from assistant.types import Answer
from index.lexical import tokenize
from index.promises import PolicyAreas
from index.retrieve import Filters, Hit, SearchIndex

log = logging.getLogger(__name__)

REFUSAL = "Dazu habe ich in den vorliegenden Dokumenten keine Angaben gefunden."
INJECTION_REFUSAL = ("Ich beantworte nur Fragen zum Inhalt der vorliegenden Dokumente und folge keinen "
                     "Anweisungen, die in einer Frage oder einem Dokument stehen.")


class Assistant:
    """Shared by all users of a process: the index and models are loaded once."""

    def __init__(self, index: SearchIndex, settings: Settings, llm=None, glossary: Glossary | None = None) -> None:
        self.index = index
        self.settings = settings
        self.glossary = glossary or Glossary.load()
        self.analyzer = QueryAnalyzer(index, self.glossary, settings.retrieval.route_boost)
        self.llm = llm
        self.promises = PromiseAnswerer(index, PolicyAreas.load(settings.policy_areas_file),
                                        frozenset(self.glossary.question_words), self.glossary.is_injection)

    def retrieve(self, plan: QueryPlan, filters: Filters = Filters()) -> list[Hit]:
        return self.index.search(plan.dense_query, k=self.settings.retrieval.top_k, filters=filters,
                                 lexical_query=plan.lexical_query, doc_boost=plan.doc_boost)

    def evidence(self, plan: QueryPlan, hits: list[Hit]) -> tuple[float, float, float]:
        """(share of key terms covered by the best passage, share of key terms unknown to the
        corpus, best dense similarity): the signals the refusal is decided on."""
        support = 0.0
        for hit in hits[:5]:
            stems = set(tokenize(hit.chunk.embed_text(hit.meta)))
            support = max(support, plan.support(stems))
        unknown = plan.unknown_share(self.index.lexical.vocabulary)
        return support, unknown, max((h.dense for h in hits), default=0.0)

    def answers(self, plan: QueryPlan, hits: list[Hit]) -> bool:
        """Whether the evidence answers the question; thresholds calibrated on eval/known_answers.yaml."""
        if not hits:
            return False
        support, unknown, dense = self.evidence(plan, hits)
        a = self.settings.answer
        if dense >= a.rescue_dense and support >= a.min_support:
            return True
        return support >= a.min_support and unknown <= a.max_unknown_share

    def ask(self, question: str, history: list[str] | None = None, filters: Filters = Filters()) -> Answer:
        return self._ask(question, history, filters, use_llm=True)

    def ask_extractive(self, question: str, history: list[str] | None = None, filters: Filters = Filters()) -> Answer:
        return self._ask(question, history, filters, use_llm=False)

    def _ask(self, question: str, history: list[str] | None, filters: Filters, use_llm: bool) -> Answer:
        started = time.perf_counter()
        if use_llm and self.llm is not None and history:
            condensed = self.llm.condense(question, history)
            if condensed:
                plan = self.analyzer.analyze(condensed, [])
                plan.question = question
                plan.injection = plan.injection or self.glossary.is_injection(question)
                return self._answer(plan, filters, started, use_llm)
        plan = self.analyzer.analyze(question, history)
        return self._answer(plan, filters, started, use_llm)

    def _answer(self, plan: QueryPlan, filters: Filters, started: float, use_llm: bool) -> Answer:
        question = plan.question
        if plan.injection:
            return self._refusal(plan, [], started, INJECTION_REFUSAL)
        asked = self.promises.understand(plan.resolved)
        listed = self.promises.answer(plan.question, asked, filters) if asked else None
        if listed is not None:  # "Was hat der OB versprochen?": from the extracted statements of intent
            listed.resolved_question = plan.resolved
            listed.timings_ms = {"total": _ms(started, time.perf_counter())}
            return listed
        hits = self.retrieve(plan, filters)
        retrieved = time.perf_counter()
        if not self.answers(plan, hits):
            return self._refusal(plan, hits, started)
        text, sources, claims, listed = compose(self.index, plan, hits, self.glossary, self.settings.answer.max_sentences)
        answer = Answer(question=question, text=text, sources=sources, claims=claims, resolved_question=plan.resolved,
                        mode="list" if listed else "extractive")
        if use_llm and self.llm is not None:
            answer = self.llm.rewrite(answer, plan, hits)
        answer.timings_ms = {"retrieval": _ms(started, retrieved), "compose": _ms(retrieved, time.perf_counter()),
                             "total": _ms(started, time.perf_counter())}
        return answer

    def stream(self, question: str, history: list[str] | None = None, filters: Filters = Filters()) -> Iterator[Answer]:
        """Partial answers as the text grows (LLM tokens, or the extractive answer sentence by sentence)."""
        if self.llm is not None:
            yield from self.llm.stream(self, question, history, filters)
            return
        answer = self.ask(question, history, filters)
        paragraphs = answer.text.split("\n\n")
        for i in range(1, len(paragraphs)):
            yield Answer(question, "\n\n".join(paragraphs[:i]), [], answer.refused, mode=answer.mode)
        yield answer

    def _refusal(self, plan: QueryPlan, hits: list[Hit], started: float, text: str = REFUSAL) -> Answer:
        nearest = list(dict.fromkeys(h.chunk.doc_id for h in hits[:3]))
        if hits and text == REFUSAL:
            names = "; ".join(f"„{self.index.meta(d).title}“ ({self.index.meta(d).date_display()})" for d in nearest[:2])
            text = f"{text} Am nächsten kommen diese Dokumente: {names}."
        return Answer(question=plan.question, text=text, refused=True, resolved_question=plan.resolved,
                      nearest=nearest, timings_ms={"total": _ms(started, time.perf_counter())})


def _ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 2)
