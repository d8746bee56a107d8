"""BM25 in segments, as search engines keep it: a main segment plus small delta segments.

A new document becomes searchable by adding one small segment; a removed or changed one by marking
its rows dead. Scores are computed at query time from the raw term frequencies with statistics over
all live rows of all segments (document frequency, number of rows, average length), so a segmented
index ranks exactly as one built from scratch over the same chunks (`tests/test_bm25.py`). Merging
(`merged`) folds the segments into one and drops dead rows; it changes no score.

The formula is the Lucene variant bm25s uses (k1 = 1.5, b = 0.75):
idf = ln(1 + (N − df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1 · (1 − b + b · len / avglen)).
A term repeated in the query counts once per repetition.
"""

from __future__ import annotations

import json
from collections import Counter
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from index.lexical import terms_and_words, tokenize
from index.model import Chunk, DocumentMeta

K1, B = 1.5, 0.75
FORMAT = "segments-2"  # saved with the files: a change of layout invalidates them
MAX_SEGMENTS = 8  # more than this many segments are merged into one
TF, TF_MAX = np.uint16, 65535  # a term frequency: two bytes per posting instead of four (exact, as float32 was)


def rows_of(chunks: list[Chunk], metas: dict[str, DocumentMeta]) -> tuple[list[str], list[list[str]], set[str]]:
    """(ids, terms per chunk, surface words) of chunks as indexed: the passage with its title and section."""
    ids, terms, words = [], [], set()
    for chunk in chunks:
        text = chunk.embed_text(metas[chunk.doc_id])
        ids.append(chunk.chunk_id)
        found, surface = terms_and_words(text)
        terms.append(found or ["∅"])
        words.update(surface)
    return ids, terms, words


@dataclass(frozen=True)
class Segment:
    """Immutable postings of some chunks: term frequencies (rows × the segment's own vocabulary)."""

    ids: tuple[str, ...]
    vocab: dict[str, int]  # term → column
    postings: sparse.csc_matrix  # rows × terms, term frequencies (`TF`)
    lengths: np.ndarray  # terms per row (int32)
    words: frozenset[str]  # surface words of the rows (typo correction), see `index.lexical.surface_words`
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # its files' name; segments never change

    @classmethod
    def build(cls, ids: list[str], terms: list[list[str]], words: set[str] | frozenset[str] = frozenset()) -> "Segment":
        vocab: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for row, row_terms in enumerate(terms):
            for term, count in Counter(row_terms).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                counts.append(count)
        postings = sparse.csc_matrix((np.minimum(counts, TF_MAX).astype(TF), (np.asarray(rows, dtype=np.int32),
                                      np.asarray(cols, dtype=np.int32))), shape=(len(ids), len(vocab)))
        postings.sort_indices()
        lengths = np.fromiter((len(t) for t in terms), dtype=np.int32, count=len(terms))
        return cls(tuple(ids), vocab, postings, lengths, frozenset(words))

    def column(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of `term` in this segment."""
        col = self.vocab.get(term)
        if col is None:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=TF)
        start, end = self.postings.indptr[col], self.postings.indptr[col + 1]
        return self.postings.indices[start:end], self.postings.data[start:end]

    def save(self, folder: Path) -> None:
        name = self.name
        sparse.save_npz(folder / f"{name}.npz", self.postings.tocsc(), compressed=False)
        np.save(folder / f"{name}.lengths.npy", self.lengths)
        (folder / f"{name}.json").write_text(json.dumps(
            {"ids": self.ids, "vocab": sorted(self.vocab, key=self.vocab.get), "words": sorted(self.words)},
            ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str, shared_id=None) -> "Segment":
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        postings = sparse.load_npz(folder / f"{name}.npz").tocsc()
        ids = tuple(map(shared_id, meta["ids"])) if shared_id else tuple(meta["ids"])
        return cls(ids, {t: i for i, t in enumerate(meta["vocab"])}, postings,
                   np.load(folder / f"{name}.lengths.npy"), frozenset(meta["words"]), name)


class LexicalIndex:
    """BM25 over chunk ids in segments; rows are numbered across segments in order, dead rows score 0."""

    def __init__(self, segments: list[Segment] = (), live: list[np.ndarray] | None = None) -> None:
        self.segments = list(segments)
        self.live = live if live is not None else [np.ones(len(s.ids), dtype=bool) for s in self.segments]
        self.offsets = np.cumsum([0] + [len(s.ids) for s in self.segments])
        self.ids = [cid for s in self.segments for cid in s.ids]  # every row, dead ones included
        self.n_live = int(sum(int(live.sum()) for live in self.live))
        self.total_length = int(sum(int(s.lengths[live].sum()) for s, live in zip(self.segments, self.live)))

    @classmethod
    def of_chunks(cls, chunks: list[Chunk], metas: dict[str, DocumentMeta]) -> "LexicalIndex":
        """A one-segment index of chunks as indexed (with their document's title and section)."""
        return cls.from_terms(*rows_of(chunks, metas))

    @classmethod
    def from_terms(cls, ids: list[str], terms: list[list[str]], words: set[str] | frozenset[str] = frozenset()) -> "LexicalIndex":
        return cls([Segment.build(ids, terms, words)] if ids else [])

    @property
    def live_ids(self) -> list[str]:
        return [cid for s, live in zip(self.segments, self.live) for cid, ok in zip(s.ids, live) if ok]

    # -- changes: each returns a new index, this one stays as it is --------------------------------------
    def with_changes(self, removed: set[str], ids: list[str], terms: list[list[str]],
                     words: set[str] | frozenset[str] = frozenset(), ids_are_new: bool = False) -> "LexicalIndex":
        """Rows of `removed` (and of re-added ids, unless the caller knows that none of `ids` has a live
        row: `ids_are_new`) marked dead, the new chunks as one more segment; merged into one segment
        when there would be more than MAX_SEGMENTS."""
        gone = set(removed) if ids_are_new else set(removed) | set(ids)
        live = [l & ~np.fromiter((cid in gone for cid in s.ids), dtype=bool, count=len(s.ids)) if gone else l
                for s, l in zip(self.segments, self.live)]
        segments, live = list(self.segments), list(live)
        if ids:
            segments.append(Segment.build(ids, terms, words))
            live.append(np.ones(len(ids), dtype=bool))
        index = LexicalIndex(segments, live)
        return index.merged() if len(segments) > MAX_SEGMENTS else index

    def merged(self) -> "LexicalIndex":
        """One segment with the live rows only (same scores); vectorised, no re-tokenising."""
        if len(self.segments) == 1 and self.live[0].all():
            return self
        terms: dict[str, int] = {}
        for seg in self.segments:
            for term in seg.vocab:
                terms.setdefault(term, len(terms))
        rows, cols, data, ids, offset = [], [], [], [], 0
        for seg, live in zip(self.segments, self.live):
            keep = np.flatnonzero(live)
            colmap = np.fromiter((terms[t] for t in sorted(seg.vocab, key=seg.vocab.get)), dtype=np.int64, count=len(seg.vocab))
            coo = seg.postings.tocsr()[keep].tocoo()
            rows.append(coo.row.astype(np.int64) + offset)
            cols.append(colmap[coo.col])
            data.append(coo.data)
            ids.extend(seg.ids[i] for i in keep)
            offset += len(keep)
        postings = sparse.csc_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                                     shape=(offset, len(terms)))
        used = np.diff(postings.indptr) > 0  # terms only dead rows had
        postings = postings[:, used].tocsc()
        postings.sort_indices()
        vocab = {t: i for i, t in enumerate(t for t, c in terms.items() if used[c])}
        lengths = np.concatenate([seg.lengths[live] for seg, live in zip(self.segments, self.live)])
        return LexicalIndex([Segment(tuple(ids), vocab, postings, lengths, self.words())])

    # -- statistics and scoring ------------------------------------------------------------------------
    def doc_freq(self, term: str) -> int:
        """Live rows containing `term`."""
        return sum(int(live[s.column(term)[0]].sum()) for s, live in zip(self.segments, self.live))

    def terms(self) -> set[str]:
        """Every term of the vocabulary (terms only in dead rows included until the next merge)."""
        return set().union(*(s.vocab for s in self.segments)) if self.segments else set()

    def words(self) -> set[str]:
        return set().union(*(s.words for s in self.segments)) if self.segments else set()

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 of every row (dead rows 0) for already tokenized query terms. Computed in float32 in
        the order bm25s does (its scores, to the bit), summed over the query terms in their order."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        if not self.n_live:
            return out
        avg = self.total_length / self.n_live
        columns: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for term in query_terms:
            if term not in columns:
                parts = []
                for k, (s, live) in enumerate(zip(self.segments, self.live)):
                    rows, tf = s.column(term)
                    keep = live[rows]
                    if keep.any():
                        parts.append((k, rows[keep], tf[keep]))
                columns[term] = parts
            parts = columns[term]
            df = sum(len(rows) for _, rows, _ in parts)
            if not df:
                continue
            idf = np.float32(np.log(1.0 + (self.n_live - df + 0.5) / (df + 0.5)))
            for k, rows, tf in parts:
                norm = (K1 * ((1 - B) + B * self.segments[k].lengths[rows] / avg)).astype(np.float32)
                out[self.offsets[k] + rows] += idf * (tf / (norm + tf))
        return out

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, score) for a query in words, optionally masked to `allowed` rows."""
        return self.search_terms(tokenize(query), k, allowed)

    def search_terms(self, query_terms: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        scores = self.scores(query_terms)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        if k < len(scores):  # every row scoring at least the k-th best, so that ties are cut by id alone
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            top = np.flatnonzero(scores >= kth) if kth > 0 else np.flatnonzero(scores > 0)
        else:
            top = np.flatnonzero(scores > 0)
        ranked = sorted(((float(scores[i]), self.ids[i]) for i in top), key=lambda p: (-p[0], p[1]))[:k]
        return [(cid, score) for score, cid in ranked]

    # -- files -----------------------------------------------------------------------------------------
    def save(self, folder: Path, manifest: dict) -> None:
        """Write the segments not on disk yet, the live rows, then `ids.json` (the manifest, replaced
        atomically: it names the segments); files no manifest names any more are removed."""
        folder.mkdir(parents=True, exist_ok=True)
        for segment in self.segments:
            if not (folder / f"{segment.name}.json").exists():
                segment.save(folder)
        live_name = f"live-{uuid.uuid4().hex[:12]}.npz"
        np.savez(folder / live_name, **{s.name: live for s, live in zip(self.segments, self.live)})
        names = [s.name for s in self.segments]
        temporary = folder / "ids.json.tmp"
        temporary.write_text(json.dumps(manifest | {"format": FORMAT, "segments": names, "live": live_name}), encoding="utf-8")
        os.replace(temporary, folder / "ids.json")
        keep = set(names) | {live_name, "ids.json"}
        for path in folder.iterdir():
            if path.name.split(".", 1)[0] not in keep and path.name not in keep:
                path.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, shared_id=None) -> tuple["LexicalIndex", dict] | None:
        """The saved index and its manifest, or None when there is none or it cannot be read.
        `shared_id`: gives for a chunk id the string object to hold (the caller's own, so that a loaded
        index keeps each id once)."""
        try:
            manifest = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                return None
            segments = [Segment.load(folder, name, shared_id) for name in manifest["segments"]]
            with np.load(folder / manifest["live"]) as live:
                masks = [live[s.name] for s in segments]
            return cls(segments, masks), manifest
        except (OSError, ValueError, KeyError, EOFError):
            return None
