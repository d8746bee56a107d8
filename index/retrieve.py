"""Hybrid retrieval: dense (Chroma) and BM25 fused by reciprocal rank fusion, with filters.

`SearchIndex` loads the committed chunks and the BM25 index once per process and refreshes them
only when the collection's version stamp changes (another process ingested).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.embedding import CountingEmbedding
from index.lexical import LexicalIndex, tokenize
from index.model import Chunk, DocumentMeta
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


@dataclass
class Hit:
    chunk: Chunk
    meta: DocumentMeta
    score: float
    dense: float = 0.0  # cosine similarity, 0 when not among the dense results
    lexical: float = 0.0  # BM25 score
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FusionWeights:
    dense_k: int = 30
    lexical_k: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0


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


class SearchIndex:
    """The loaded index of one process: chunks, documents, BM25, and the dense store.

    Searches read one immutable `Snapshot`. When another process changed the collection (a new
    version stamp), the request that notices builds the next snapshot while the others go on with the
    current one; then it is swapped in."""

    def __init__(self, store: ChromaStore, embedder: CountingEmbedding, data_dir: Path,
                 weights: FusionWeights = FusionWeights(), refresh_seconds: float = 2.0) -> None:
        self.store = store
        self.embedder = embedder
        self.data_dir = data_dir
        self.weights = weights
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._terms: dict[tuple[str, str], list[str]] = {}  # BM25 terms per (chunk, title), reused on refresh
        self._snap: Snapshot | None = None
        self.load()

    # the current snapshot's parts, for readers that need one of them
    documents = property(lambda self: self._snap.documents)
    chunks = property(lambda self: self._snap.chunks)
    lexical = property(lambda self: self._snap.lexical)
    promises = property(lambda self: self._snap.promises)
    _stamp = property(lambda self: self._snap.stamp)

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
        ids = [c.chunk_id for c in chunks]
        lexical = LexicalIndex.load(self.data_dir / "bm25", stamp)
        tokenized = 0
        if lexical is None or lexical.ids != ids:
            terms = []
            for c in chunks:
                key = (c.chunk_id, metas[c.doc_id].title)
                if key not in self._terms:
                    self._terms[key] = tokenize(c.embed_text(metas[c.doc_id]))
                    tokenized += 1
                terms.append(self._terms[key])
            lexical = LexicalIndex.from_terms(ids, terms)
            self._terms = {(c.chunk_id, metas[c.doc_id].title): t for c, t in zip(chunks, terms)}
        sections: dict[tuple[str, str], list[Chunk]] = {}
        for c in chunks:
            sections.setdefault((c.doc_id, c.section_path), []).append(c)
        by_id = {c.chunk_id: c for c in chunks}
        self._snap = Snapshot(stamp, {d.meta.doc_id: d for d in documents}, by_id, sections, lexical,
                              stored_promises(documents),
                              np.array([by_id[i].doc_id for i in lexical.ids], dtype=object))
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

    def meta(self, doc_id: str) -> DocumentMeta:
        return self._snap.documents[doc_id].meta

    def section_chunks(self, chunk: Chunk) -> list[Chunk]:
        """All chunks of the same document section, in document order."""
        return self._snap.sections.get((chunk.doc_id, chunk.section_path), [])

    def search(self, query: str, k: int = 8, filters: Filters = Filters(), lexical_query: str | None = None,
               doc_boost: dict[str, float] | None = None, query_vector: np.ndarray | None = None) -> list[Hit]:
        """Top-k chunks for `query`, fused from dense and BM25 rankings."""
        with self.store.reachable():
            self.refresh_if_changed()
            snap = self._snap
            if not snap.chunks:
                return []
            vector = self.embedder.embed_query(query) if query_vector is None else query_vector
            dense = self.store.query(vector, self.weights.dense_k, filters.where())
        allowed = None
        if filters != Filters():
            allowed = np.array([filters.allows(snap.documents[d].meta) for d in snap.doc_of_row], dtype=bool)
        lexical = snap.lexical.search(lexical_query or query, self.weights.lexical_k, allowed)
        return self.fuse(dense, lexical, k, doc_boost or {}, snap)

    def fuse(self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]], k: int,
             doc_boost: dict[str, float], snap: Snapshot | None = None) -> list[Hit]:
        snap = snap or self._snap
        w = self.weights
        hits: dict[str, Hit] = {}
        for name, ranking, weight in (("dense", dense, w.dense_weight), ("lexical", lexical, w.lexical_weight)):
            for rank, (cid, score) in enumerate(ranking):
                chunk = snap.chunks.get(cid)
                if chunk is None:  # an uncommitted leftover of an interrupted ingest
                    continue
                hit = hits.setdefault(cid, Hit(chunk, snap.documents[chunk.doc_id].meta, 0.0))
                hit.score += weight / (w.rrf_k + rank + 1)
                hit.ranks[name] = rank + 1
                setattr(hit, name, score)
        for hit in hits.values():
            hit.score *= doc_boost.get(hit.chunk.doc_id, 1.0)
        return sorted(hits.values(), key=lambda h: -h.score)[:k]
