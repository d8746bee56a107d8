"""What a user would otherwise pick, on the same questions and the same embedder:
BM25 alone, dense retrieval alone, and the stock llama-index pipeline a newcomer would write."""

from __future__ import annotations

from dataclasses import dataclass

import chromadb

from index.embedding import CountingEmbedding
from index.retrieve import SearchIndex


@dataclass
class Passage:
    doc_id: str
    text: str


class BM25Only:
    name = "BM25 allein"

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def search(self, question: str, k: int = 10) -> list[Passage]:
        return [Passage(self.index.chunks[cid].doc_id, self.index.chunks[cid].text)
                for cid, _ in self.index.lexical.search(question, k)]


class DenseOnly:
    name = "Dense allein"

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def search(self, question: str, k: int = 10) -> list[Passage]:
        vector = self.index.embedder.embed_query(question)
        return [Passage(self.index.chunks[cid].doc_id, self.index.chunks[cid].text)
                for cid, _ in self.index.store.query(vector, k) if cid in self.index.chunks]


class StockLlamaIndex:
    """Default `SentenceSplitter`, `VectorStoreIndex` over Chroma, top-k retriever; raw files in."""

    name = "llama-index Standard"

    def __init__(self, corpus_files: dict[str, str], embedder: CountingEmbedding, client=None) -> None:
        import uuid

        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client = client or chromadb.EphemeralClient(settings=chromadb.Settings(anonymized_telemetry=False))
        collection = client.get_or_create_collection(f"stock-{uuid.uuid4().hex[:8]}", embedding_function=None)
        self.collection = collection
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        documents = [Document(text=text, metadata={"doc": doc_id}) for doc_id, text in corpus_files.items()]
        self.index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embedder,
                                                     transformations=[SentenceSplitter()])
        self.retriever = self.index.as_retriever(similarity_top_k=10)

    def search(self, question: str, k: int = 10) -> list[Passage]:
        nodes = self.retriever.retrieve(question)[:k]
        return [Passage(n.node.metadata["doc"], n.node.get_content()) for n in nodes]
