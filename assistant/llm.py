"""Optional LLM answers (added below); `build_llm` returns None in the default extractive mode."""

from __future__ import annotations


def build_llm(settings):
    if settings.mode == "none":
        return None
    raise NotImplementedError
