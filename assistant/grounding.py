"""Checks that an answer is grounded: every claim is verbatim in its source, every source is
verbatim in its document, and every citation marker points at a listed source."""

from __future__ import annotations

import re

from assistant.types import Answer

MARKER = re.compile(r"\[(\d+)\]")


def grounding_problems(answer: Answer, documents: dict[str, str]) -> list[str]:
    """Problems found (empty = grounded). `documents` maps doc ids to their cleaned text."""
    problems = []
    numbers = {s.n: s for s in answer.sources}
    for n in {int(m) for m in MARKER.findall(answer.text)}:
        if n not in numbers:
            problems.append(f"marker [{n}] has no source")
    for source in answer.sources:
        text = documents.get(source.doc_id)
        if text is None:
            problems.append(f"[{source.n}] cites unknown document {source.doc_id}")
        elif text[source.start:source.end] != source.quote or source.quote not in text:
            problems.append(f"[{source.n}] quote is not verbatim in {source.doc_id}")
    for claim in answer.claims:
        source = numbers.get(claim.n)
        if source is None or claim.text not in source.quote:
            problems.append(f"claim not verbatim in [{claim.n}]: {claim.text[:60]}")
    return problems
