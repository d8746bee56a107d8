"""Where a snapshot's statements of intent are, by actor and area and by document, made with the snapshot.

A question about what someone promised reads one actor's statements by policy area, a question about
what became of something those of a few documents. At a million chunks there are over a million
statements, and one actor can have hundreds of thousands; going through them took up to half a
second a question. The positions (in the snapshot's statement list) are made once per snapshot, in
the refresh that builds it, and extended, not rebuilt, when only new documents came. Achievements
(„Wir haben … beschlossen“) are kept out: no question lists them as intentions.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

from index.promises import ACHIEVED


def _grouped(promises: Sequence, start: int) -> tuple[dict[str, None], dict[str, dict[str, list[int]]], dict[str, list[int]]]:
    actors: dict[str, None] = {}
    intents: dict[str, dict[str, list[int]]] = {}
    docs: dict[str, list[int]] = {}
    for i in range(start, len(promises)):
        p = promises[i]
        actor, kind = p.actor, p.kind
        actors[actor] = None
        if kind != ACHIEVED:
            intents.setdefault(actor, {}).setdefault(p.topic, []).append(i)
            docs.setdefault(p.doc_id, []).append(i)
    return actors, intents, docs


def _extended(groups: dict[str, array], new: dict[str, list[int]]) -> dict[str, array]:
    """`groups` with `new` positions appended; the arrays of `groups` stay as they are."""
    out = dict(groups)
    for key, positions in new.items():
        old = out.get(key)
        out[key] = old + array("i", positions) if old is not None else array("i", positions)
    return out


class PromiseIndex:
    """The positions of a snapshot's statements: every actor once (in order of their first
    statement), the intentions by actor and policy area, and by document."""

    __slots__ = ("actors", "intents", "intents_by_doc")

    def __init__(self, actors: tuple[str, ...], intents: dict[str, dict[str, array]],
                 intents_by_doc: dict[str, array]) -> None:
        self.actors = actors
        self.intents = intents  # actor → area → positions, ascending
        self.intents_by_doc = intents_by_doc  # document id → positions, ascending

    @classmethod
    def of(cls, promises: Sequence, previous: "PromiseIndex | None" = None, start: int = 0) -> "PromiseIndex":
        """The index of `promises`; with `previous` (the index of `promises[:start]`), only the
        statements from `start` on are read."""
        previous = previous or cls((), {}, {})
        actors, intents, docs = _grouped(promises, start)
        merged = dict(previous.intents)
        for actor, areas in intents.items():
            merged[actor] = _extended(previous.intents.get(actor, {}), areas)
        return cls(tuple(dict.fromkeys(previous.actors + tuple(actors))), merged,
                   _extended(previous.intents_by_doc, docs))

    def intents_of(self, actors: Iterable[str], topic: str | None = None) -> dict[tuple[str, str], array]:
        """(actor, area) → positions of the intentions of `actors` (in `topic` only, when given)."""
        out = {}
        for actor in dict.fromkeys(actors):
            for area, positions in self.intents.get(actor, {}).items():
                if topic is None or area == topic:
                    out[(actor, area)] = positions
        return out
