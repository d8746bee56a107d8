"""Incremental ingest, as a pipeline of named steps, skipping what is unchanged:

1. `accept`    – the candidate files under the given folders, with their manifest entries;
2. `prepare`   – per file: load (text + metadata) → clean → split into chunks → extract the
                 statements of intent (`index.promises`) → tokenize for BM25; in worker processes for
                 many files; an unreadable file is skipped with a reason;
3. `plan`      – compare with the stored document records (read once): unchanged, added, updated;
4. `embed_and_store` – embed only chunks not stored yet, write them, then commit each document
                 record (which lists its chunk ids and carries its statements), then delete stale chunks;
5. `remove_missing` – remove documents whose files are gone (only with `prune=True`, and only
                 documents of the sources this ingest reads: each document remembers its folder);
6. `LexicalUpdate` – the saved BM25 segments plus one segment per batch, saved for the new version stamp.

Steps 2–4 run per batch of `BATCH_FILES` files (the next batches are prepared while one is written), so
an archive of any size is ingested in bounded memory.

Crash safety: new chunks are written before stale ones are deleted, and the document record
(which marks a document as committed) is written last. Readers only use chunks listed by their
document record, so a killed ingest leaves the previous state readable, and the next run reuses
every chunk that was already embedded."""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.clean import clean
from index.embedding import CountingEmbedding
from index.errors import DocumentUnreadable, IngestLocked
from index.bm25 import LexicalIndex, rows_of
from index.lexical import TOKENIZER_VERSION, load_lemmas
from index.load import discover, load_file
from index.memory import fewer_collections
from index.model import Chunk, DocumentMeta
from index.options import ChunkingOptions, ReadingLimits
from index import offices
from index.offices import Mention, office_mentions
from index.promises import PolicyAreas, extract_promises
from index.split import chunk_document
from index.store import WRITE_BATCH, ChromaStore, StoredDocument

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
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step, for `make bench-scale`

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - started

    def summary(self) -> str:
        return (f"{len(self.added)} neu, {len(self.updated)} geändert, {len(self.unchanged)} unverändert, "
                f"{len(self.removed)} entfernt, {len(self.skipped)} übersprungen; {self.chunks_embedded} Abschnitte "
                f"eingebettet, {self.chunks_total} Abschnitte im Index ({self.seconds:.1f} s)")

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class Prepared:
    """A document after step 2: its metadata and cleaned text (its blocks stay where it was prepared:
    only what is stored crosses from a worker process), chunked, its statements of intent found, its
    chunks tokenized for BM25 (`index.bm25.rows_of`: ids, terms per chunk, surface words)."""

    meta: DocumentMeta
    text: str
    chunks: list[Chunk]
    promises: list[dict]
    rows: tuple[list[str], list[list[str]], set[str]] | None = None
    offices: tuple[Mention, ...] = ()


@contextmanager
def write_lock(data_dir: Path):
    """One writer per data directory: a second ingest stops at once instead of corrupting the store."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "ingest.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise IngestLocked(f"Auf {data_dir} läuft bereits ein anderer Ingest (Sperrdatei ingest.lock); "
                           f"bitte später erneut versuchen") from None
    try:
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def accept(paths: list[Path], report: IngestReport, stored: dict[str, StoredDocument] | None = None) -> tuple[list, set[str]]:
    """The files to prepare under `paths`, and the ids of all files seen (readable or not, so that a
    document whose file became unreadable keeps its previous version instead of being deleted).
    Refused files are reported and skipped, and so is a file whose id belongs to a document of
    another source (`stored`: the documents already in the index)."""
    sources, refused = discover(paths)
    for path, reason in refused:
        report.skipped.append((str(path), reason))
        log.warning("skipped %s: %s", path, reason)
    seen, accepted = set(), []
    for source in sources:
        seen.add(source.doc_id)
        owner = (stored or {}).get(source.doc_id)
        if owner and owner.meta.source != source.source and source_exists(owner.meta.source):  # never silently replaced
            reason = (f"Dokument-ID '{source.doc_id}' gehört schon zu einer anderen Quelle ({owner.meta.source}); "
                      f"Datei umbenennen oder ihr in documents.yaml eine andere ID geben")
            report.skipped.append((str(source.path), reason))
            log.warning("skipped %s: %s", source.path, reason)
            continue
        accepted.append(source)
    return accepted, seen


def readable(sources: list, results: list, report: IngestReport) -> list[Prepared]:
    """The prepared documents of `results`; the files that could not be read are reported."""
    prepared = []
    for source, result in zip(sources, results):
        if isinstance(result, str):
            report.skipped.append((str(source.path), result))
            log.warning("skipped %s: %s", source.path, result)
        else:
            prepared.append(result)
    return prepared


def check_unique(doc_ids) -> None:
    duplicates = sorted(i for i, n in Counter(doc_ids).items() if n > 1)
    if duplicates:
        raise DocumentUnreadable(f"zwei Dateien haben die Dokument-ID '{duplicates[0]}'; "
                                 f"einer von beiden in documents.yaml eine andere ID geben")


def prepare(paths: list[Path], options: ChunkingOptions, report: IngestReport, max_bytes: int | None = None,
            areas: PolicyAreas | None = None, limits: ReadingLimits | None = None,
            stored: dict[str, StoredDocument] | None = None, workers: int | None = None) -> tuple[list[Prepared], set[str]]:
    """Step 2 for every file under `paths` at once (see `accept`; an ingest prepares in batches):
    the readable documents and the ids of all files seen."""
    areas = areas or PolicyAreas.load()
    accepted, seen = accept(paths, report, stored)
    prepared = readable(accepted, prepare_files(accepted, options, max_bytes, areas, limits, workers), report)
    check_unique(p.meta.doc_id for p in prepared)
    return prepared, seen


PARALLEL_FROM = 32  # files: fewer are prepared in this process (starting workers costs about a second)


def prepare_file(source, options: ChunkingOptions, max_bytes: int | None, areas: PolicyAreas,
                 limits: ReadingLimits | None) -> Prepared | str:
    """Step 2 for one file: the prepared document, or why it cannot be read."""
    try:
        doc = clean(load_file(source, max_bytes, limits))
        chunks = chunk_document(doc, options)
        if not chunks:
            raise DocumentUnreadable("nach der Bereinigung bleibt kein Text übrig")
    except DocumentUnreadable as exc:
        return str(exc)
    text = doc.text
    mentions = office_mentions(text)
    return Prepared(doc.meta, text, chunks, [p.to_dict() for p in extract_promises(doc, areas, mentions)],
                    rows_of(chunks, {doc.meta.doc_id: doc.meta}), tuple(mentions))


def prepare_files(sources: list, options: ChunkingOptions, max_bytes: int | None, areas: PolicyAreas,
                  limits: ReadingLimits | None, workers: int | None = None) -> list[Prepared | str]:
    """`prepare_file` for each source, in order: in worker processes when there are many files and
    more than one core (reading, cleaning, splitting and finding statements is pure CPU work). Workers
    are forked: they run only this pure-Python step and never touch the database the parent has open
    (a fresh interpreter per worker, as with `spawn`, would re-run the calling script in each). If a
    worker dies (a reader crashing the interpreter), the files are prepared here, as with one core."""
    return [result for _, results in prepared_batches(sources, options, max_bytes, areas, limits, workers)
            for result in results]


BATCH_FILES = 500  # files prepared, written and committed together: an ingest's memory stays bounded
FIRST_BATCH_FILES = 100  # the first batch is smaller: writing starts after a fifth of the wait
AHEAD = 2  # batches handed to the workers beyond the one being written


def prepared_batches(sources: list, options: ChunkingOptions, max_bytes: int | None, areas: PolicyAreas,
                     limits: ReadingLimits | None, workers: int | None = None):
    """(sources, results) per batch of files, in order (see `prepare_files`). With worker processes,
    the next `AHEAD` batches are being prepared while the caller writes this one, so the workers never
    wait for the writer to finish (at most `AHEAD + 1` batches are held)."""
    first = min(FIRST_BATCH_FILES, BATCH_FILES, len(sources))
    cuts = [0, *range(first, len(sources), BATCH_FILES), len(sources)]
    batches = [sources[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    workers = (os.cpu_count() or 1) if workers is None else workers
    work = partial(prepare_file, options=options, max_bytes=max_bytes, areas=areas, limits=limits)
    if workers < 2 or len(sources) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield batch, [work(source) for source in batch]
        return
    load_lemmas()  # the workers inherit it
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending = deque(pool.map(work, batch, chunksize=chunk_size(batch, workers)) for batch in batches[:AHEAD + 1])
        for k, batch in enumerate(batches):
            try:
                results = list(pending.popleft())
            except BrokenProcessPool:
                log.warning("a worker preparing files died; preparing the rest in this process")
                for rest in batches[k:]:
                    yield rest, [work(source) for source in rest]
                return
            if k + AHEAD + 1 < len(batches):
                later = batches[k + AHEAD + 1]
                pending.append(pool.map(work, later, chunksize=chunk_size(later, workers)))
            yield batch, results


def chunk_size(batch: list, workers: int) -> int:
    """Files a worker takes at a time: few enough that the workers finish a batch together."""
    return max(1, min(16, len(batch) // (8 * workers)))


def source_exists(source: str) -> bool:
    """Whether a document's source is still there: an OParl endpoint always, a folder while it exists
    (a moved or deleted folder hands its documents over to the next ingest)."""
    return bool(source) and ("://" in source or Path(source).exists())


def plan(prepared: list[Prepared], stored: dict[str, StoredDocument], store: ChromaStore, rules: str,
         report: IngestReport) -> list[tuple[Prepared, list[str]]]:
    """Step 3: the documents to (re)write, each with the chunk ids already stored for it (looked up in
    bulk; for new documents, what an interrupted ingest left: reused when unchanged, else deleted)."""
    present = store.chunk_ids_of([item.meta.doc_id for item in prepared])
    todo = []
    for item in prepared:
        meta, chunks = item.meta, item.chunks
        old, existing = stored.get(meta.doc_id), present.get(meta.doc_id, [])
        if old is None:
            report.added.append(meta.doc_id)
            todo.append((item, existing))
            continue
        if old.doc_hash == chunks[0].doc_hash and set(existing) == old.chunk_ids \
                and old.chunk_ids == {c.chunk_id for c in chunks} and old.meta == meta and old.promises_rules == rules:
            report.unchanged.append(meta.doc_id)
            continue
        report.updated.append(meta.doc_id)
        todo.append((item, existing))
    return todo


FLUSH_SECONDS = 0.5  # a slow embedder's work is written at least this often (a killed ingest loses less)


def embed_and_store(todo: list[tuple[Prepared, list[str]]], store: ChromaStore, embedder: CountingEmbedding,
                    batch_size: int, bar: tqdm, report: IngestReport, rules: str) -> list[StoredDocument]:
    """Step 4: embed the chunks not stored yet and write them in large batches (across documents),
    then commit the document records, then drop stale chunks. Returns the records written."""
    stored = [frozenset(existing) for _, existing in todo]
    pending = [(item.meta, c) for (item, _), have in zip(todo, stored) for c in item.chunks if c.chunk_id not in have]
    if pending:
        bar.total += len(pending)
        bar.refresh()
    rows: list = []
    vectors: list[np.ndarray] = []
    flushed = time.monotonic()

    def flush() -> None:
        with report.step("write_chunks"):
            if rows:
                store.add_rows(rows, np.concatenate(vectors))
        rows.clear()
        vectors.clear()

    for i in range(0, len(pending), batch_size):
        batch = pending[i:i + batch_size]
        with report.step("embed"):
            vectors.append(embedder.embed_passages([c.embed_text(meta) for meta, c in batch]))
        rows.extend((c, meta) for meta, c in batch)
        report.chunks_embedded += len(batch)
        bar.update(len(batch))
        if len(rows) >= WRITE_BATCH or time.monotonic() - flushed > FLUSH_SECONDS:
            flush()
            flushed = time.monotonic()
    flush()
    with report.step("write_records"):
        return _commit(todo, stored, store, rules)


def _commit(todo: list[tuple[Prepared, list[str]]], stored: list[frozenset[str]], store: ChromaStore,
            rules: str) -> list[StoredDocument]:
    """The document records (written last: they commit their chunks), then the stale chunks deleted."""
    records, reused, stale = [], [], []
    for (item, existing), have in zip(todo, stored):
        meta, chunks = item.meta, item.chunks
        keep = {c.chunk_id for c in chunks}
        records.append(StoredDocument.of(meta, item.text, chunks, item.promises, rules, item.offices))
        reused.extend((c, meta) for c in chunks if c.chunk_id in have)
        stale.extend(cid for cid in existing if cid not in keep)
    store.update_chunk_metadata(reused)
    store.put_documents(records)
    store.delete_chunks(stale)
    return records


def remove_missing(store: ChromaStore, stored: dict[str, StoredDocument], seen: set[str],
                   report: IngestReport, sources: set[str] | None = None) -> None:
    """Step 5: documents of this ingest's sources whose files are gone are removed; documents added
    from another folder or an OParl endpoint are left alone."""
    for doc_id in sorted(set(stored) - seen):
        source = stored[doc_id].meta.source
        if sources is not None and source not in sources and source_exists(source):
            continue
        store.delete_document(doc_id)
        report.removed.append(doc_id)


class LexicalUpdate:
    """Step 6 along the batches: the saved BM25 segments plus one segment per batch of this ingest
    (tokenized when prepared), dead rows for rewritten and removed documents; saved once at the end.
    When the saved files are out of step with the records (another tokenizer, an interrupted save),
    every committed chunk is read back and indexed from scratch at the end instead."""

    def __init__(self, data_dir: Path, stored: dict[str, StoredDocument]) -> None:
        self.folder = data_dir / "bm25"
        committed = set().union(*(d.chunk_ids for d in stored.values())) if stored else set()
        saved = LexicalIndex.load(self.folder)
        usable = bool(saved) and saved[1].get("tokenizer") == TOKENIZER_VERSION and set(saved[0].live_ids) == committed
        self.index = saved[0] if usable else None if committed else LexicalIndex.from_terms([], [])
        self.saved_stamp = saved[1].get("stamp") if usable else None
        self.changed = False

    def add(self, written: list[tuple[Prepared, list[str]]]) -> None:
        """The chunks of documents just committed; rows of their former chunks die."""
        if self.index is None or not written:
            return
        ids, terms, words, gone = [], [], set(), set()
        for item, existing in written:
            rows = item.rows or rows_of(item.chunks, {item.meta.doc_id: item.meta})
            ids += rows[0]
            terms += rows[1]
            words |= rows[2]
            gone.update(existing)
        self.index = self.index.with_changes(gone, ids, terms, words)
        self.changed = True

    def remove(self, chunk_ids: set[str]) -> None:
        if self.index is not None and chunk_ids:
            self.index = self.index.with_changes(chunk_ids, [], [])
            self.changed = True

    def save(self, store: ChromaStore, stamp: str, committed: set[str]) -> int:
        """Write the index for `stamp` and return the number of committed chunks."""
        manifest = {"stamp": stamp, "tokenizer": TOKENIZER_VERSION}
        if self.index is not None and set(self.index.live_ids) == committed:
            if self.changed or self.saved_stamp != stamp:
                self.index.save(self.folder, manifest)
            return len(committed)
        log.info("BM25 files out of step with the index: rebuilding them")
        chunks = committed_chunks(store)
        build_lexical(chunks, store.all_documents(texts=False)).save(self.folder, manifest)
        return len(chunks)


def ingest(paths: list[Path], store: ChromaStore, embedder: CountingEmbedding, data_dir: Path,
           options: ChunkingOptions = ChunkingOptions(), max_bytes: int | None = None, prune: bool = True,
           batch_size: int = 16, progress: bool = True, areas: PolicyAreas | None = None,
           limits: ReadingLimits | None = None, workers: int | None = None) -> IngestReport:
    """Bring the index in line with the documents under `paths` (the steps of the module docstring),
    in batches of files: each is prepared, planned, embedded, written and committed before the next,
    so memory stays bounded and a killed ingest keeps every finished batch."""
    areas = areas or PolicyAreas.load()
    rules = f"{areas.fingerprint}-{offices.fingerprint()}"  # a document found by other rules is found again
    started = time.perf_counter()
    report = IngestReport()
    with write_lock(data_dir), fewer_collections():
        store.chunks(create=True)
        with report.step("read_records"):
            stored = {d.meta.doc_id: d for d in store.all_documents(texts=False)}
            accepted, seen = accept(paths, report, stored)
            check_unique(source.doc_id for source in accepted)
        committed = {doc_id: d.chunk_ids for doc_id, d in stored.items()}
        lexical = LexicalUpdate(data_dir, stored)
        # the total grows batch by batch; shown from the first chunk to embed on (nothing when all is unchanged)
        bar = tqdm(total=0, desc="Einbetten", unit="Abschnitt", disable=not progress, delay=0.1)
        batches = prepared_batches(accepted, options, max_bytes, areas, limits, workers)
        while True:
            with report.step("prepare"):  # the wait for a batch: workers prepare it while the last one is written
                sources, results = next(batches, (None, None))
            if sources is None:
                break
            prepared = readable(sources, results, report)
            with report.step("plan"):
                todo = plan(prepared, stored, store, rules, report)
            for record in embed_and_store(todo, store, embedder, batch_size, bar, report, rules):
                committed[record.meta.doc_id] = record.chunk_ids
            with report.step("bm25"):
                lexical.add(todo)
        bar.close()
        if prune:
            with report.step("remove"):
                remove_missing(store, stored, seen, report, {str(p.resolve()) for p in paths})
            for doc_id in report.removed:
                lexical.remove(set(committed.pop(doc_id, ())))
        stamp = store.bump_version() if report.changed else store.version()
        with report.step("bm25"):
            report.chunks_total = lexical.save(store, stamp, set().union(*committed.values()) if committed else set())
    report.seconds = time.perf_counter() - started
    return report


def committed_chunks(store: ChromaStore) -> list[Chunk]:
    """Chunks listed by their document record (leftovers of an interrupted ingest are ignored)."""
    return sorted(store.committed_chunks(store.all_documents()), key=lambda c: (c.doc_id, c.position))


def build_lexical(chunks: list[Chunk], documents: list[StoredDocument]) -> LexicalIndex:
    return LexicalIndex.of_chunks(chunks, {d.meta.doc_id: d.meta for d in documents})
