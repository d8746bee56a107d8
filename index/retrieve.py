"""Hybrid retrieval: dense (Chroma) and BM25 fused by reciprocal rank fusion, with filters.

`SearchIndex` loads the committed chunks and the BM25 index once per process and refreshes them
only when the collection's version stamp changes (another process ingested). It owns the corpus
statistics (document frequencies, the terms of every chunk, the surface vocabulary) that query
analysis and the refusal check read; nobody else tokenises the corpus.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.embedding import CountingEmbedding
from index.bm25 import LexicalIndex, rows_of
from index.chunk_table import ChunkTable
from index.lexical import TOKENIZER_VERSION, tokenize
from index.memory import fewer_collections, release_free_memory
from index.model import Chunk, DocumentMeta
from index.options import RetrievalOptions
from index.offices import OfficeHolders
from index.promise_index import PromiseIndex
from index.promises import Promise
from index.stored_promises import SharedValues, stored_promises
from index.store import PAGE, ChromaStore, StoredDocument

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
class Snapshot:
    """Everything one version of the index consists of, swapped as a whole on refresh."""

    stamp: str
    seq: int  # the newest document record's write sequence: a refresh reads only records written after it
    documents: dict[str, StoredDocument]  # packed: texts compressed, statements only in `promises`
    chunks: ChunkTable
    lexical: LexicalIndex
    promises: list[Promise]
    doc_of_row: np.ndarray  # document id of each BM25 row, for filters
    surface: dict[str, list[str]]  # surface words (4+ letters) by first letter, for typo correction
    sorted_terms: list[str] = field(default_factory=list)  # every term, sorted: compounds by their first part
    reversed_terms: list[str] = field(default_factory=list)  # every term reversed, sorted: compounds by their head
    offices: OfficeHolders = field(default_factory=lambda: OfficeHolders([]))  # who holds which office
    promise_index: PromiseIndex = field(default_factory=lambda: PromiseIndex((), {}, {}))  # `promises` by actor, by document


def by_date(documents, newest_first: bool = True) -> list[StoredDocument]:
    """Stored documents ordered by date (undated last), then title."""
    dated = sorted((d for d in documents if d.meta.date), key=lambda d: (d.meta.date, d.meta.title), reverse=newest_first)
    return dated + sorted((d for d in documents if not d.meta.date), key=lambda d: d.meta.title)


def _add_sorted(items: list[str], new: set[str]) -> list[str]:
    """`items` (sorted) with `new` merged in; a copy, the snapshot's list stays as it is."""
    fresh = sorted(new.difference(items) if len(new) < 64 else new - set(items))
    return list(heapq.merge(items, fresh)) if fresh else items


class SearchIndex:
    """The loaded index of one process: chunks, documents, BM25, statistics, and the dense store.

    Searches read one immutable `Snapshot`. When another process changed the collection (a new
    version stamp), the request that notices starts building the next snapshot in a background thread
    and goes on with the current one, as do all requests until the new snapshot is swapped in. A
    refresh reads only the document records written since the last one, fetches and tokenizes only
    their chunks, and adds them to BM25 as a segment (`index.bm25`)."""

    def __init__(self, store: ChromaStore, embedder: CountingEmbedding, data_dir: Path,
                 options: RetrievalOptions = RetrievalOptions(), refresh_seconds: float = 2.0) -> None:
        self.store = store
        self.embedder = embedder
        self.data_dir = data_dir
        self.options = options
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._refreshing: threading.Thread | None = None
        self._terms: dict[str, tuple[str, ...]] = {}  # chunk terms computed on demand, per snapshot
        self._snap: Snapshot | None = None
        self.refresh_stats: dict = {}
        with fewer_collections():  # the first load makes every record's objects (refreshes are small)
            self.load()

    # the current snapshot's parts, for readers that need one of them
    documents = property(lambda self: self._snap.documents)
    chunks = property(lambda self: self._snap.chunks)
    lexical = property(lambda self: self._snap.lexical)
    promises = property(lambda self: self._snap.promises)
    promise_actors = property(lambda self: self._snap.promise_index.actors)  # each once, in order of first statement
    offices = property(lambda self: self._snap.offices)
    version = property(lambda self: self._snap.stamp, doc="The version stamp of the loaded snapshot.")

    def load(self) -> None:
        """Load documents, chunks and BM25 for the current version stamp: from scratch the first time
        (BM25 from the files the ingest saved when they match), incrementally afterwards."""
        stamp = self.store.version()
        previous = self._snap
        changed, new_promises = self._read(previous)
        if previous is None:
            removed_docs, kept = set(), []
        else:
            renewed = {d.meta.doc_id for d in changed}
            # documents were removed only when fewer are stored than the previous ones plus the new ones
            if self.store.document_count() == len(previous.documents) + len(renewed - previous.documents.keys()):
                removed_docs = set()
            else:
                removed_docs = previous.documents.keys() - set(self.store.document_ids())
            kept = [d for i, d in previous.documents.items() if i not in removed_docs and i not in renewed]
        documents = kept + changed
        by_doc = {d.meta.doc_id: d for d in documents}
        before = previous.documents if previous else {}
        # a changed record may keep chunk ids whose title (part of the indexed text) changed: re-add them
        retitled = {cid for d in changed if d.meta.doc_id in before and before[d.meta.doc_id].meta.title != d.meta.title
                    for cid in d.chunk_ids}
        table = previous.chunks if previous else ChunkTable.of(())
        chunks = table.with_documents(changed, self.store.older_chunks(changed), removed_docs)
        # on a refresh, the chunks new to this process (a changed document's kept chunks are re-sliced:
        # their offsets may have moved)
        fetched = [chunks[cid] for d in changed for cid in chunks.ids_of(d.meta.doc_id) if cid not in table] \
            if previous else []
        metas = {i: d.meta for i, d in by_doc.items()}
        touched = {d.meta.doc_id for d in changed} | removed_docs  # documents whose chunks and statements change
        gone = {cid for doc_id in touched for cid in table.ids_of(doc_id) if cid not in chunks}
        lexical, tokenized = self._lexical(previous, stamp, chunks, metas, fetched, retitled, gone)
        if previous is None:
            promises = new_promises
            promise_index = PromiseIndex.of(promises)
            surface: dict[str, list[str]] = {}
            for word in sorted(lexical.words()):
                surface.setdefault(word[0], []).append(word)
            vocabulary = lexical.terms()
            sorted_terms, reversed_terms = sorted(vocabulary), sorted(t[::-1] for t in vocabulary)
        elif touched & previous.documents.keys():
            promises = [p for p in previous.promises if p.doc_id not in touched] + new_promises
            promise_index = PromiseIndex.of(promises)
        else:  # only new documents: nothing to take out
            promises = previous.promises + new_promises
            promise_index = PromiseIndex.of(promises, previous.promise_index, len(previous.promises))
        if previous is not None:
            added = lexical.segments[-1] if tokenized else None  # the segment of this refresh's chunks
            new_words: dict[str, set[str]] = {}
            for word in added.words if added else ():
                new_words.setdefault(word[0], set()).add(word)
            surface = dict(previous.surface)
            for letter, group in new_words.items():
                surface[letter] = _add_sorted(surface.get(letter, []), group)
            new_terms = set(added.vocab) if added else set()
            sorted_terms = _add_sorted(previous.sorted_terms, new_terms)
            reversed_terms = _add_sorted(previous.reversed_terms, {t[::-1] for t in new_terms})
        seq = max([previous.seq if previous else 0] + [d.seq for d in changed])
        if previous and not any(d.offices for d in changed) and not any(before[i].offices for i in touched if i in before):
            offices = previous.offices  # no office named in what changed
        else:
            offices = OfficeHolders((d.meta.date, d.offices) for d in by_doc.values())
        self._snap = Snapshot(stamp, seq, by_doc, chunks, lexical, promises, self._doc_of_row(previous, lexical, chunks),
                              surface, sorted_terms, reversed_terms, offices, promise_index)
        self._terms = {}
        if previous is None or len(changed) >= PAGE:  # a large load: give back what its reading freed
            release_free_memory()
        self.refresh_stats = {"fetched": len(fetched) if previous else len(chunks), "tokenized": tokenized, "chunks": len(chunks),
                              "removed_documents": len(removed_docs)}
        log.info("index loaded: %d documents, %d chunks (version %s)", len(documents), len(chunks), stamp[:8])

    @staticmethod
    def _doc_of_row(previous: Snapshot | None, lexical: LexicalIndex, chunks: ChunkTable) -> np.ndarray:
        """The document of each BM25 row ('' for dead rows); rows of kept segments reuse the previous array."""
        def of(ids) -> np.ndarray:
            return np.array([chunks.doc_of(i) for i in ids], dtype=object)

        if previous is None or not previous.lexical.segments or not lexical.segments \
                or lexical.segments[0] is not previous.lexical.segments[0]:  # first load, or merged: all rows anew
            return of(lexical.ids)
        kept = sum(1 for a, b in zip(lexical.segments, previous.lexical.segments) if a is b)
        start = int(lexical.offsets[kept])
        rows = previous.doc_of_row[:start].copy()
        for k in range(kept):  # rows that died in this refresh
            dead = ~lexical.live[k]
            rows[int(lexical.offsets[k]):int(lexical.offsets[k + 1])][dead] = ""
        return np.concatenate([rows, of(lexical.ids[start:])])

    def _read(self, previous: Snapshot | None) -> tuple[list[StoredDocument], list[Promise]]:
        """The records written since `previous` (all, the first time) as a snapshot holds them (text
        compressed) and their statements of intent, made page by page as the records are read."""
        promises: list[Promise] = []
        shared = SharedValues()

        def held(record: StoredDocument) -> StoredDocument:
            packed = record.packed()
            promises.extend(stored_promises(record, packed, shared))
            return packed

        if previous is None:
            return self.store.all_documents(each=held), promises
        return self.store.documents_since(previous.seq, each=held), promises

    def _lexical(self, previous: Snapshot | None, stamp: str, chunks: ChunkTable, metas: dict[str, DocumentMeta],
                 fetched: list[Chunk], retitled: set[str], gone: set[str]) -> tuple[LexicalIndex, int]:
        """BM25 for the new snapshot and how many chunks were tokenized for it (`gone`: chunks of the
        previous snapshot that are no longer committed)."""
        if previous is not None:
            fetched_ids = {c.chunk_id for c in fetched}
            added = fetched + [chunks[cid] for cid in sorted(retitled) if cid in chunks and cid not in fetched_ids]
            ids, terms, words = rows_of(added, metas)
            # live rows are the previous snapshot's chunks: of the added ones, only the retitled had one
            replaced = {cid for cid in ids if cid in previous.chunks}
            return previous.lexical.with_changes(gone | replaced, ids, terms, words, ids_are_new=True), len(added)
        saved = LexicalIndex.load(self.data_dir / "bm25", chunks.shared_id)
        if saved and saved[1].get("stamp") == stamp and saved[1].get("tokenizer") == TOKENIZER_VERSION \
                and set(saved[0].live_ids) == set(chunks):
            return saved[0], 0
        ordered = sorted(chunks.values(), key=lambda c: (c.doc_id, c.position))
        return LexicalIndex.of_chunks(ordered, metas), len(ordered)

    def refresh_if_changed(self, wait: bool = False) -> bool:
        """Start loading the next snapshot when another process changed the collection (checked at
        most every `refresh_seconds`). The load runs in a background thread; requests go on with the
        current snapshot meanwhile. Returns whether a refresh was started; `wait` joins it, and one
        already running (tests, benchmarks)."""
        if wait:
            self.wait_for_refresh()
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds or not self._lock.acquire(blocking=False):
            return False
        try:
            if self._refreshing is not None and self._refreshing.is_alive():
                return False
            self._checked = now
            if self.store.version() == self._snap.stamp:
                return False
            self._refreshing = threading.Thread(target=self._refresh, name="index-refresh", daemon=True)
            self._refreshing.start()
        finally:
            self._lock.release()
        if wait:
            self.wait_for_refresh()
        return True

    def _refresh(self) -> None:
        try:
            self.load()
        except Exception:  # the next check tries again; requests keep the current snapshot
            log.exception("index refresh failed; serving the previous version")
            self._checked = 0.0

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Block until a running background refresh has swapped its snapshot in."""
        thread = self._refreshing
        if thread is not None:
            thread.join(timeout)

    # -- statistics ----------------------------------------------------------------------------
    @property
    def n_chunks(self) -> int:
        return self._snap.lexical.n_live

    def doc_freq(self, term: str) -> int:
        return self._snap.lexical.doc_freq(term)

    def knows(self, term: str) -> bool:
        """Whether a (stemmed) term occurs anywhere in the corpus."""
        return self.doc_freq(term) > 0

    def idf(self, term: str) -> float:
        return math.log((max(self.n_chunks, 1) + 1) / (self.doc_freq(term) + 0.5))

    def chunk_terms(self, chunk_id: str) -> tuple[str, ...]:
        """The BM25 terms of a chunk (title and section included), as indexed; computed on demand."""
        cached = self._terms.get(chunk_id)
        if cached is None:
            snap = self._snap
            chunk = snap.chunks.get(chunk_id)
            cached = tuple(tokenize(chunk.embed_text(snap.documents[chunk.doc_id].meta))) if chunk else ()
            if len(self._terms) > 50_000:
                self._terms = {}
            self._terms[chunk_id] = cached
        return cached

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

    def promises_and_positions(self) -> tuple[list[Promise], PromiseIndex]:
        """The statements of intent and where they are, of one snapshot (read together: a refresh may
        swap the snapshot between two reads)."""
        snap = self._snap
        return snap.promises, snap.promise_index

    def promises_with_status(self, promises: list[Promise] | None = None) -> list[Promise]:
        """The statements of intent (all, or the given ones) with what became of them
        (`index.follow_through`); each statement's follow-through is looked up once per version."""
        from index.follow_through import with_follow_through

        stamp = self._snap.stamp
        if getattr(self, "_followed_stamp", None) != stamp:
            self._followed_stamp, self._followed = stamp, {}
        cache = self._followed
        wanted = self._snap.promises if promises is None else promises
        missing = [p for p in wanted if (p.doc_id, p.start, p.end) not in cache]
        for p, followed in zip(missing, with_follow_through(missing, self)):
            cache[(p.doc_id, p.start, p.end)] = followed
        return [cache[(p.doc_id, p.start, p.end)] for p in wanted]

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
        return self._snap.chunks.section(chunk)

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return self._snap.chunks.of_document(doc_id)

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
            ok = {doc_id for doc_id, d in snap.documents.items() if filters.allows(d.meta)}
            allowed = np.fromiter((d in ok for d in snap.doc_of_row), dtype=bool, count=len(snap.doc_of_row))
        lexical = snap.lexical.search(lexical_query or query, self.options.lexical_k, allowed)
        return self.fuse(dense, lexical, k, doc_boost or {}, snap)

    def fuse(self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]], k: int,
             doc_boost: dict[str, float], snap: Snapshot | None = None) -> list[Hit]:
        snap = snap or self._snap
        o = self.options
        hits: dict[str, Hit] = {}
        for name, ranking, weight in (("dense", dense, o.dense_weight), ("lexical", lexical, o.lexical_weight)):
            rank, previous = 0, None
            for position, (cid, score) in enumerate(ranking):
                if score != previous:  # equal scores share a rank: the order of a tie decides nothing
                    rank, previous = position, score
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
