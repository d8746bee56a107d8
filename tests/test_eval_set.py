"""The known-answer set is consistent with the corpus, and the evaluation gate holds."""

from __future__ import annotations

from collections import Counter

import pytest

from eval.dataset import fact_present, load_items
from eval.runner import check_thresholds, run_eval
from index.clean import clean
from index.load import discover, load_file
from tests.conftest import CORPUS

ITEMS = load_items()


@pytest.fixture(scope="module")
def corpus_texts():
    return {d.meta.doc_id: d.text for d in (clean(load_file(p, e)) for p, e in discover([CORPUS]))}


def test_set_has_the_required_shape():
    kinds = Counter(i.kind for i in ITEMS)
    assert len(ITEMS) >= 80 and kinds["unanswerable"] >= 12 and kinds["follow-up"] >= 8
    assert kinds["english"] and kinds["colloquial"] and kinds["list"] and kinds["summary"]
    assert len({i.id for i in ITEMS}) == len(ITEMS)
    assert all(i.history for i in ITEMS if i.kind == "follow-up")


@pytest.mark.parametrize("item", [i for i in ITEMS if i.answerable], ids=lambda i: i.id)
def test_every_expected_fact_occurs_in_an_expected_document(item, corpus_texts):
    assert item.docs and item.facts
    for fact in item.facts:
        assert any(fact_present(fact, corpus_texts[d]) for d in item.docs), f"{item.id}: {fact} not in {item.docs}"


def test_unanswerable_items_expect_nothing():
    assert all(not i.facts and not i.docs for i in ITEMS if not i.answerable)


def test_thresholds_fail_loudly():
    metrics = {"hit_at_1": 0.1, "hit_at_5": 1, "mrr_at_10": 1, "fact_recall": 1, "items_fully_correct": 1,
               "cites_expected_document": 1, "citations_to_unexpected_documents": 0.9, "verbatim_quotes": 1,
               "refusal_recall": 1, "false_refusal_rate": 0}
    failed = check_thresholds(metrics)
    assert any("hit_at_1" in f for f in failed) and any("citations_to_unexpected" in f for f in failed)
    assert "promises_recall was not measured" in failed  # a missing metric fails, it is never skipped


@pytest.mark.model
def test_evaluation_gate(real_index, real_settings, tmp_path):
    """The CI gate: the whole set through the app's `Answer` path meets every threshold."""
    from assistant.wiring import build_assistant
    from eval.report import write_reports

    result = run_eval(build_assistant(real_settings, real_index), progress=False)
    paths = write_reports(result, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    assert "data:image/png;base64," in paths[1].read_text(encoding="utf-8")
    assert result["failed_thresholds"] == [], result["failed_thresholds"]
