"""Optional LLM mode against a fake OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import pytest

from assistant.answer import Assistant
from assistant.wiring import build_assistant
from assistant.llm import FALLBACK_NOTICE, build_llm, citation_problems
from assistant.prompts import PLACEHOLDERS, load_prompt, placeholders
from assistant.settings import LLMSettings
from tests.fake_llm import FakeLLM

pytestmark = [pytest.mark.server, pytest.mark.model]


def test_prompt_files_have_the_placeholders_the_code_fills():
    for name, expected in PLACEHOLDERS.items():
        assert placeholders(load_prompt(name)) == expected, name


def test_citation_check():
    assert citation_problems("Satz eins [1]. Satz zwei [2].", 2) == []
    assert citation_problems("Satz eins [3].", 2) == ["unknown source [3]"]
    assert citation_problems("Satz eins [1]. Ein Satz ohne Beleg hier.", 2)


@pytest.fixture(scope="module")
def fake():
    server = FakeLLM()
    yield server
    server.close()


def assistant_with(model: str, fake, real_index, real_settings, timeout: float = 10.0) -> Assistant:
    llm = build_llm(LLMSettings(mode="openai", base_url=fake.url, model=model, timeout=timeout))
    return build_assistant(real_settings, real_index, llm=llm)


def test_well_cited_reply_is_used(fake, real_index, real_settings):
    answer = assistant_with("good", fake, real_index, real_settings).ask("Wo wurde Kalouti geboren?")
    assert answer.mode == "llm" and "Beirut" in answer.text and answer.sources
    assert answer.sources[0].n == 1
    prompt = fake.requests[-1]["messages"][-1]["content"]
    assert prompt.startswith("<quellen>") and "</quellen>" in prompt
    assert fake.requests[-1]["messages"][0]["role"] == "system"


def test_invalid_citations_fall_back_to_the_extractive_answer(fake, real_index, real_settings):
    answer = assistant_with("bad", fake, real_index, real_settings).ask("Wo wurde Kalouti geboren?")
    assert answer.mode == "llm-fallback" and answer.notice == FALLBACK_NOTICE
    assert "Paris" not in answer.text and "Beirut" in answer.text


def test_timeout_falls_back(fake, real_index, real_settings):
    answer = assistant_with("slow", fake, real_index, real_settings, timeout=1.0).ask("Wo wurde Kalouti geboren?")
    assert answer.mode == "llm-fallback" and "Beirut" in answer.text


def test_streaming_reply(fake, real_index, real_settings):
    parts = list(assistant_with("good", fake, real_index, real_settings).stream("Wo wurde Kalouti geboren?"))
    assert len(parts) > 2 and parts[-1].mode == "llm" and "Beirut" in parts[-1].text
    assert fake.requests[-1]["stream"] is True


def test_unanswerable_question_is_refused_without_asking_the_llm(fake, real_index, real_settings):
    before = len(fake.requests)
    answer = assistant_with("good", fake, real_index, real_settings).ask("Wie hoch ist die Hundesteuer in Dortmund?")
    assert answer.refused and len(fake.requests) == before


def test_follow_up_is_condensed_by_the_llm(fake, real_index, real_settings):
    answer = assistant_with("good", fake, real_index, real_settings).ask("Und wo?", ["Wer ist Kalouti?"])
    condense = [r for r in fake.requests if "Formuliere die letzte Frage" in r["messages"][-1]["content"]]
    assert condense and "Wer ist Kalouti?" in condense[-1]["messages"][-1]["content"]
    assert answer.resolved_question == "Wo wurde Alexander Kalouti geboren?" and "Beirut" in answer.text


def test_verdict_parser_accepts_only_the_fixed_format():
    from eval.judge import parse_verdict

    assert parse_verdict("URTEIL: JA") is True
    assert parse_verdict("  URTEIL: NEIN.\n") is False
    for reply in ("JA", "Urteil: vielleicht", "URTEIL: JA\nBegründung: passt", "", "URTEIL: JEIN", "Ich denke URTEIL: JA"):
        assert parse_verdict(reply) is None, reply


@pytest.mark.parametrize("model, expected, errors", [("good", 1.0, 0), ("judge-nein", 0.0, 0), ("judge-garbage", 0.0, 3)])
def test_llm_judge_in_eval_counts_unparseable_verdicts_as_errors(model, expected, errors, fake, real_index, real_settings):
    from eval.dataset import load_items
    from eval.judge import Judge
    from eval.runner import run_eval

    items = [i for i in load_items() if i.kind == "fact"][:3]
    judge = Judge(build_llm(LLMSettings(mode="openai", base_url=fake.url, model=model)).llm)
    result = run_eval(build_assistant(real_settings, real_index), items=items, progress=False, judge=judge)
    metrics = result["metrics"]
    assert metrics["judge_faithful"] == expected and metrics["judge_correct"] == expected
    assert metrics["judge_faithful_errors"] == errors and metrics["judge_correct_errors"] == errors
    if model != "good":
        assert all(any(f.startswith("LLM-Richter") for f in r["failed"]) for r in result["rows"])
    judged = [r for r in fake.requests if "URTEIL: JA" in r["messages"][-1]["content"]]
    assert any("<quellen>" in r["messages"][-1]["content"] for r in judged)
    assert any("Erwartete Fakten" in r["messages"][-1]["content"] for r in judged)


@pytest.mark.parametrize("history", [[], ["Was hat der neue OB versprochen?"]])
def test_one_question_retrieves_once_in_llm_mode(fake, real_index, real_settings, history):
    """A turn is worked once: ask and stream with an LLM search the index once per question (no call back)."""
    assistant = assistant_with("good", fake, real_index, real_settings)
    calls = []
    search = real_index.search

    def counting(*args, **kwargs):
        calls.append(args[0] if args else kwargs.get("query"))
        return search(*args, **kwargs)

    real_index.search = counting
    try:
        answer = assistant.ask("Wo wurde Kalouti geboren?", history)
        assert len(calls) == 1 and answer.mode == "llm"
        calls.clear()
        *_, streamed = assistant.stream("Wo wurde Kalouti geboren?", history)
        assert len(calls) == 1 and streamed.mode == "llm" and streamed.ranked_docs
    finally:
        del real_index.search
