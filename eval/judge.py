"""Optional LLM judge for `rathaus eval --judge`: German prompts that force `URTEIL: JA` or `URTEIL: NEIN`.

A verdict in any other form counts as an error, never as a pass, and so does an unreachable LLM.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from assistant.prompts import load_prompt

log = logging.getLogger(__name__)
VERDICT = re.compile(r"^\s*URTEIL:\s*(JA|NEIN)\s*\.?\s*$")


def parse_verdict(text: str) -> bool | None:
    """True for JA, False for NEIN, None when the reply is not exactly one verdict line."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    match = VERDICT.match(lines[0])
    return None if match is None else match.group(1) == "JA"


@dataclass
class Verdict:
    faithful: bool | None  # None = judge error (unparseable or unreachable)
    correct: bool | None
    raw: dict[str, str]


class Judge:
    """Asks a llama-index LLM whether an answer is supported by its sources and contains the expected facts."""

    def __init__(self, llm) -> None:
        self.llm = llm
        self.faithfulness = load_prompt("judge_faithfulness")
        self.correctness = load_prompt("judge_correctness")

    def _ask(self, prompt: str) -> tuple[bool | None, str]:
        from llama_index.core.llms import ChatMessage

        try:
            text = self.llm.chat([ChatMessage(role="user", content=prompt)]).message.content or ""
        except Exception as exc:  # an unreachable judge is an error of the judging, not a verdict
            log.warning("judge unavailable: %s", exc)
            return None, f"error: {exc}"
        return parse_verdict(text), text.strip()[:200]

    def judge(self, question: str, answer: str, sources: list[str], facts: list[list[str]] | None) -> Verdict:
        block = "\n\n".join(f"[{n}] {quote}" for n, quote in enumerate(sources, 1)) or "(keine Quellen)"
        faithful, raw_f = self._ask(self.faithfulness.format(sources=block, answer=answer))
        correct, raw_c = None, ""
        if facts:
            listed = "\n".join(f"- {' / '.join(f)}" for f in facts)
            correct, raw_c = self._ask(self.correctness.format(question=question, facts=listed, answer=answer))
        return Verdict(faithful, correct, {"faithfulness": raw_f, "correctness": raw_c})


def judge_metrics(rows: list[dict]) -> dict:
    """Shares of JA among parsed verdicts, and how many verdicts were errors."""
    out = {}
    for key in ("faithful", "correct"):
        verdicts = [r["judge"][key] for r in rows if "judge" in r and r["judge"].get(f"{key}_asked")]
        parsed = [v for v in verdicts if v is not None]
        out[f"judge_{key}"] = round(sum(parsed) / len(verdicts), 4) if verdicts else 0.0
        out[f"judge_{key}_errors"] = len(verdicts) - len(parsed)
    return out
