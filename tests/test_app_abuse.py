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
    "", " \t\n ", "x" * 1_500, "Was\x00 sagt\x07 der\x1b[31m OB?\x7f", "🏛️🚌🌳 Was plant die Stadt? 🤔",
    "ما هي خطط المدينة؟ Was plant die Stadt?", "\u202eWas plant die Stadt?\u202c",
    "'; DROP TABLE chunks; -- Was sagt das Projektpapier?", "1 OR 1=1; SELECT * FROM embeddings",
    "<iframe src=javascript:alert(1)></iframe><b>ÖPNV</b>", "{{7*7}} ${jndi:ldap://x} %s%s%n",
    "Z̷̢̛a̴l̸g̵o̶ text über die H-Bahn", "?" * 500, "OB OB OB OB " * 50,
]


@pytest.mark.parametrize("question", ODD_QUESTIONS, ids=range(len(ODD_QUESTIONS)))
def test_odd_input_gets_an_answer_or_a_friendly_message(client, question):  # noqa: F811
    text, payload = client.predict(question, "[]", api_name="/ask")
    data = payload
    assert text and "Traceback" not in text and "interner Fehler" not in text
    assert data["mode"] in {"extractive", "list", "promises", "message"} or data["refused"]
    assert "<iframe" not in text and "<script" not in text


def test_too_long_question_is_not_echoed(client):  # noqa: F811
    text, payload = client.predict("Frage " + "x" * 1_500, "[]", api_name="/ask")
    assert "zu lang" in text and "x" * 100 not in text and "x" * 100 not in json.dumps(payload)


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
    """With the queue full, extra questions get "bitte später erneut versuchen" at once, not a hang.

    Bug (stop 24's CI): questions arriving together all passed the check before any was queued, so more
    were let in than the queue holds and Gradio's own limit answered the rest in English."""
    from gradio_client import Client

    import app as webapp
    from assistant.settings import load_settings
    from assistant.wiring import build_assistant

    settings = load_settings(data_dir=real_settings.data_dir, corpus_dir=real_settings.corpus_dir,
                             app={"max_queue_size": 2, "concurrency_limit": 1})

    assistant = build_assistant(settings, real_index)
    ask = assistant.ask

    def slow_ask(*args, **kwargs):  # every answer takes four seconds: the queue fills up, all have come before one is done
        time.sleep(4.0)
        return ask(*args, **kwargs)

    assistant.ask = slow_ask
    blocks = webapp.build_app(assistant, settings)
    port = free_port()
    running = webapp.launch(blocks, settings, "127.0.0.1", port, block=False)
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
        running.close()
        blocks.close()
    answers = [r for r in results if r[0] == "answer"]
    busy = [r for r in results if r[0] == "busy"]
    assert len(answers) + len(busy) == 8 and answers and busy
    assert all("Beirut" in text for _, text, _ in answers)
    assert len(answers) <= 1 + 2, "more questions let in than one answered and two waiting"
    assert all("bitte später erneut versuchen" in text.lower() for _, text, _ in busy), busy
    assert max(seconds for *_, seconds in busy) < min(seconds for *_, seconds in answers[-1:]) + 1


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def test_upload_route_is_closed(app_url):  # noqa: F811
    response = httpx.post(app_url + "gradio_api/upload", files={"files": ("x.txt", b"A" * 100_000)})
    assert response.status_code == 403 and "Hochladen" in response.json()["error"]


def test_oversized_requests_get_413_without_echo_and_no_memory_growth(app_url):  # noqa: F811
    chunk = b"geheimnis" * 100_000  # 0.9 MB, sent 20 times: an 18 MB body the client never holds at once

    head, tail = b'{"data": ["', b'", "[]"]}'

    def body():
        yield head
        for _ in range(20):
            yield chunk
        yield tail

    before = rss_mb()
    for n in range(20):
        headers = {"content-type": "application/json"}
        if n % 2:  # half with Content-Length (refused before reading), half chunked (counted while read)
            headers["content-length"] = str(len(head) + 20 * len(chunk) + len(tail))
        try:
            response = httpx.post(app_url + "gradio_api/call/ask", content=body(), headers=headers, timeout=60)
        except httpx.TransportError:
            continue  # the server may close the connection while the client still sends: also a refusal
        assert response.status_code == 413 and "geheimnis" not in response.text
        assert "zu groß" in response.json()["error"]
    assert rss_mb() - before < 50


def test_foreign_origin_post_is_refused(app_url):  # noqa: F811
    response = httpx.post(app_url + "gradio_api/call/ask", json={"data": ["Wo wurde Kalouti geboren?", "[]"]},
                          headers={"origin": "https://boese.example"})
    assert response.status_code == 403
    same = httpx.post(app_url + "gradio_api/call/ask", json={"data": ["Wo wurde Kalouti geboren?", "[]"]},
                      headers={"origin": app_url.rstrip("/")})
    assert same.status_code == 200


def test_pages_carry_a_content_security_policy(app_url):  # noqa: F811
    policy = httpx.get(app_url).headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in policy and "frame-ancestors 'self'" in policy


def test_half_open_connections_are_closed(app_url):  # noqa: F811
    import socket

    from ui.server import HEADER_SECONDS

    url = urllib.parse.urlsplit(app_url)
    sockets = []
    for _ in range(20):
        s = socket.create_connection((url.hostname, url.port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finishes its headers
        s.settimeout(HEADER_SECONDS + 20)
        sockets.append(s)
    for s in sockets:
        assert s.recv(1024) == b""  # the server closed it
        s.close()
    assert httpx.get(app_url).status_code == 200  # and still serves everyone else
