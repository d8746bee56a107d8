"""The chunks of a loaded index, held as positions in their document records.

A chunk's text is a slice of its document's cleaned text, and the document record keeps every
chunk's span, section and flags. So the table keeps, per chunk id, only the record and the chunk's
place in it, and makes the `Chunk` when one is asked for: the text exists once in memory (the
document's), which at a million chunks is the difference between about 1.2 GB and nothing. Records
written before spans were kept (their chunks carry their own text, read from the chunk collection)
are held as ready `Chunk`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from index.model import Chunk
from index.store import StoredDocument


def chunk_at(doc: StoredDocument, i: int) -> Chunk:
    """The `i`-th chunk of a record with spans, its text sliced from the record's text."""
    a, b, section, path, comment = doc.spans[i]
    return Chunk(doc.chunk_list[i], doc.meta.doc_id, i, doc.text[a:b], section, path, a, b, bool(comment), doc.doc_hash)


class ChunkTable(Mapping[str, Chunk]):
    """Chunk id → `Chunk`, built on demand from the document records; immutable (`with_documents`
    returns a new table, so a snapshot being served never changes)."""

    def __init__(self, places: dict[str, tuple[StoredDocument, int] | Chunk],
                 by_doc: dict[str, tuple[str, ...]]) -> None:
        self._places = places  # chunk id → (record, index in its spans), or a ready Chunk (older records)
        self._by_doc = by_doc  # document id → its chunk ids in document order

    @classmethod
    def of(cls, documents: Iterable[StoredDocument], loose: Iterable[Chunk] = ()) -> "ChunkTable":
        """The chunks of `documents` (records with spans and text) and `loose` chunks of older records."""
        return cls({}, {}).with_documents(documents, loose)

    def with_documents(self, documents: Iterable[StoredDocument], loose: Iterable[Chunk] = (),
                       removed: Iterable[str] = ()) -> "ChunkTable":
        """A new table: the chunks of `documents` replace those of the same documents, `loose` chunks
        (of older records) are added as they are, the chunks of `removed` documents are dropped."""
        places, by_doc = dict(self._places), dict(self._by_doc)
        loose_by_doc: dict[str, list[Chunk]] = {}
        for chunk in loose:
            loose_by_doc.setdefault(chunk.doc_id, []).append(chunk)
        gone = set(removed) | {d.meta.doc_id for d in documents} | set(loose_by_doc)
        for doc_id in gone:
            for cid in by_doc.pop(doc_id, ()):
                places.pop(cid, None)
        for doc in documents:
            if doc.meta.doc_id in loose_by_doc:
                continue
            by_doc[doc.meta.doc_id] = doc.chunk_list
            places.update((cid, (doc, i)) for i, cid in enumerate(doc.chunk_list))
        for doc_id, chunks in loose_by_doc.items():
            chunks.sort(key=lambda c: c.position)
            by_doc[doc_id] = tuple(c.chunk_id for c in chunks)
            places.update((c.chunk_id, c) for c in chunks)
        return ChunkTable(places, by_doc)

    def __getitem__(self, chunk_id: str) -> Chunk:
        place = self._places[chunk_id]
        return place if isinstance(place, Chunk) else chunk_at(*place)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._places

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    def of_document(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in document order."""
        return [self[cid] for cid in self.ids_of(doc_id)]

    def section(self, chunk: Chunk) -> list[Chunk]:
        """The chunks of `chunk`'s section of its document, in document order."""
        def path(place) -> str:
            return place.section_path if isinstance(place, Chunk) else place[0].spans[place[1]][3]

        return [self[cid] for cid in self.ids_of(chunk.doc_id) if path(self._places[cid]) == chunk.section_path]

    def shared_id(self, chunk_id: str) -> str:
        """The table's own string for `chunk_id` (`chunk_id` itself when the table has no such chunk):
        the BM25 rows hold it too, so that a loaded index keeps each id once."""
        place = self._places.get(chunk_id)
        if place is None:
            return chunk_id
        return place.chunk_id if isinstance(place, Chunk) else place[0].chunk_list[place[1]]

    def ids_of(self, doc_id: str) -> tuple[str, ...]:
        """A document's chunk ids in document order."""
        return self._by_doc.get(doc_id, ())

    def doc_of(self, chunk_id: str) -> str:
        """The document of a chunk ('' when the table has no such chunk), without making the chunk."""
        place = self._places.get(chunk_id)
        if place is None:
            return ""
        return place.doc_id if isinstance(place, Chunk) else place[0].meta.doc_id
