"""Incremental ingest: load → clean → split → embed → store, skipping what is unchanged.

Crash safety: new chunks are written before stale ones are deleted, and the document record
(which marks a document as committed) is written last. Readers only use chunks whose content
hash matches their document record, so a killed ingest leaves the previous state readable, and
the next run reuses every chunk that was already embedded.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from index.clean import clean
from index.embedding import CountingEmbedding
from index.errors import DocumentUnreadable, IngestLocked
from index.lexical import LexicalIndex
from index.load import discover, load_file, meta_for
from index.model import Chunk, CleanDocument
from index.promises import PolicyAreas, extract_promises
from index.split import chunk_document
from index.store import ChromaStore

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks_embedded: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        text = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed, {len(self.skipped)} skipped; {self.chunks_embedded} chunks embedded, "
                f"{self.chunks_total} chunks in the index ({self.seconds:.1f} s)")
        return text

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class ChunkingOptions:
    target_words: int = 120
    max_words: int = 250
    overlap_sentences: int = 1


@contextmanager
def write_lock(data_dir: Path):
    """One writer per data directory: a second ingest stops at once instead of corrupting the store."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "ingest.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise IngestLocked(f"another ingest is running on {data_dir} (lock file ingest.lock); try again later") from None
    try:
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def prepare(paths: list[Path], max_bytes: int | None, options: ChunkingOptions,
            report: IngestReport) -> tuple[list[tuple[CleanDocument, list[Chunk]]], set[str]]:
    """Load, clean and split every file; unreadable ones are reported and skipped.

    Returns the documents and the ids of all files seen (readable or not), so that a document
    whose file became unreadable keeps its previous version instead of being deleted.
    """
    prepared, seen = [], set()
    for path, entry in discover(paths):
        seen.add(meta_for(path, entry).doc_id)
        try:
            doc = clean(load_file(path, entry, max_bytes))
            chunks = chunk_document(doc, options.target_words, options.max_words, options.overlap_sentences)
            if not chunks:
                raise DocumentUnreadable("no text left after cleaning")
        except DocumentUnreadable as exc:
            report.skipped.append((str(path), str(exc)))
            log.warning("skipped %s: %s", path, exc)
            continue
        prepared.append((doc, chunks))
    ids = [doc.meta.doc_id for doc, _ in prepared]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DocumentUnreadable(f"two files share the document id '{duplicates[0]}'; give one another id in documents.yaml")
    return prepared, seen


def ingest(paths: list[Path], store: ChromaStore, embedder: CountingEmbedding, data_dir: Path,
           options: ChunkingOptions = ChunkingOptions(), max_bytes: int | None = None, prune: bool = True,
           batch_size: int = 16, progress: bool = True, areas: PolicyAreas | None = None) -> IngestReport:
    """Bring the index in line with the documents under `paths`."""
    areas = areas or PolicyAreas.load()
    started = time.perf_counter()
    report = IngestReport()
    with write_lock(data_dir):
        prepared, seen = prepare(paths, max_bytes, options, report)
        store.chunks(create=True)
        stored = {d.meta.doc_id: d for d in store.all_documents()}
        todo: list[tuple[CleanDocument, list[Chunk], list[str]]] = []
        for doc, chunks in prepared:
            old = stored.get(doc.meta.doc_id)
            existing = store.chunk_ids(doc.meta.doc_id)
            if old and old.doc_hash == chunks[0].doc_hash and set(existing) == old.chunk_ids \
                    and old.chunk_ids == {c.chunk_id for c in chunks} and old.meta == doc.meta \
                    and old.promises_rules == areas.fingerprint:
                report.unchanged.append(doc.meta.doc_id)
                continue
            (report.updated if old else report.added).append(doc.meta.doc_id)
            todo.append((doc, chunks, existing))
        _embed_and_store(todo, store, embedder, batch_size, progress, report, areas)
        if prune:
            for doc_id in sorted(set(stored) - seen):
                store.delete_document(doc_id)
                report.removed.append(doc_id)
        stamp = store.bump_version() if report.changed else store.version()
        chunks = committed_chunks(store)
        report.chunks_total = len(chunks)
        build_lexical(chunks, store).save(data_dir / "bm25", stamp)
    report.seconds = time.perf_counter() - started
    return report


def _embed_and_store(todo, store: ChromaStore, embedder: CountingEmbedding, batch_size: int, progress: bool,
                     report: IngestReport, areas: PolicyAreas) -> None:
    stored = [frozenset(existing) for _, _, existing in todo]
    pending = [(doc, c) for (doc, chunks, _), have in zip(todo, stored) for c in chunks if c.chunk_id not in have]
    bar = tqdm(total=len(pending), desc="embedding", unit="chunk", disable=not progress or not pending)
    for i in range(0, len(pending), batch_size):
        batch = pending[i:i + batch_size]
        vectors = embedder.embed_passages([c.embed_text(doc.meta) for doc, c in batch])
        for doc in {id(d): d for d, _ in batch}.values():
            rows = [j for j, (d, _) in enumerate(batch) if d is doc]
            store.add_chunks([batch[j][1] for j in rows], doc.meta, vectors[rows])
        report.chunks_embedded += len(batch)
        bar.update(len(batch))
    bar.close()
    for (doc, chunks, existing), have in zip(todo, stored):
        keep = {c.chunk_id for c in chunks}
        store.update_chunk_metadata([c for c in chunks if c.chunk_id in have], doc.meta)
        promises = [p.to_dict() for p in extract_promises(doc, areas)]
        store.put_document(doc.meta, doc.text, chunks[0].doc_hash, [c.chunk_id for c in chunks], promises, areas.fingerprint)
        store.delete_chunks([cid for cid in existing if cid not in keep])


def committed_chunks(store: ChromaStore) -> list[Chunk]:
    """Chunks listed by their document record (leftovers of an interrupted ingest are ignored)."""
    committed = set().union(*(d.chunk_ids for d in store.all_documents()))
    return sorted((c for c in store.all_chunks() if c.chunk_id in committed), key=lambda c: (c.doc_id, c.position))


def build_lexical(chunks: list[Chunk], store: ChromaStore) -> LexicalIndex:
    metas = {d.meta.doc_id: d.meta for d in store.all_documents()}
    return LexicalIndex([c.chunk_id for c in chunks], [c.embed_text(metas[c.doc_id]) for c in chunks])
