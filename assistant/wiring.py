"""The one place where settings become components: embedder, store, ingest, index, glossary,
query analyzer, promise answerer, LLM and the assistant that holds them."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import Settings
from index.embedding import CountingEmbedding, build_embedding
from index.ingest import IngestReport, ingest
from index.promises import PolicyAreas
from index.retrieve import SearchIndex
from index.store import ChromaStore


def build_embedder(settings: Settings) -> CountingEmbedding:
    e = settings.embedding
    return build_embedding(e.mode, e.model, e.device, e.query_prefix, e.passage_prefix)


def build_store(settings: Settings, embedder: CountingEmbedding, create: bool = False) -> ChromaStore:
    """The Chroma store; read-only callers (`create=False`) never create the data folder."""
    c = settings.chroma
    return ChromaStore.open(settings.data_dir, c.collection, embedder.model_id, c.host, c.port, create=create)


def run_ingest(settings: Settings, paths: list[Path] | None = None, embedder: CountingEmbedding | None = None,
               prune: bool = True, rebuild: bool = False, progress: bool = True) -> IngestReport:
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder, create=True)
    if rebuild:
        store.drop()
    return ingest(paths or [settings.corpus_dir], store, embedder, settings.data_dir, settings.chunking,
                  max_bytes=settings.max_bytes, prune=prune, batch_size=settings.embedding.batch_size,
                  progress=progress, areas=PolicyAreas.load(settings.policy_areas_file), limits=settings.limits)


def build_search_index(settings: Settings, embedder: CountingEmbedding | None = None) -> SearchIndex:
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    store.chunks()  # raises IndexMissing / IndexOutOfDate with a clear message
    return SearchIndex(store, embedder, settings.data_dir, settings.retrieval)


def build_assistant(settings: Settings, index: SearchIndex | None = None, llm=None):
    """Index, glossary, query analyzer, promise answerer and (if configured) the LLM, wired into one
    `Assistant`. `llm` replaces the configured one (tests pass an LLM built for a fake server)."""
    from assistant.answer import Assistant
    from assistant.llm import build_llm
    from assistant.promise_list import PromiseAnswerer
    from assistant.promise_status import StatusAnswerer
    from assistant.query import Glossary, QueryAnalyzer

    index = index or build_search_index(settings)
    glossary = Glossary.load()
    analyzer = QueryAnalyzer(index, glossary, settings.retrieval)
    promises = PromiseAnswerer(index, PolicyAreas.load(settings.policy_areas_file),
                               frozenset(glossary.question_words), glossary.is_injection)
    return Assistant(index, analyzer, promises, settings.answer, settings.retrieval,
                     llm=llm if llm is not None else build_llm(settings.llm),
                     status=StatusAnswerer(index, frozenset(glossary.question_words)))
