"""BM25 over the chunks: German Snowball stemming, stop words, gender forms normalised.

`WORD` is the one definition of a word (letters and digits of any script, hyphenated compounds
kept together); `tokenize` turns text into BM25 terms, `surface_words` into the lower-case words
that typo correction compares against.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_GERMAN

# "Bürger*innen", "Bürger:innen", "Bürger_innen", "BürgerInnen", "Anwält*in" → "Bürger", "Anwält"
GENDER_FORM = re.compile(r"(\w)(?:[*:_/]|(?<=[a-zäöüß])(?=I))(?:-?[Ii]nnen|[Ii]n)\b")
WORD = re.compile(r"[^\W_]+(?:[-+][^\W_]+)*")
STOPWORDS = frozenset(STOPWORDS_GERMAN) | {"dass", "wurde", "wurden", "sei", "seien", "so", "mal"}
_STEMMER = Stemmer.Stemmer("german")
COMPOUND_SPLIT = re.compile(r"[-+]")
TOKENIZER_VERSION = "2"  # saved with the BM25 files: a change of `tokenize` invalidates them


def normalise_gender(text: str) -> str:
    return GENDER_FORM.sub(r"\1", text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lowercased, stemmed terms; hyphenated compounds give their parts and the joined word."""
    terms: list[str] = []
    for word in WORD.findall(normalise_gender(text)):
        word = word.lower()
        if "-" not in word and "+" not in word:  # the common case, without a split
            if word not in STOPWORDS:
                terms.append(stem(word))
            continue
        parts = COMPOUND_SPLIT.split(word)
        parts.append("".join(parts))
        terms.extend(stem(p) for p in parts if p and p not in STOPWORDS)
    return terms


def surface_words(text: str, min_length: int = 4) -> list[str]:
    """The lower-case words of `text` (gender forms normalised) with at least `min_length` letters."""
    return [w for w in WORD.findall(normalise_gender(text).lower()) if len(w) >= min_length]


class LexicalIndex:
    """A BM25 index over chunk ids; scores can be masked to a subset of chunks."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        self._build(ids, [tokenize(t) for t in texts])

    @classmethod
    def from_terms(cls, ids: list[str], terms: list[list[str]]) -> "LexicalIndex":
        """From already tokenized texts (a process refreshing after another's ingest tokenizes only new chunks)."""
        index = cls.__new__(cls)
        index._build(ids, terms)
        return index

    def _build(self, ids: list[str], terms: list[list[str]]) -> None:
        self.ids = list(ids)
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self._bm25 = bm25s.BM25()
        if self.ids:
            self._bm25.index([t or ["∅"] for t in terms], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        terms = [t for t in tokenize(query) if t in self.vocabulary]
        if not self.ids or not terms:
            return np.zeros(len(self.ids), dtype=np.float32)
        return self._bm25.get_scores(terms)

    @property
    def vocabulary(self) -> dict[str, int]:
        return self._bm25.vocab_dict if self.ids else {}

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path, stamp: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self._bm25.save(str(folder), show_progress=False)
        (folder / "ids.json").write_text(json.dumps({"stamp": stamp, "ids": self.ids, "tokenizer": TOKENIZER_VERSION}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, stamp: str) -> "LexicalIndex | None":
        """The saved index if it was built for `stamp`, else None (the caller rebuilds)."""
        try:
            meta = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            if meta.get("stamp") != stamp or meta.get("tokenizer") != TOKENIZER_VERSION:
                return None
            index = cls([], [])
            index.ids = meta["ids"]
            index.position = {cid: i for i, cid in enumerate(index.ids)}
            if index.ids:
                index._bm25 = bm25s.BM25.load(str(folder), show_progress=False)
            return index
        except (OSError, ValueError, KeyError):
            return None
