"""The real Gradio app, launched on a free local port, driven through `gradio_client`."""

from __future__ import annotations

import json
import socket

import pytest

pytestmark = [pytest.mark.server, pytest.mark.model]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(real_index, real_settings):
    import app as webapp
    from assistant.wiring import build_assistant

    blocks = webapp.build_app(build_assistant(real_settings, real_index), real_settings)
    port = free_port()
    running = webapp.launch(blocks, real_settings, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    running.close()
    blocks.close()


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def test_readme_api_example_works_verbatim(app_url):
    from gradio_client import Client

    result = Client(app_url, verbose=False).predict("Wo wurde Kalouti geboren?", api_name="/ask")
    assert "Beirut" in result[0] and result[1]["sources"][0]["quote"]
    api = Client(app_url, verbose=False).view_api(return_format="dict")["named_endpoints"]["/ask"]["parameters"]
    assert [p["parameter_name"] for p in api] == ["question", "history"] and api[1]["parameter_has_default"]
    text, _ = Client(app_url, verbose=False).predict("Wo ist er geboren?", ["Wer ist Kalouti?"], api_name="/ask")
    assert "Beirut" in text


def test_question_returns_answer_with_sources(client):
    text, payload = client.predict("Wie viele Mitarbeitende des KOD sind täglich im Einsatz?", "[]", api_name="/ask")
    data = payload
    assert "45" in text and not data["refused"]
    assert data["sources"] and data["sources"][0]["doc_id"] == "kod-sondereinsatz"


def test_unanswerable_question_is_refused(client):
    text, payload = client.predict("Wie hoch ist die Hundesteuer in Dortmund?", "[]", api_name="/ask")
    assert payload["refused"] and "keine Angaben" in text


def test_follow_up_uses_history(client):
    text, _ = client.predict("Wo ist er geboren?", json.dumps(["Was hat der neue OB versprochen?"]), api_name="/ask")
    assert "Beirut" in text


def test_friendly_messages_for_empty_and_overlong_input(client):
    text, payload = client.predict("   ", "[]", api_name="/ask")
    assert text == "Bitte geben Sie eine Frage ein." and payload["refused"]
    text, _ = client.predict("Frage " * 500, "[]", api_name="/ask")
    assert "zu lang" in text


def test_only_the_ask_endpoint_is_public(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask"} and not api["unnamed_endpoints"]


def test_data_directory_is_not_served(app_url, real_settings):
    import httpx

    target = real_settings.data_dir.resolve() / "ingest.lock"
    for path in (f"gradio_api/file={target}", "gradio_api/file=/etc/passwd", "gradio_api/file=../../etc/passwd"):
        response = httpx.get(app_url + path)
        assert response.status_code in (400, 403, 404), path


def test_html_in_the_question_is_escaped(client):
    import html

    from ui.present import answer_markdown
    from assistant.types import Answer

    rendered = answer_markdown(Answer("q", "<script>alert(1)</script> <img src=x onerror=alert(2)>"))
    assert "<script>" not in rendered and "<img" not in rendered and html.escape("<script>") in rendered
    text, _ = client.predict("<script>alert('x')</script> Was sagt der OB?", "[]", api_name="/ask")
    assert "<script>" not in text


def test_document_text_is_rendered_escaped():
    """A document containing markup shows as text in the viewer, with the passage still highlighted."""
    from ui.present import document_html

    text = "Vorher. <script>alert(1)</script> <img src=x onerror=alert(2)> Zitat hier. Nachher."
    start = text.index("Zitat")
    rendered = document_html("T <b>x</b>", "Stadt", text, start, start + len("Zitat hier."))
    assert "<script>" not in rendered and "<img" not in rendered and "<b>x</b>" not in rendered
    assert "&lt;script&gt;" in rendered and '<mark id="rc-cited">Zitat hier.</mark>' in rendered
