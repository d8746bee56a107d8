"""The one place where settings become components."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import Settings
from index.embedding import CountingEmbedding, build_embedding
from index.ingest import ChunkingOptions, IngestReport, ingest
from index.promises import PolicyAreas
from index.retrieve import FusionWeights, SearchIndex
from index.store import ChromaStore


def build_embedder(settings: Settings) -> CountingEmbedding:
    e = settings.embedding
    return build_embedding(e.mode, e.model, e.device, e.query_prefix, e.passage_prefix)


def build_store(settings: Settings, embedder: CountingEmbedding) -> ChromaStore:
    c = settings.chroma
    return ChromaStore.open(settings.data_dir, c.collection, embedder.model_id, c.host, c.port)


def run_ingest(settings: Settings, paths: list[Path] | None = None, embedder: CountingEmbedding | None = None,
               prune: bool = True, rebuild: bool = False, progress: bool = True) -> IngestReport:
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    if rebuild:
        store.drop()
    c = settings.chunking
    return ingest(paths or [settings.corpus_dir], store, embedder, settings.data_dir,
                  ChunkingOptions(c.target_words, c.max_words, c.overlap_sentences),
                  max_bytes=int(settings.max_file_mb * 1e6), prune=prune,
                  batch_size=settings.embedding.batch_size, progress=progress,
                  areas=PolicyAreas.load(settings.policy_areas_file))


def build_search_index(settings: Settings, embedder: CountingEmbedding | None = None) -> SearchIndex:
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    store.chunks()  # raises IndexMissing / IndexOutOfDate with a clear message
    r = settings.retrieval
    weights = FusionWeights(r.dense_k, r.lexical_k, r.rrf_k, r.dense_weight, r.lexical_weight)
    return SearchIndex(store, embedder, settings.data_dir, weights)


def build_assistant(settings: Settings, index: SearchIndex | None = None):
    """Index, glossary and (if configured) the LLM, wired into one `Assistant`."""
    from assistant.answer import Assistant
    from assistant.llm import build_llm

    index = index or build_search_index(settings)
    return Assistant(index, settings, llm=build_llm(settings.llm))
