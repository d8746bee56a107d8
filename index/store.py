"""Chroma, embedded (`PersistentClient`) or a server (`HttpClient`): chunks and documents.

Three collections: `<name>` holds the chunks' embeddings with the three keys dense search filters
on (document, type, publisher); `<name>-documents` holds one record per document (metadata, content
hash, statements of intent, offices named with a person, and its chunks as spans of its text); `<name>-texts` holds each
document's cleaned text (a chunk's text is a slice of it, so it is stored once; kept apart so that an
ingest's plan reads the records without every text). A document record is written last, after its
chunks and text, and lists the chunk ids it commits; chunks not listed (leftovers of an interrupted
ingest) are ignored. The chunk collection's metadata records the embedding model and a version stamp
that changes whenever the index changes. Texts are metadata values: Chroma would build a trigram
full-text index of its "documents", which we never query (4× the write time, measured). The texts
and a record's large fields (chunk spans, statements, offices: its "payload") are stored compressed
(`pack_text`, `pack_payload`). Stores written before (texts as the records' "documents" or
uncompressed, a record's large fields as values of their own, chunk texts and fields in the chunk
collection) are still read.

We talk to chromadb directly rather than through llama-index's `ChromaVectorStore`: that adapter
stores a JSON copy of every node in the metadata and owns the `doc_id` key we need for filters.
"""

from __future__ import annotations

import base64
import json
import time
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
import uuid
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import chromadb
import httpx
import numpy as np
from chromadb.errors import NotFoundError

from index.errors import ConfigError, IndexMissing, IndexOutOfDate, IndexUnavailable
from index.model import Chunk, DocumentMeta
from index.offices import Mention

BATCH = 256
PAGE = 500  # document records per read
WRITE_BATCH = 4096  # chunks per write in a bulk ingest (capped by Chroma's maximum batch)
MISSING = "Es gibt noch keinen Index. Bitte zuerst `rathaus ingest` ausführen."


class Spans(Sequence):
    """Each chunk's (start, end, section, path, comment) in a document record, held compactly: the
    offsets in one integer array; the record's distinct section names compressed together, each
    chunk's two names as their numbers there (made strings again when asked for, the last records'
    kept). A tuple of five objects per chunk took about 380 bytes; the names as strings, each once
    per record, still took about 330 MB at a million chunks, compressed a tenth of that."""

    __slots__ = ("offsets", "numbers", "packed_names", "comments")

    def __init__(self, rows) -> None:
        rows = list(rows)
        numbers: dict[str, int] = {}
        self.offsets = array("i", [x for a, b, *_ in rows for x in (int(a), int(b))])
        self.numbers = array("I", [numbers.setdefault(name, len(numbers)) for r in rows for name in (r[2], r[3])])
        self.packed_names = zlib.compress(json.dumps(list(numbers), ensure_ascii=False).encode("utf-8"), 1) \
            if numbers else b""
        self.comments = bytes(bool(r[4]) for r in rows)

    @property
    def names(self) -> tuple[str, ...]:
        """The distinct section names, in the order of their numbers."""
        return unpack_names(self.packed_names) if self.packed_names else ()

    def number(self, name: str) -> int | None:
        """The number of a section name of these spans (None when none of them has it)."""
        return names_index(self.packed_names).get(name) if self.packed_names else None

    def __len__(self) -> int:
        return len(self.comments)

    def __getitem__(self, i: int) -> tuple[int, int, str, str, bool]:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        names = self.names
        return (self.offsets[2 * i], self.offsets[2 * i + 1], names[self.numbers[2 * i]], names[self.numbers[2 * i + 1]],
                bool(self.comments[i]))

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Spans({list(self)!r})"


@lru_cache(maxsize=256)
def unpack_names(body: bytes) -> tuple[str, ...]:
    """Section names packed by `Spans` (the last ones asked for are kept unpacked)."""
    return tuple(json.loads(zlib.decompress(body)))


@lru_cache(maxsize=256)
def names_index(body: bytes) -> dict[str, int]:
    return {name: i for i, name in enumerate(unpack_names(body))}


@lru_cache(maxsize=128)
def unpack(body: bytes) -> str:
    """A text packed by `StoredDocument.packed` (the last ones asked for are kept unpacked)."""
    return zlib.decompress(body).decode("utf-8")


@dataclass(frozen=True, slots=True)
class StoredDocument:
    meta: DocumentMeta
    body: str | bytes  # the cleaned text (`text`), or it compressed (`packed`)
    doc_hash: str
    chunk_list: tuple[str, ...] = ()  # the chunk ids in document order …
    promises: tuple[dict, ...] = ()  # statements of intent found at ingest (index.promises.Promise dicts)
    promises_rules: str = ""  # fingerprint of the rules that found them
    seq: int = 0  # when the record was written (ns); readers refresh by reading only newer records
    spans: Sequence[tuple[int, int, str, str, bool]] = ()  # … and each one's (start, end, section, path, comment)
    offices: tuple[Mention, ...] = ()  # offices named with a person (index.offices), found at ingest

    @classmethod
    def of(cls, meta: DocumentMeta, text: str, chunks: list[Chunk], promises=(), rules: str = "",
           offices=()) -> "StoredDocument":
        """The record that commits `chunks` of the document `text`."""
        return cls(meta, text, chunks[0].doc_hash if chunks else "", tuple(c.chunk_id for c in chunks), tuple(promises),
                   rules, spans=Spans((c.start, c.end, c.section, c.section_path, c.is_comment) for c in chunks),
                   offices=tuple(offices))

    @property
    def chunk_ids(self) -> frozenset[str]:
        """The chunk ids as a set (made when asked for: a set per record took a kilobyte)."""
        return frozenset(self.chunk_list)

    @property
    def text(self) -> str:
        """The cleaned text."""
        return self.body if isinstance(self.body, str) else unpack(self.body)

    def packed(self) -> "StoredDocument":
        """The record with its text compressed (a third of the memory; unpacked when read, the last
        few kept unpacked) and without its statements' raw form: as a loaded index holds it."""
        body = zlib.compress(self.body.encode("utf-8"), 1) if isinstance(self.body, str) and self.body else self.body
        return replace(self, body=body, promises=())

    @property
    def has_spans(self) -> bool:
        """Whether its chunks are slices of its text (records written before spans were kept: their
        chunks are read from the chunk collection); needs the record read with its text."""
        return bool(self.spans) and len(self.spans) == len(self.chunk_list) and bool(self.body)

    def stored_chunks(self) -> list[Chunk] | None:
        """The chunks, as slices of the text by their spans; None when the record has no spans (see
        `has_spans`)."""
        if not self.has_spans:
            return None
        text = self.text
        return [Chunk(cid, self.meta.doc_id, i, text[a:b], section, path, a, b, bool(comment), self.doc_hash)
                for i, (cid, (a, b, section, path, comment)) in enumerate(zip(self.chunk_list, self.spans))]


def meta_to_record(meta: DocumentMeta) -> dict:
    return {
        "doc_id": meta.doc_id, "title": meta.title, "publisher": meta.publisher, "date": meta.date,
        "date_precision": meta.date_precision, "doc_type": meta.doc_type, "language": meta.language,
        "cite_as": meta.cite_as, "aliases": "|".join(meta.aliases), "source_file": meta.source_file,
        "speaker": meta.speaker, "actors": json.dumps([[name, list(words)] for name, words in meta.actors], ensure_ascii=False),
        "author": meta.author, "reference": meta.reference, "origins": json.dumps(meta.origins, ensure_ascii=False),
        "ocr": meta.ocr, "source": meta.source,
    }


def record_to_meta(record: dict) -> DocumentMeta:
    return DocumentMeta(
        doc_id=record["doc_id"], title=record.get("title", ""), publisher=record.get("publisher", ""),
        date=record.get("date", ""), date_precision=record.get("date_precision", "exact"),
        doc_type=record.get("doc_type", ""), language=record.get("language", "de"),
        cite_as=record.get("cite_as", ""), aliases=tuple(a for a in record.get("aliases", "").split("|") if a),
        source_file=record.get("source_file", ""), speaker=record.get("speaker", ""),
        actors=tuple((name, tuple(words)) for name, words in json.loads(record.get("actors") or "[]")),
        author=record.get("author", ""), reference=record.get("reference", ""),
        origins=tuple(tuple(o) for o in json.loads(record.get("origins") or "[]")), ocr=bool(record.get("ocr")),
        source=record.get("source", ""),
    )


def chunk_to_record(chunk: Chunk, meta: DocumentMeta) -> dict:
    """What the chunk collection keeps besides the embedding: the keys dense search filters on."""
    return {"doc_id": chunk.doc_id, "doc_type": meta.doc_type, "publisher": meta.publisher}


def record_to_chunk(cid: str, text: str, record: dict) -> Chunk:
    return Chunk(
        chunk_id=cid, doc_id=record["doc_id"], position=int(record["position"]), text=text,
        section=record.get("section", ""), section_path=record.get("section_path", ""),
        start=int(record["start"]), end=int(record["end"]), is_comment=bool(record.get("is_comment")),
        doc_hash=record.get("doc_hash", ""),
    )


def record_to_document(text: str | bytes, record: dict, full: bool = True) -> StoredDocument:
    """A stored record; `full=False` leaves out what needs the text (chunk spans) and the statements.
    `text`: the cleaned text, or it compressed (`pack_text`'s bytes)."""
    chunk_list = tuple(json.loads(record.get("chunk_ids", "[]")))
    if full and "payload" in record:
        fields = json.loads(zlib.decompress(base64.b64decode(record["payload"])))
    else:  # records written before the payload kept these as values of their own
        fields = {key: json.loads(record.get(key) or "[]") for key in PAYLOAD} if full else {}
    spans = Spans(fields["chunk_spans"]) if full else ()
    promises = tuple(fields["promises"]) if full else ()
    offices = tuple(Mention.from_list(row) for row in fields["offices"]) if full else ()
    return StoredDocument(record_to_meta(record), text, record.get("doc_hash", ""), chunk_list, promises,
                          record.get("promises_rules", ""), int(record.get("seq") or 0), spans, offices)


PAYLOAD = ("chunk_spans", "promises", "offices")  # a record's large fields, written as one compressed value


def pack_payload(fields: dict) -> str:
    """The large fields of a record as one value: compressed JSON, in base64 (Chroma keeps strings).
    Every byte of a metadata value is written to Chroma's log, its table and its index of values:
    compressed, the records and texts of 5,979 generated documents took 14 s instead of 27 s of CPU."""
    return pack_text(json.dumps(fields, ensure_ascii=False))


def pack_text(text: str) -> str:
    """A cleaned text as stored: compressed as a loaded index holds it (`StoredDocument.packed`), in base64."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 1)).decode("ascii")


class ChromaStore:
    """Our chunk and document collections in one Chroma database."""

    def __init__(self, client, name: str, model_id: str) -> None:
        self.client = client
        self.name = name
        self.model_id = model_id
        self._chunks = None
        self._docs = None
        self._texts = None

    @classmethod
    def open(cls, data_dir: Path, name: str, model_id: str, host: str = "", port: int = 8000,
             create: bool = False) -> "ChromaStore":
        """Connect to the server, or open the embedded store under `data_dir`; only a writer
        (`create=True`) creates the folder, a reader of a missing index gets `IndexMissing`."""
        settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        if host:
            try:
                client = chromadb.HttpClient(host=host, port=port, settings=settings)
            except (httpx.TransportError, ValueError) as exc:  # chromadb checks the server on connect
                raise IndexUnavailable(f"Der Chroma-Server {host}:{port} ist nicht erreichbar ({exc}); "
                                       f"starten mit: chroma run --path … --port {port}") from None
            return cls(client, name, model_id)
        path = data_dir / "chroma"
        if not create and not path.is_dir():
            raise IndexMissing(MISSING)
        try:
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=settings)
        except (OSError, ValueError) as exc:  # not a folder, not writable, /proc …
            raise ConfigError(f"Der Datenordner '{data_dir}' ist nicht nutzbar ({type(exc).__name__}: {exc}); "
                              f"RATHAUS_DATA_DIR auf einen beschreibbaren Ordner setzen") from None
        return cls(client, name, model_id)

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """Turn a lost connection to a Chroma server into `IndexUnavailable`."""
        try:
            yield
        except httpx.TransportError as exc:
            raise IndexUnavailable(f"the Chroma server is not reachable: {exc}") from None

    # -- collections -------------------------------------------------------------------------
    def _existing(self):
        try:
            return self.client.get_collection(self.name, embedding_function=None)
        except NotFoundError:
            return None

    def chunks(self, create: bool = False):
        """The chunk collection; checks that it was built with our embedding model."""
        if self._chunks is None:
            col = self._existing()
            if col is None:
                if not create:
                    raise IndexMissing(MISSING)
                col = self.client.create_collection(
                    self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embed_model": self.model_id, "version": uuid.uuid4().hex},
                )
            built_with = (col.metadata or {}).get("embed_model")
            if built_with != self.model_id:
                raise IndexOutOfDate(
                    f"Der Index wurde mit dem Einbettungsmodell '{built_with}' gebaut, eingestellt ist "
                    f"'{self.model_id}'. Bitte neu indexieren: `rathaus ingest --rebuild`."
                )
            self._chunks = col
        return self._chunks

    def documents(self, create: bool = False):
        if self._docs is None:
            name = f"{self.name}-documents"
            self._docs = (self.client.get_or_create_collection(name, embedding_function=None) if create
                          else self.client.get_collection(name, embedding_function=None))
        return self._docs

    def texts(self):
        if self._texts is None:
            self._texts = self.client.get_or_create_collection(f"{self.name}-texts", embedding_function=None)
        return self._texts

    def exists(self) -> bool:
        return self._existing() is not None

    def drop(self) -> None:
        for name in (self.name, f"{self.name}-documents", f"{self.name}-texts"):
            try:
                self.client.delete_collection(name)
            except NotFoundError:  # nothing to drop
                pass
        self._chunks = self._docs = self._texts = None

    # -- version stamp -------------------------------------------------------------------------
    def version(self) -> str:
        col = self.client.get_collection(self.name, embedding_function=None)
        return str((col.metadata or {}).get("version", ""))

    def bump_version(self) -> str:
        stamp = uuid.uuid4().hex
        self.chunks().modify(metadata={"embed_model": self.model_id, "version": stamp})
        return stamp

    # -- writes --------------------------------------------------------------------------------
    def add_chunks(self, chunks: list[Chunk], meta: DocumentMeta, embeddings: np.ndarray) -> None:
        self.add_rows([(c, meta) for c in chunks], embeddings)

    def add_rows(self, rows: list[tuple[Chunk, DocumentMeta]], embeddings: np.ndarray) -> None:
        """Write chunks of any documents with their embeddings, in as few calls as Chroma allows."""
        step = max(BATCH, min(WRITE_BATCH, self.client.get_max_batch_size()))
        for i in range(0, len(rows), step):
            part = rows[i:i + step]
            self.chunks(create=True).upsert(  # no text: it is in the document record
                ids=[c.chunk_id for c, _ in part],
                embeddings=np.asarray(embeddings[i:i + step], dtype=np.float32),
                metadatas=[chunk_to_record(c, meta) for c, meta in part],
            )

    def chunk_ids_of(self, doc_ids: list[str]) -> dict[str, list[str]]:
        """The stored chunk ids of several documents (one call per few hundred documents)."""
        found: dict[str, list[str]] = {}
        for i in range(0, len(doc_ids), 500):
            got = self.chunks(create=True).get(where={"doc_id": {"$in": doc_ids[i:i + 500]}}, include=["metadatas"])
            for cid, meta in zip(got["ids"], got["metadatas"]):
                found.setdefault(meta["doc_id"], []).append(cid)
        return found

    def delete_chunks(self, ids: list[str]) -> None:
        for i in range(0, len(ids), BATCH):
            part = ids[i:i + BATCH]
            if part:  # never call delete with an empty id list: Chroma would treat it as "all"
                self.chunks().delete(ids=part)

    def update_chunk_metadata(self, rows: list[tuple[Chunk, DocumentMeta]]) -> None:
        """Refresh the metadata of chunks (of any documents) whose text, and so embedding, is reused."""
        step = max(BATCH, min(WRITE_BATCH, self.client.get_max_batch_size()))
        for i in range(0, len(rows), step):
            part = rows[i:i + step]
            self.chunks().update(ids=[c.chunk_id for c, _ in part], metadatas=[chunk_to_record(c, meta) for c, meta in part])

    def put_document(self, doc: StoredDocument) -> None:
        """Write the document record last: it commits exactly its chunks and its statements of intent."""
        self.put_documents([doc])

    def put_documents(self, docs: list[StoredDocument]) -> None:
        """Several document records in one write (each after its chunks)."""
        for i in range(0, len(docs), BATCH):
            part = docs[i:i + BATCH]
            records = []
            for doc in part:
                chunk_ids = list(doc.chunk_list)
                payload = pack_payload({
                    "chunk_spans": [[a, b, section, path, int(comment)] for a, b, section, path, comment in doc.spans],
                    "promises": list(doc.promises), "offices": [m.to_list() for m in doc.offices]})
                records.append(meta_to_record(doc.meta) | {
                    "doc_hash": doc.doc_hash, "chunk_count": len(chunk_ids), "chunk_ids": json.dumps(chunk_ids),
                    "payload": payload, "promises_rules": doc.promises_rules, "seq": time.time_ns()})
            ids, ones = [d.meta.doc_id for d in part], [[1.0]] * len(part)
            self.texts().upsert(ids=ids, embeddings=ones, metadatas=[{"packed": pack_text(d.text)} for d in part])
            self.documents(create=True).upsert(ids=ids, embeddings=ones, metadatas=records)

    def delete_document(self, doc_id: str) -> None:
        ids = self.chunk_ids(doc_id)
        self.delete_chunks(ids)
        self.documents(create=True).delete(ids=[doc_id])
        self.texts().delete(ids=[doc_id])

    # -- reads ---------------------------------------------------------------------------------
    def chunk_ids(self, doc_id: str) -> list[str]:
        return self.chunks(create=True).get(where={"doc_id": doc_id}, include=[])["ids"]

    def chunks_by_id(self, ids: list[str]) -> list[Chunk]:
        """The stored chunks with these ids (missing ids are left out)."""
        out: list[Chunk] = []
        col = self.chunks()
        for i in range(0, len(ids), 5000):
            got = col.get(ids=ids[i:i + 5000], include=["documents", "metadatas"])
            out.extend(record_to_chunk(c, t, m) for c, t, m in zip(got["ids"], got["documents"], got["metadatas"])
                       if t is not None and "position" in m)
        return out

    def committed_chunks(self, documents: list[StoredDocument]) -> list[Chunk]:
        """The chunks `documents` (read with their texts) commit, in document order: sliced from the
        texts by their spans; for records without spans, read from the chunk collection."""
        out: list[Chunk] = []
        for doc in documents:
            out.extend(doc.stored_chunks() or ())
        return out + self.older_chunks(documents)

    def older_chunks(self, documents: list[StoredDocument]) -> list[Chunk]:
        """The chunks of those `documents` whose records have no spans (written before spans were
        kept), read with their own text from the chunk collection, in document order."""
        older = [d for d in documents if not d.has_spans]
        read = self.chunks_by_id([cid for d in older for cid in d.chunk_ids]) if older else []
        return sorted(read, key=lambda c: (c.doc_id, c.position))

    def all_documents(self, texts: bool = True, each=None) -> list:
        """Every document record; `texts=False` leaves the cleaned texts, chunk spans and statements out
        (an ingest's plan needs hashes, metadata and chunk ids only). `each`: see `_documents`."""
        return self._documents(texts=texts, each=each)

    def documents_since(self, seq: int, each=None) -> list:
        """The document records written after `seq` (a reader's last refresh)."""
        return self._documents({"seq": {"$gt": seq}}, each=each)

    def document_count(self) -> int:
        try:
            return self.documents().count()
        except NotFoundError:
            return 0

    def document_ids(self) -> list[str]:
        try:
            return self.documents().get(include=[])["ids"]
        except NotFoundError:
            return []

    def _documents(self, where: dict | None = None, texts: bool = True, each=None) -> list:
        """The records (of `where`), read a page at a time: a large archive's load never holds all
        raw records and texts at once beside what is made of them. `each`: what to keep of a record,
        made page by page (a loaded index keeps the packed record: were all raw records held until the
        end, their freed parts would leave the memory of what is kept in holes, 2 GB at a million chunks)."""
        try:
            ids = self.documents().get(where=where, include=[])["ids"]
        except NotFoundError:
            return []
        out: list[StoredDocument] = []
        for start in range(0, len(ids), PAGE):
            got = self.documents().get(ids=ids[start:start + PAGE], include=["documents", "metadatas"] if texts else ["metadatas"])
            if not texts:
                page = [record_to_document("", record, full=False) for record in got["metadatas"]]
            else:
                stored = self.texts_of(got["ids"])
                # records written before the texts collection: the text in the record's "document"
                page = [record_to_document(stored.get(i) or document or "", record)
                        for i, document, record in zip(got["ids"], got["documents"], got["metadatas"])]
            out.extend(map(each, page) if each else page)
        return out

    def texts_of(self, doc_ids: list[str]) -> dict[str, str | bytes]:
        """The cleaned texts of these documents: compressed (`pack_text`, as bytes that
        `StoredDocument.text` unpacks) or, written before texts were compressed, as they are."""
        out: dict[str, str | bytes] = {}
        for i in range(0, len(doc_ids), 1000):
            got = self.texts().get(ids=doc_ids[i:i + 1000], include=["metadatas"])
            out.update((doc_id, base64.b64decode(m["packed"]) if "packed" in m else m["text"])
                       for doc_id, m in zip(got["ids"], got["metadatas"]))
        return out

    def query(self, embedding: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity)."""
        col = self.chunks()
        if k <= 0:
            return []
        # Chroma returns fewer than `n_results` when the collection is smaller (no count() call per query)
        got = col.query(query_embeddings=[np.asarray(embedding, dtype=np.float32)], n_results=k,
                        where=where or None, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0])]
