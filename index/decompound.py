"""German compound splitting: CharSplit (Tuggener 2016) as the compound-split package implements it,
over a compact copy of its n-gram probabilities.

compound-split keeps its probabilities as three Python dicts in a 38 MB module (and imports the Dutch
ones beside them): importing it costs a process about 350 MB and several seconds, on the first
question of every serving process. The same probabilities are kept here as sorted 64-bit hashes
(blake2b) of the n-grams with their values, about 30 MB, read from a file on first use; the file
is built once per machine from the package, in a separate process, and checked to have no
two n-grams with one hash. Splits are the package's, to the last digit (`tests/test_decompound.py`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

TABLES = ("prefix", "infix", "suffix")
FORMAT = "1"


def hash64(texts: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
                     for t in texts], dtype=np.uint64)


def cache_file() -> Path:
    from importlib.metadata import version

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rathaus-chat" / f"charsplit-de-{version('compound-split')}-{FORMAT}.npz"


def build(target: Path) -> None:
    """Write the compact tables of compound-split's German probabilities to `target` (atomically)."""
    from compound_split import de_ngram_probs

    arrays = {}
    for name in TABLES:
        table = Table.of(getattr(de_ngram_probs, name))
        arrays[f"{name}_keys"], arrays[f"{name}_values"] = table.keys, table.values
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{os.getpid()}.part.npz")
    np.savez(partial, **arrays)
    os.replace(partial, target)


class Table:
    """n-gram → probability, looked up by hash in sorted arrays."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.keys, self.values = keys, values

    @classmethod
    def of(cls, probs: dict[str, float]) -> "Table":
        """The table of one of compound-split's dicts; refused if two of its n-grams share a hash."""
        keys = hash64(list(probs))
        if len(np.unique(keys)) != len(keys):
            raise ValueError("two n-grams share a hash")
        order = np.argsort(keys)
        return cls(keys[order], np.fromiter(probs.values(), dtype=np.float64, count=len(probs))[order])

    def get_many(self, grams: list[str], default: float) -> np.ndarray:
        hashes = hash64(grams)
        at = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
        found = self.keys[at] == hashes
        return np.where(found, self.values[at], default)


@lru_cache(maxsize=1)
def tables() -> dict[str, Table]:
    """The three tables, built on first use (in a separate process: the package's module stays out of
    this one)."""
    path = cache_file()
    if not path.exists():
        try:
            subprocess.run([sys.executable, "-c", f"from index.decompound import build; from pathlib import Path; "
                            f"build(Path({str(path)!r}))"], check=True, cwd=Path(__file__).resolve().parent.parent,
                           capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError):  # no writable cache: build in memory (the package's cost)
            from compound_split import de_ngram_probs

            return {name: Table.of(getattr(de_ngram_probs, name)) for name in TABLES}
    with np.load(path) as data:
        return {name: Table(data[f"{name}_keys"], data[f"{name}_values"]) for name in TABLES}


def cut_off_fugen_s(word: str) -> str:
    if word.endswith(("ts", "gs", "ks", "hls", "ns")) and len(word[:-1]) > 2:
        return word[:-1]
    return word


def split_compound(word: str) -> list[tuple[float, str, str]]:
    """Every split of `word` into modifier and head with its score, best first (compound-split's
    `char_split.split_compound` for German)."""
    word = word.lower()
    if "-" in word:
        hyphen = word.rfind("-")
        return [(1.0, word[:hyphen].title(), word[hyphen + 1:].title())]
    positions = range(3, len(word) - 2)
    if not positions:
        return [(0, word.title(), word.title())]
    t = tables()
    pre = t["suffix"].get_many([cut_off_fugen_s(word[:n]) for n in positions], -1)
    start = t["prefix"].get_many([cut_off_fugen_s(word[n:]) for n in positions], -1)
    inner = [[word[n:k] for k in range(len(word), n + 2, -1)] for n in positions]
    flat = t["infix"].get_many([g for grams in inner for g in grams], 1)
    scores, i = [], 0
    for j, n in enumerate(positions):
        lowest = float(flat[i:i + len(inner[j])].min())
        i += len(inner[j])
        scores.append((float(start[j]) - lowest + float(pre[j]), word[:n].title(), word[n:].title()))
    scores.sort(reverse=True)
    return scores
