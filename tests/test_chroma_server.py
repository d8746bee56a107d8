"""Chroma server mode: a real `chroma run` on 127.0.0.1, two app processes' worth of indexes on it,
a server restart in between, and a clear error while it is down."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import load_settings
from assistant.wiring import build_assistant, build_embedder, build_search_index, run_ingest
from bench.chroma_server import ChromaServer
from index.errors import IndexUnavailable
from tests.conftest import CORPUS

pytestmark = [pytest.mark.server, pytest.mark.model]
QUESTION = "Wie viele Mitarbeitende des KOD sind täglich im Einsatz?"


@pytest.fixture
def server(tmp_path):
    srv = ChromaServer(tmp_path / "chroma-server")
    srv.start()
    yield srv
    if srv.process.poll() is None:
        srv.stop()


def settings_for(server: ChromaServer, data_dir: Path):
    return load_settings(data_dir=data_dir, corpus_dir=CORPUS, chroma={"host": "127.0.0.1", "port": server.port})


def test_ingest_answer_restart_answer(server, tmp_path):
    writer = settings_for(server, tmp_path / "writer")
    embedder = build_embedder(writer)
    report = run_ingest(writer, embedder=embedder, progress=False)
    assert len(report.added) == 5 and report.chunks_embedded > 0
    first = build_assistant(writer, build_search_index(writer, embedder))
    assert "45" in first.ask(QUESTION).text

    # a second app process (its own data dir: no BM25 file) sees the same corpus, derived from Chroma
    reader_settings = settings_for(server, tmp_path / "reader")
    second = build_assistant(reader_settings, build_search_index(reader_settings, embedder))
    assert set(second.index.documents) == set(first.index.documents)
    assert len(second.index.chunks) == len(first.index.chunks) and len(second.index.promises) == len(first.index.promises)
    assert second.ask(QUESTION).text == first.ask(QUESTION).text

    server.stop()
    first.index.refresh_seconds = 0
    with pytest.raises(IndexUnavailable):
        first.ask(QUESTION)
    server.start()
    answer = first.ask(QUESTION)
    assert "45" in answer.text and answer.sources[0].doc_id == "kod-sondereinsatz"
    assert run_ingest(writer, embedder=embedder, progress=False).unchanged  # nothing lost, nothing to redo
