"""Prompt templates and other text data in the `prompts` package, loaded by name.

They are package data, so an installed (non-editable) Rathaus-Chat finds them wherever it runs.
"""

from __future__ import annotations

import string
from importlib.resources import files

PLACEHOLDERS = {"system": set(), "answer": {"sources", "question"}, "condense": {"history", "question"},
                "judge_faithfulness": {"sources", "answer"}, "judge_correctness": {"question", "facts", "answer"}}


def read_data(name: str) -> str:
    """A file of the `prompts` package (e.g. `glossary.yaml`), as text."""
    return files("prompts").joinpath(name).read_text(encoding="utf-8")


def load_prompt(name: str) -> str:
    return read_data(f"{name}.txt")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
