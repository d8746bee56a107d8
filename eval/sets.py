"""The evaluation sets of `eval/sets.yaml`: where each one's documents, questions and thresholds are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from eval.dataset import EVAL_DIR
from index.errors import RathausError

SETS_FILE = EVAL_DIR / "sets.yaml"


@dataclass(frozen=True)
class EvalSet:
    name: str
    title: str
    corpus: Path
    questions: Path
    thresholds: Path
    promises: Path | None = None  # hand-labelled statements of intent, if the set has them


def load_sets(path: Path = SETS_FILE) -> dict[str, EvalSet]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))["sets"]
    folder = path.parent
    return {name: EvalSet(name, str(entry.get("title", name)), (folder / entry["corpus"]).resolve(),
                          folder / entry["questions"], folder / entry["thresholds"],
                          folder / entry["promises"] if entry.get("promises") else None)
            for name, entry in data.items()}


def selected(names: list[str] | None) -> list[EvalSet]:
    """The named sets (all when `names` is empty); an unknown name is an error naming the known ones."""
    sets = load_sets()
    unknown = [n for n in names or [] if n not in sets]
    if unknown:
        raise RathausError(f"unbekanntes Evaluationsset '{unknown[0]}'; vorhanden: {', '.join(sets)}")
    return [sets[n] for n in names] if names else list(sets.values())
