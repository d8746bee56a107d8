"""Optional LLM answers through llama-index (Ollama or any OpenAI-compatible server).

The LLM sees only the numbered sources inside a delimited block. Its answer is checked: every
marker must name a supplied source and every sentence must carry one. An answer that fails the
check, or an LLM that is unreachable or too slow, is replaced by the extractive answer with a
visible notice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace

from assistant.grounding import MARKER
from assistant.prompts import load_prompt
from assistant.types import Answer, Source
from index.errors import ConfigError
from index.split import split_sentences

log = logging.getLogger(__name__)
FALLBACK_NOTICE = ("Die KI-Antwort ließ sich nicht anhand der Quellen überprüfen oder kam nicht rechtzeitig; "
                   "angezeigt wird die wörtliche Antwort aus den Dokumenten.")
MAX_SOURCES = 5


def citation_problems(text: str, n_sources: int) -> list[str]:
    """Why an LLM answer is not acceptable (empty = every sentence cited, every marker valid)."""
    problems = [f"unknown source [{n}]" for n in {int(m) for m in MARKER.findall(text)} if not 1 <= n <= n_sources]
    for sentence in split_sentences(" ".join(text.split())):
        if len(sentence.split()) > 2 and not MARKER.search(sentence):
            problems.append(f"uncited sentence: {sentence[:60]}")
    return problems


def number_sources(hits) -> list[Source]:
    return [Source.from_chunk(i, h.chunk, h.meta) for i, h in enumerate(hits[:MAX_SOURCES], 1)]


DELIMITER = re.compile(r"</?\s*quellen\s*>", re.IGNORECASE)


def sources_block(sources: list[Source]) -> str:
    """The numbered sources for the prompt; a document cannot close the <quellen> block itself."""
    def safe(text: str) -> str:
        return DELIMITER.sub("[…]", text)

    return "\n\n".join(f"[{s.n}] {safe(s.title)} ({safe(s.publisher)}, {s.date}), Abschnitt „{safe(s.section)}“:\n"
                        f"{safe(s.quote)}" for s in sources)


class LLMAnswerer:
    """Wraps a llama-index LLM; `rewrite` turns an extractive answer into a checked LLM answer."""

    def __init__(self, llm) -> None:
        self.llm = llm
        self.system = load_prompt("system")
        self.template = load_prompt("answer")
        self.condense_template = load_prompt("condense")

    def condense(self, question: str, history: list[str]) -> str | None:
        """A follow-up rewritten as a standalone question, or None when the LLM fails."""
        from llama_index.core.llms import ChatMessage

        prompt = self.condense_template.format(history="\n".join(f"- {h}" for h in history), question=question)
        try:
            text = (self.llm.chat([ChatMessage(role="user", content=prompt)]).message.content or "").strip()
        except Exception as exc:
            log.warning("condense failed, using the rule-based follow-up: %s", exc)
            return None
        return text if 0 < len(text) <= 500 and "\n" not in text else None

    def messages(self, question: str, sources: list[Source]):
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role="system", content=self.system),
                ChatMessage(role="user", content=self.template.format(sources=sources_block(sources), question=question))]

    def rewrite(self, turn) -> Answer:
        """The turn's answer written by the LLM from the turn's passages, or the extractive one with a notice."""
        sources = number_sources(turn.hits)
        try:
            text = self.llm.chat(self.messages(turn.plan.resolved, sources)).message.content or ""
        except Exception as exc:  # network, timeout, server error: the extractive answer stands
            log.warning("LLM unavailable, using the extractive answer: %s", exc)
            return self._fallback(turn.answer)
        return self._checked(text, turn.answer, sources)

    def stream(self, turn) -> Iterator[Answer]:
        """The LLM answer as it grows, ending with the checked answer (or the extractive fallback)."""
        sources = number_sources(turn.hits)
        text = ""
        try:
            for delta in self.llm.stream_chat(self.messages(turn.plan.resolved, sources)):
                text += delta.delta or ""
                yield Answer(turn.answer.question, text, mode="llm")
        except Exception as exc:
            log.warning("LLM stream failed, using the extractive answer: %s", exc)
            yield self._fallback(turn.answer)
            return
        yield self._checked(text, turn.answer, sources)

    def _checked(self, text: str, extractive: Answer, sources: list[Source]) -> Answer:
        problems = citation_problems(text, len(sources))
        if problems or not text.strip():
            log.warning("LLM answer rejected: %s", "; ".join(problems) or "empty")
            return self._fallback(extractive)
        used = sorted({int(m) for m in MARKER.findall(text)})
        return replace(extractive, text=text.strip(), sources=tuple(s for s in sources if s.n in used), claims=(),
                       mode="llm")

    @staticmethod
    def _fallback(extractive: Answer) -> Answer:
        return replace(extractive, mode="llm-fallback", notice=FALLBACK_NOTICE)


def build_llm(settings) -> LLMAnswerer | None:
    """The LLM named by `llm.mode`, or None for the default extractive mode."""
    if settings.mode == "none":
        return None
    if not settings.model or not settings.base_url:
        raise ConfigError(f"llm.mode '{settings.mode}' needs llm.base_url and llm.model (RATHAUS_LLM__BASE_URL, RATHAUS_LLM__MODEL)")
    if settings.mode == "openai":
        from llama_index.llms.openai_like import OpenAILike

        llm = OpenAILike(model=settings.model, api_base=settings.base_url, api_key=settings.api_key,
                         timeout=settings.timeout, max_retries=0, is_chat_model=True, temperature=settings.temperature)
    elif settings.mode == "ollama":
        from llama_index.llms.ollama import Ollama

        llm = Ollama(model=settings.model, base_url=settings.base_url, request_timeout=settings.timeout,
                     temperature=settings.temperature)
    else:
        raise ConfigError(f"Unknown llm mode: {settings.mode!r} (use none, openai or ollama)")
    return LLMAnswerer(llm)
