"""Hostile or heavy use of the public app: odd input, file paths, foreign origins, a full queue."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import httpx
import pytest

from tests.test_app import app_url, client, free_port  # noqa: F401  (the launched app fixtures)

pytestmark = [pytest.mark.server, pytest.mark.model]

ODD_QUESTIONS = [
    "", " \t\n ", "x" * 100_000, "Was\x00 sagt\x07 der\x1b[31m OB?\x7f", "🏛️🚌🌳 Was plant die Stadt? 🤔",
    "ما هي خطط المدينة؟ Was plant die Stadt?", "\u202eWas plant die Stadt?\u202c",
    "'; DROP TABLE chunks; -- Was sagt das Projektpapier?", "1 OR 1=1; SELECT * FROM embeddings",
    "<iframe src=javascript:alert(1)></iframe><b>ÖPNV</b>", "{{7*7}} ${jndi:ldap://x} %s%s%n",
    "Z̷̢̛a̴l̸g̵o̶ text über die H-Bahn", "?" * 500, "OB OB OB OB " * 50,
]


@pytest.mark.parametrize("question", ODD_QUESTIONS, ids=range(len(ODD_QUESTIONS)))
def test_odd_input_gets_an_answer_or_a_friendly_message(client, question):  # noqa: F811
    text, payload = client.predict(question, "[]", api_name="/ask")
    data = json.loads(payload)
    assert text and "Traceback" not in text and "interner Fehler" not in text
    assert data["mode"] in {"extractive", "list", "promises", "message"} or data["refused"]
    assert "<iframe" not in text and "<script" not in text


def test_bad_history_is_ignored_not_an_error(client):  # noqa: F811
    for history in ("kein json", "{\"a\": 1}", "[1, 2, null]", "[" * 1000):
        text, _ = client.predict("Wo wurde Kalouti geboren?", history, api_name="/ask")
        assert "Beirut" in text


def test_file_access_outside_the_app_is_refused(app_url, real_settings):  # noqa: F811
    data = real_settings.data_dir.resolve()
    chroma = next(data.glob("chroma/*.sqlite3"))
    targets = [str(chroma), str(data / "bm25" / "ids.json"), "/etc/passwd", "/proc/self/environ",
               "../../../../etc/passwd", "..%2F..%2F..%2F..%2Fetc%2Fpasswd", urllib.parse.quote(str(chroma), safe=""),
               urllib.parse.quote("/etc/passwd", safe=""), "%2e%2e/%2e%2e/%2e%2e/etc/passwd", str(data) + "/../" + data.name + "/chroma"]
    for target in targets:
        for prefix in ("gradio_api/file=", "file=", "gradio_api/file/"):
            response = httpx.get(app_url + prefix + target)
            assert response.status_code in (400, 403, 404, 405), (prefix + target, response.status_code)
            assert "root:" not in response.text and "SQLite format" not in response.text


def test_foreign_origin_gets_no_credentialed_cors(app_url):  # noqa: F811
    for method in ("GET", "OPTIONS"):
        response = httpx.request(method, app_url + "gradio_api/info", headers={
            "Origin": "https://boese.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        allowed = response.headers.get("access-control-allow-origin")
        credentials = response.headers.get("access-control-allow-credentials", "").lower() == "true"
        assert not (credentials and allowed in ("https://boese.example", "*")), dict(response.headers)


def test_full_queue_answers_in_german_at_once(real_settings, real_index):
    """With the queue full, extra questions get "bitte später erneut versuchen" at once, not a hang."""
    from gradio_client import Client

    import app as webapp
    from assistant.settings import load_settings
    from assistant.wiring import build_assistant

    settings = load_settings(data_dir=real_settings.data_dir, corpus_dir=real_settings.corpus_dir,
                             app={"max_queue_size": 2, "concurrency_limit": 1})

    assistant = build_assistant(settings, real_index)
    ask = assistant.ask

    def slow_ask(*args, **kwargs):  # every answer takes a second, so the queue fills up
        time.sleep(1.0)
        return ask(*args, **kwargs)

    assistant.ask = slow_ask
    blocks = webapp.build_app(assistant, settings)
    port = free_port()
    webapp.launch(blocks, settings, "127.0.0.1", port, block=False)
    results: list[tuple[str, str, float]] = []

    def user():
        started = time.monotonic()
        try:
            text, _ = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("Wo wurde Kalouti geboren?", "[]",
                                                                                  api_name="/ask")
            results.append(("answer", text, time.monotonic() - started))
        except Exception as exc:  # the client raises the validation message
            results.append(("busy", str(exc), time.monotonic() - started))

    try:
        threads = [threading.Thread(target=user) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a request hung"
    finally:
        blocks.close()
    answers = [r for r in results if r[0] == "answer"]
    busy = [r for r in results if r[0] == "busy"]
    assert len(answers) + len(busy) == 8 and answers and busy
    assert all("Beirut" in text for _, text, _ in answers)
    assert all("bitte später erneut versuchen" in text.lower() for _, text, _ in busy), busy
    assert max(seconds for *_, seconds in busy) < min(seconds for *_, seconds in answers[-1:]) + 1
