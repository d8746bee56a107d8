"""The index survives faults: SIGKILL during ingest (resumed without re-embedding), a second writer,
readers during an ingest, and a close/reopen of a store with more than 1,000 chunks."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.embedding import FakeEmbedding
from index.errors import IngestLocked
from index.ingest import ingest
from index.store import ChromaStore
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.server
WORKER = ROOT / "tests" / "ingest_worker.py"


def start_worker(data: Path, corpus: Path | str = CORPUS, delay: float = 0.1) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(WORKER), str(data), str(corpus), str(delay)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "started", process.stderr.read()
    return process


def check_consistent(data: Path) -> dict:
    """The invariants after a crash, checked by a fresh process (as after a restart)."""
    out = subprocess.run([sys.executable, str(WORKER), "check", str(data)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["problems"] == [], result["problems"]
    return result


def run_to_end(data: Path, corpus: Path = CORPUS) -> str:
    worker = start_worker(data, corpus, delay=0)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return out.strip()


def uninterrupted_seconds(data: Path) -> float:
    """How long a whole ingest of the corpus takes here, from the worker's "started" to its end."""
    worker = start_worker(data)
    started = time.perf_counter()
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return time.perf_counter() - started


def test_sigkill_during_ingest_loses_nothing_and_resumes(tmp_path):
    """Killed at random points (6 runs), the store opens, every committed chunk is complete and findable;
    the next ingest completes the set, embedding only what was not stored yet. The kills are spread
    over the time a whole ingest takes on this machine (measured first: on a slow one it is several
    seconds, most of it reading the lemma dictionary), from its first tenth to just past its end."""
    rng = random.Random(5)
    whole = uninterrupted_seconds(tmp_path / "probe")
    data = tmp_path / "data"
    killed_at = []
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9, 1.1):
        worker = start_worker(data)
        time.sleep(whole * fraction * rng.uniform(0.85, 1.15))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        state = check_consistent(data)
        killed_at.append((len(state["committed"]), state["stored"]))
    stored_before = killed_at[-1][1]
    summary = run_to_end(data)
    final = check_consistent(data)
    total = len(final["committed"])
    assert final["stored"] == total > 0  # uncommitted leftovers were adopted or removed
    embedded = int(summary.split(" Abschnitte eingebettet")[0].split()[-1])
    assert embedded == total - stored_before, (embedded, stored_before, total, killed_at)  # stored = not redone
    assert " 0 Abschnitte eingebettet" in run_to_end(data)
    assert len({c for c, _ in killed_at}) > 1, f"the kills should land at different points: {killed_at}"


def test_second_writer_stops_at_once_while_readers_keep_answering(tmp_path):
    from index.retrieve import SearchIndex

    data = tmp_path / "data"
    embedder = FakeEmbedding()
    ingest([CORPUS], ChromaStore.open(data, "rathaus", embedder.model_id, create=True), embedder, data, progress=False)
    reader = SearchIndex(ChromaStore.open(data, "rathaus", embedder.model_id), embedder, data, refresh_seconds=0)
    from bench.generate import generate

    more = tmp_path / "more"
    generate(30, more, words=150)  # about 60 chunks: 15 slow batches
    worker = start_worker(data, f"{CORPUS}{os.pathsep}{more}", delay=0.5)
    try:
        time.sleep(0.5)
        env = dict(os.environ, RATHAUS_DATA_DIR=str(data), RATHAUS_EMBEDDING__MODE="fake")
        second = subprocess.run([sys.executable, "-m", "cli", "ingest", str(CORPUS), str(more)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert worker.poll() is None, "the first ingest should still be running"
        assert second.returncode != 0 and "läuft bereits ein anderer Ingest" in second.stdout + second.stderr
        with pytest.raises(IngestLocked):
            ingest([CORPUS, more], ChromaStore.open(data, "rathaus", embedder.model_id, create=True), embedder, data, progress=False)
        answered = 0
        while worker.poll() is None:
            hits = reader.search("45 Mitarbeitende in zwei Schichten, sichtbar in Uniform")
            assert hits and hits[0].chunk.doc_id == "kod-sondereinsatz"
            answered += 1
        assert answered > 0 and worker.returncode == 0, worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
    assert "30 neu" in worker.stdout.read()
    reader.refresh_if_changed(wait=True)  # the reader notices the new documents by the version stamp
    assert len(reader.documents) == 35


REOPEN = """
import json, sys
import numpy as np
from index.store import ChromaStore
store = ChromaStore.open(__import__('pathlib').Path(sys.argv[1]), 'bench', 'fake:64', create=True)
queries = np.load(sys.argv[2])
print(json.dumps({'count': store.chunks().count(), 'results': [store.query(q, 10) for q in queries]}))
"""


def test_restart_with_more_than_1000_chunks_gives_identical_results(tmp_path):
    from bench.synthetic import build_synthetic

    data = tmp_path / "data"
    store = build_synthetic(data, 1200, 64, "fake:64")
    queries = np.random.default_rng(3).standard_normal((20, 64)).astype(np.float32)
    before = {"count": store.chunks().count(), "results": [store.query(q, 10) for q in queries]}
    np.save(tmp_path / "q.npy", queries)
    del store
    out = subprocess.run([sys.executable, "-c", REOPEN, str(data), str(tmp_path / "q.npy")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr
    after = json.loads(out.stdout.strip().splitlines()[-1])
    assert after["count"] == before["count"] == 1200
    assert [[cid for cid, _ in r] for r in after["results"]] == [[cid for cid, _ in r] for r in before["results"]]
    assert np.allclose([[s for _, s in r] for r in after["results"]], [[s for _, s in r] for r in before["results"]],
                       atol=1e-5)
