"""Subcommands that need the answering side: ask, eval, serve (registered into the main parser)."""

from __future__ import annotations


def register(sub) -> None:
    """Added as the answering side grows."""
