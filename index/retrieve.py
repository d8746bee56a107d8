"""Hybrid retrieval: dense (Chroma) and BM25 fused by reciprocal rank fusion, with filters.

`SearchIndex` loads the committed chunks and the BM25 index once per process and refreshes them
only when the collection's version stamp changes (another process ingested). It owns the corpus
statistics (document frequencies, the terms of every chunk, the surface vocabulary) that query
analysis and the refusal check read; nobody else tokenises the corpus.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.embedding import CountingEmbedding
from index.lexical import LexicalIndex, surface_words, tokenize
from index.model import Chunk, DocumentMeta
from index.options import RetrievalOptions
from index.promises import Promise, stored_promises
from index.store import ChromaStore, StoredDocument

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Restrict a search to documents by id, type or publisher (empty = no restriction)."""

    doc_ids: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()

    def where(self) -> dict | None:
        clauses = [{key: {"$in": list(values)}} for key, values in
                   (("doc_id", self.doc_ids), ("doc_type", self.doc_types), ("publisher", self.publishers)) if values]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, meta: DocumentMeta) -> bool:
        return ((not self.doc_ids or meta.doc_id in self.doc_ids)
                and (not self.doc_types or meta.doc_type in self.doc_types)
                and (not self.publishers or meta.publisher in self.publishers))

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.doc_types or self.publishers)


@dataclass
class Hit:
    chunk: Chunk
    meta: DocumentMeta
    score: float
    dense: float = 0.0  # cosine similarity, 0 when not among the dense results
    lexical: float = 0.0  # BM25 score
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkTerms:
    """What the index keeps of one chunk's text: its BM25 terms and its surface words."""

    terms: tuple[str, ...]
    words: frozenset[str]


@dataclass(frozen=True)
class Snapshot:
    """Everything one version of the index consists of, swapped as a whole on refresh."""

    stamp: str
    documents: dict[str, StoredDocument]
    chunks: dict[str, Chunk]
    sections: dict[tuple[str, str], list[Chunk]]
    lexical: LexicalIndex
    promises: list[Promise]
    doc_of_row: np.ndarray  # document id of each BM25 row, for filters
    terms: dict[str, ChunkTerms]  # per chunk id
    doc_freq: Counter  # chunks containing each term
    surface: dict[str, list[str]]  # surface words (4+ letters) by first letter, for typo correction
    sorted_terms: list[str] = field(default_factory=list)  # every term, sorted: compounds by their first part
    reversed_terms: list[str] = field(default_factory=list)  # every term reversed, sorted: compounds by their head


def by_date(documents, newest_first: bool = True) -> list[StoredDocument]:
    """Stored documents ordered by date (undated last), then title."""
    dated = sorted((d for d in documents if d.meta.date), key=lambda d: (d.meta.date, d.meta.title), reverse=newest_first)
    return dated + sorted((d for d in documents if not d.meta.date), key=lambda d: d.meta.title)


class SearchIndex:
    """The loaded index of one process: chunks, documents, BM25, statistics, and the dense store.

    Searches read one immutable `Snapshot`. When another process changed the collection (a new
    version stamp), the request that notices builds the next snapshot while the others go on with the
    current one; then it is swapped in."""

    def __init__(self, store: ChromaStore, embedder: CountingEmbedding, data_dir: Path,
                 options: RetrievalOptions = RetrievalOptions(), refresh_seconds: float = 2.0) -> None:
        self.store = store
        self.embedder = embedder
        self.data_dir = data_dir
        self.options = options
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._cache: dict[tuple[str, str], ChunkTerms] = {}  # per (chunk, title), reused on refresh
        self._snap: Snapshot | None = None
        self.load()

    # the current snapshot's parts, for readers that need one of them
    documents = property(lambda self: self._snap.documents)
    chunks = property(lambda self: self._snap.chunks)
    lexical = property(lambda self: self._snap.lexical)
    promises = property(lambda self: self._snap.promises)
    version = property(lambda self: self._snap.stamp, doc="The version stamp of the loaded snapshot.")

    def load(self) -> None:
        """(Re)load documents, chunks and BM25 for the current version stamp. A refresh fetches and
        tokenizes only the chunks that are new since the last load; the rest is reused."""
        stamp = self.store.version()
        documents = self.store.all_documents()
        committed = set().union(*(d.chunk_ids for d in documents))
        known = self._snap.chunks if self._snap else {}
        if known:
            fetched = self.store.chunks_by_id(sorted(committed - set(known)))
        else:
            fetched = [c for c in self.store.all_chunks() if c.chunk_id in committed]
        chunks = sorted([known[cid] for cid in committed if cid in known] + fetched, key=lambda c: (c.doc_id, c.position))
        metas = {d.meta.doc_id: d.meta for d in documents}
        tokenized, cache = 0, {}
        for c in chunks:
            key = (c.chunk_id, metas[c.doc_id].title)
            if key not in self._cache:
                text = c.embed_text(metas[c.doc_id])
                self._cache[key] = ChunkTerms(tuple(tokenize(text)), frozenset(surface_words(text)))
                tokenized += 1
            cache[key] = self._cache[key]
        self._cache = cache
        terms = {c.chunk_id: cache[(c.chunk_id, metas[c.doc_id].title)] for c in chunks}
        ids = [c.chunk_id for c in chunks]
        lexical = LexicalIndex.load(self.data_dir / "bm25", stamp)
        if lexical is None or lexical.ids != ids:
            lexical = LexicalIndex.from_terms(ids, [list(terms[i].terms) for i in ids])
        sections: dict[tuple[str, str], list[Chunk]] = {}
        for c in chunks:
            sections.setdefault((c.doc_id, c.section_path), []).append(c)
        by_id = {c.chunk_id: c for c in chunks}
        doc_freq = Counter(t for ct in terms.values() for t in set(ct.terms))
        surface: dict[str, set[str]] = {}
        for ct in terms.values():
            for word in ct.words:
                surface.setdefault(word[0], set()).add(word)
        self._snap = Snapshot(stamp, {d.meta.doc_id: d for d in documents}, by_id, sections, lexical,
                              stored_promises(documents), np.array([by_id[i].doc_id for i in lexical.ids], dtype=object),
                              terms, doc_freq, {k: sorted(v) for k, v in surface.items()},
                              sorted(doc_freq), sorted(term[::-1] for term in doc_freq))
        self.refresh_stats = {"fetched": len(fetched), "tokenized": tokenized, "chunks": len(chunks)}
        log.info("index loaded: %d documents, %d chunks (version %s)", len(documents), len(chunks), stamp[:8])

    def refresh_if_changed(self) -> bool:
        """Reload when another process changed the collection; checked at most every few seconds.
        Only one request rebuilds; the others do not wait for it and use the current snapshot."""
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds or not self._lock.acquire(blocking=False):
            return False
        try:
            self._checked = now
            if self.store.version() == self._snap.stamp:
                return False
            self.load()
            return True
        finally:
            self._lock.release()

    # -- statistics ----------------------------------------------------------------------------
    @property
    def n_chunks(self) -> int:
        return len(self._snap.chunks)

    def doc_freq(self, term: str) -> int:
        return self._snap.doc_freq.get(term, 0)

    def knows(self, term: str) -> bool:
        """Whether a (stemmed) term occurs anywhere in the corpus."""
        return term in self._snap.doc_freq

    def idf(self, term: str) -> float:
        return math.log((max(self.n_chunks, 1) + 1) / (self.doc_freq(term) + 0.5))

    def chunk_terms(self, chunk_id: str) -> tuple[str, ...]:
        """The BM25 terms of a chunk (title and section included), as indexed."""
        cached = self._snap.terms.get(chunk_id)
        return cached.terms if cached else ()

    def compounds_of(self, stem: str, limit: int = 12) -> tuple[list[str], list[str]]:
        """Corpus terms that are compounds with `stem` as their head ('beitrag' → 'mitgliedsbeitrag')
        and as their first part ('software' → 'softwareplattform'); at most `limit` of each."""
        def starting(items: list[str], key: str) -> list[str]:
            i = bisect.bisect_left(items, key)
            out = []
            while i < len(items) and items[i].startswith(key) and len(out) < limit:
                if len(items[i]) >= len(key) + 3:
                    out.append(items[i])
                i += 1
            return out

        if len(stem) < 4:
            return [], []
        heads = [r[::-1] for r in starting(self._snap.reversed_terms, stem[::-1])]
        return heads, starting(self._snap.sorted_terms, stem)

    def promises_with_status(self) -> list[Promise]:
        """The statements of intent with what became of them (`index.follow_through`), once per version."""
        from index.follow_through import with_follow_through

        cached = getattr(self, "_followed", None)
        if cached is None or cached[0] != self._snap.stamp:
            self._followed = cached = (self._snap.stamp, with_follow_through(self._snap.promises, self))
        return cached[1]

    def surface_words(self, first_letter: str) -> list[str]:
        """Corpus words of four or more letters starting with `first_letter`, for typo correction."""
        return self._snap.surface.get(first_letter, [])

    # -- documents -----------------------------------------------------------------------------
    def meta(self, doc_id: str) -> DocumentMeta:
        return self._snap.documents[doc_id].meta

    def documents_by_date(self, newest_first: bool = True) -> list[StoredDocument]:
        return by_date(self._snap.documents.values(), newest_first)

    def section_chunks(self, chunk: Chunk) -> list[Chunk]:
        """All chunks of the same document section, in document order."""
        return self._snap.sections.get((chunk.doc_id, chunk.section_path), [])

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return sorted((c for c in self._snap.chunks.values() if c.doc_id == doc_id), key=lambda c: c.position)

    # -- search --------------------------------------------------------------------------------
    def search(self, query: str, k: int = 8, filters: Filters = Filters(), lexical_query: str | None = None,
               doc_boost: dict[str, float] | None = None, query_vector: np.ndarray | None = None) -> list[Hit]:
        """Top-k chunks for `query`, fused from dense and BM25 rankings."""
        with self.store.reachable():
            self.refresh_if_changed()
            snap = self._snap
            if not snap.chunks:
                return []
            vector = self.embedder.embed_query(query) if query_vector is None else query_vector
            dense = self.store.query(vector, self.options.dense_k, filters.where())
        allowed = None
        if filters:
            allowed = np.array([filters.allows(snap.documents[d].meta) for d in snap.doc_of_row], dtype=bool)
        lexical = snap.lexical.search(lexical_query or query, self.options.lexical_k, allowed)
        return self.fuse(dense, lexical, k, doc_boost or {}, snap)

    def fuse(self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]], k: int,
             doc_boost: dict[str, float], snap: Snapshot | None = None) -> list[Hit]:
        snap = snap or self._snap
        o = self.options
        hits: dict[str, Hit] = {}
        for name, ranking, weight in (("dense", dense, o.dense_weight), ("lexical", lexical, o.lexical_weight)):
            for rank, (cid, score) in enumerate(ranking):
                chunk = snap.chunks.get(cid)
                if chunk is None:  # an uncommitted leftover of an interrupted ingest
                    continue
                hit = hits.setdefault(cid, Hit(chunk, snap.documents[chunk.doc_id].meta, 0.0))
                hit.score += weight / (o.rrf_k + rank + 1)
                hit.ranks[name] = rank + 1
                setattr(hit, name, score)
        for hit in hits.values():
            hit.score *= doc_boost.get(hit.chunk.doc_id, 1.0)
        return sorted(hits.values(), key=lambda h: -h.score)[:k]
