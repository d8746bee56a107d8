"""The Versprechen-Übersicht: select statements of intent by actor, topic, document and text;
answer "Was hat der OB versprochen?" from them, grouped by topic; export them as CSV."""

from __future__ import annotations

import csv
import heapq
import io
import re
from dataclasses import dataclass
from itertools import islice

from assistant.types import Answer, Claim, Source
from index.lexical import STOPWORDS
from index.promises import ACHIEVED, PolicyAreas, Promise

INTENT = re.compile(r"\b(?:versproch\w*|versprech\w*|vorhaben|vorgenommen|angekündigt|ankündig\w*|woll\w*|will|"
                    r"ziele?|pläne|plan\w*|forder\w*|vorschläge?|priorität\w*|schwerpunkt\w*|anliegen)\b", re.IGNORECASE)
# Words a broad promise question may contain besides the actor, the intent and one policy area.
FILLERS = frozenset({"tun", "machen", "erreichen", "neue", "neuen", "neu", "dortmund", "dortmunder", "stadt", "thema",
                     "bereich", "konkret", "eigentlich", "alles", "genau", "denn", "so", "beim", "ins", "ans"})
MAX_ITEMS = 12
PER_TOPIC = 3


def select(promises: list[Promise], actor: str = "", topic: str = "", doc: str = "", kind: str = "",
           text: str = "", include_achieved: bool = False, status: str = "") -> list[Promise]:
    """Promises whose fields contain the given values (case-insensitive); achievements only on request."""
    def has(value: str, wanted: str) -> bool:
        return not wanted or wanted.casefold() in value.casefold()

    return [p for p in promises
            if (include_achieved or kind == ACHIEVED or p.kind != ACHIEVED)
            and has(p.actor, actor) and has(p.topic, topic) and (not doc or p.doc_id == doc)
            and has(p.kind, kind) and has(p.statement, text) and (not status or p.status == status)]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A cell a spreadsheet never runs as a formula (OWASP CSV injection): text beginning with
    = + - @ tab or CR gets a leading apostrophe."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


CSV_HEADERS = {"actor": "Akteur", "topic": "Thema", "kind": "Art", "statement": "Aussage", "title": "Dokument",
               "date": "Datum", "section": "Abschnitt", "doc_id": "Dokument-ID", "reason": "erkannt an",
               "status": "Stand", "evidence_date": "Beleg-Datum", "evidence_doc": "Beleg-Dokument", "evidence": "Beleg"}


def to_csv(promises: list[Promise], title_of=lambda doc_id: doc_id, date_of=lambda doc_id: "") -> str:
    """For German spreadsheets: semicolons, German headers, the document's title and date (the
    caller adds the byte-order mark when writing a file), formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS.values())
    for p in promises:
        first = p.evidence[0] if p.evidence else {}
        row = p.to_dict() | {"title": title_of(p.doc_id), "date": date_of(p.doc_id) or p.date,
                             "evidence_date": first.get("date", ""), "evidence_doc": first.get("doc_id", ""),
                             "evidence": first.get("quote", "")}
        writer.writerow([csv_cell(row.get(key, "")) for key in CSV_HEADERS])
    return out.getvalue()


def without_role(actor: str) -> str:
    """ "Grüne (Hannah Rosenbaum)" → "Grüne" """
    return re.sub(r"\s*\(.*\)", "", actor)


@dataclass
class PromiseQuestion:
    actors: list[str]
    topic: str | None


class PromiseAnswerer:
    """Recognises questions about someone's promises and answers them from the extracted list."""

    def __init__(self, index, areas: PolicyAreas, question_words: frozenset[str] = frozenset(),
                 is_injection=lambda text: False) -> None:
        self.index = index
        self.areas = areas
        self.question_words = question_words
        self.is_injection = is_injection  # statements that try to instruct the assistant are never listed
        self._patterns: list[tuple[re.Pattern, str]] = []
        self._patterns_for = None  # the index version the patterns were built for

    def actor_patterns(self) -> list[tuple[re.Pattern, str]]:
        """(pattern of a word naming an actor, actor name), longest words first; built once per index version."""
        if self._patterns_for != self.index.version:
            words: dict[str, str] = {}
            for stored in self.index.documents.values():
                meta = stored.meta
                if meta.speaker:
                    words.setdefault(meta.speaker, meta.speaker)
                    words.setdefault(without_role(meta.speaker), meta.speaker)
                for name, match in meta.actors:
                    for word in (name, *match):
                        words.setdefault(word, name)
            for actor in self.index.promise_actors:
                words.setdefault(without_role(actor), without_role(actor))
            self._patterns = [(re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE), name)
                              for word, name in sorted(words.items(), key=lambda item: -len(item[0]))]
            self._patterns_for = self.index.version
        return self._patterns

    def understand(self, question: str, holders: dict[str, list[str]] | None = None) -> PromiseQuestion | None:
        """Who the question asks about, when it is a broad question about what someone promised or wants
        ("Was hat der OB versprochen?", "Was wollen Grüne und CDU beim Klimaschutz?"). A question with
        anything more specific ("Wie viele Bäume …", "bei der H-Bahn") goes to normal retrieval.
        `holders`: offices the question names, each with its holders, the current one first (the
        query plan's): „der OB“ asks about the current holder when no actor is called „OB“."""
        if not INTENT.search(question) or not self.index.promises:
            return None
        asked = self._understand(question)
        for word, names in (holders or {}).items():
            if asked is None:
                asked = self._understand(re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", names[0], question))
        return asked

    def _understand(self, question: str) -> PromiseQuestion | None:
        rest = question
        mentions = []
        for pattern, name in self.actor_patterns():
            match = pattern.search(rest)
            if match:
                mentions.append((match.start(), name))
                rest = pattern.sub(" ", rest)
        if not mentions:
            return None
        name = min(mentions)[1]  # the first actor named is the one asked about
        rest = INTENT.sub(" ", rest)
        areas = {area for area, p in self.areas.patterns.items() if p.search(rest)}
        for p in self.areas.patterns.values():
            rest = re.sub(rf"{p.pattern}\w*", " ", rest, flags=re.IGNORECASE)
        leftover = [w for w in re.findall(r"[\w-]+", rest.casefold())
                    if w not in STOPWORDS and w not in self.question_words and w not in FILLERS]
        if leftover or len(areas) > 1:
            return None
        names = {actor for actor in self.index.promise_actors if actor == name or actor.startswith(name + " (")}
        return PromiseQuestion(sorted(names), next(iter(areas), None)) if names else None

    def answer(self, question: str, asked: PromiseQuestion, filters=None) -> Answer | None:
        promises, positions = self.index.promises_and_positions()
        groups = positions.intents_of(asked.actors, asked.topic or None)  # (actor, area) → positions
        if filters:
            groups = {key: kept for key, found in groups.items()
                      if (kept := [i for i in found if filters.allows(self.index.meta(promises[i].doc_id))])}
        by_topic: dict[str, list] = {}  # areas in order of their first statement, each with its actors' positions
        for (_, topic), found in sorted(groups.items(), key=lambda item: item[1][0]):
            by_topic.setdefault(topic, []).append(found)
        sizes = {topic: sum(map(len, parts)) for topic, parts in by_topic.items()}
        order = sorted(by_topic, key=lambda t: -sizes[t])
        shown: list[tuple[str, list[Promise]]] = []
        budget = MAX_ITEMS
        for topic in order:  # a statement that tries to instruct the assistant is never listed (checked as listed)
            statements = (promises[i] for i in heapq.merge(*by_topic[topic]))
            take = list(islice((p for p in statements if not self.is_injection(p.statement)),
                               budget if asked.topic else min(PER_TOPIC, budget)))
            if take:
                shown.append((topic, take))
                budget -= len(take)
        if not shown:
            return None
        first: dict[str, int] = {}  # each actor's first statement
        for (actor, _), found in groups.items():
            first[actor] = min(first.get(actor, found[0]), found[0])
        actors = sorted(first, key=first.get)
        total = sum(sizes.values())
        who = ", ".join(actors[:3]) + (f" und {len(actors) - 3} weiteren" if len(actors) > 3 else "")
        about = f" zum Thema {asked.topic}" if asked.topic else ""
        lines = [f"Vorhaben und Forderungen von {who}{about} ({total} gefunden, nach Thema):"]
        sources: list[Source] = []
        claims: list[Claim] = []
        for topic, items in shown:
            lines.append(f"\n**{topic}**")
            for p in items:
                meta = self.index.meta(p.doc_id)
                n = len(sources) + 1
                sources.append(Source.cite(n, meta, p.section, p.statement, p.start, p.end))
                claims.append(Claim(p.statement, n))
                lines.append(f"- {p.statement} [{n}]")
        rest = total - sum(len(items) for _, items in shown)
        if rest > 0:
            lines.append(f"\n… und {rest} weitere; alle im Reiter „Versprechen“.")
        return Answer(question=question, text="\n".join(lines), sources=tuple(sources), claims=tuple(claims), mode="promises")
