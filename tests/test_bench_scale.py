"""`make bench-scale` on a small archive: the real ingest and serving path, and a kept index served again."""

from __future__ import annotations

import logging

from bench.scale import measure

FIGURES = ("build_s", "chunks_per_s_fake_embedder", "answer_p50_ms", "answer_p95_ms", "rss_mb",
           "refresh_after_one_doc_s", "disk_mb")


def test_a_kept_index_is_served_again_and_finds_each_runs_new_document(tmp_path):
    logging.disable(logging.WARNING)
    try:
        questions = ["Was plant die Stadt für den Radverkehr?", "Wann entscheidet der Rat?"]
        first = measure(600, questions, stock_limit=0, modes=["embedded"], keep=tmp_path)
        second = measure(600, questions, stock_limit=0, modes=["embedded"], keep=tmp_path)
    finally:
        logging.disable(logging.NOTSET)
    for row in (first, second):
        assert all(row[name] is not None for name in FIGURES), row
        assert row["chunks"] >= 300 and row["vectors"] == "text" and "skipped" in row["stock"]
        assert 1 <= row["refresh_stats"]["fetched"] < row["chunks"]  # the new document came by a refresh
    assert "build_reused" not in first and second["build_reused"] is True
    assert second["build_s"] == first["build_s"] and second["documents"] == first["documents"]
    assert (tmp_path / "600" / "data").is_dir()  # kept, not removed
