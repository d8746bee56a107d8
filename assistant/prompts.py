"""Prompt templates are files in prompts/, loaded by name."""

from __future__ import annotations

import string
from pathlib import Path

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
PLACEHOLDERS = {"system": set(), "answer": {"sources", "question"}, "condense": {"history", "question"},
               "judge_faithfulness": {"sources", "answer"}, "judge_correctness": {"question", "facts", "answer"}}


def load_prompt(name: str) -> str:
    return (PROMPTS / f"{name}.txt").read_text(encoding="utf-8")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
