"""The known-answer set: loading and the per-item scoring rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EVAL_DIR = Path(__file__).resolve().parent
DATASET = EVAL_DIR / "known_answers.yaml"


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    facts: list[list[str]]
    docs: list[str]
    category: str
    kind: str
    user: str = "citizen"
    history: list[str] = field(default_factory=list)
    asks: str = ""  # the kind of answer wanted, where the set says: number, date, person, place

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def load_items(path: Path = DATASET) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Item(id=i["id"], question=i["question"], facts=[[str(w) for w in f] for f in i.get("facts", [])],
                 docs=list(i.get("docs", [])), category=i["category"], kind=i["kind"], user=i.get("user", "citizen"),
                 history=list(i.get("history", [])), asks=str(i.get("asks", ""))) for i in data["items"]]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def fact_present(fact: list[str], text: str) -> bool:
    haystack = normalise(text)
    return any(normalise(w) in haystack for w in fact)


def doc_ranking_scores(ranked_docs: list[str], expected: list[str]) -> tuple[float, float, float]:
    """(hit@1, hit@5, reciprocal rank within 10) of the first expected document."""
    for rank, doc in enumerate(ranked_docs[:10], 1):
        if doc in expected:
            return float(rank == 1), float(rank <= 5), 1.0 / rank
    return 0.0, 0.0, 0.0
