"""Input checks shared by the chat and the public `/ask` API, and the `/ask` endpoint itself."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import gradio as gr

from assistant.types import Answer
from index.errors import IndexUnavailable, RathausError
from index.retrieve import Filters
from ui.server import after_response

log = logging.getLogger("rathaus.app")
INTERNAL_ERROR = "Es ist ein interner Fehler aufgetreten. Bitte versuchen Sie es später erneut."
BUSY = "Gerade stellen sehr viele Menschen gleichzeitig Fragen. Bitte später erneut versuchen."
UNAVAILABLE = "Die Dokumentensuche ist gerade nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut."


def parse_history(history, limit: int, keep: int = 10) -> list[str]:
    """The earlier questions: a list of strings, or the same as a JSON text; anything else counts as none."""
    if isinstance(history, str):
        try:
            history = json.loads(history or "[]")
        except (ValueError, RecursionError):
            return []
    if not isinstance(history, list):
        return []
    return [str(h)[:limit] for h in history if isinstance(h, (str, int, float))][-keep:]


def check_question(question: str, limit: int) -> str | None:
    """A friendly German message for input we do not answer, else None."""
    if not question or not question.strip():
        return "Bitte geben Sie eine Frage ein."
    if len(question) > limit:
        return f"Die Frage ist zu lang (höchstens {limit} Zeichen). Bitte kürzen Sie sie."
    return None


def message(question: str | None, text: str) -> Answer:
    """A reply that is not an answer from the documents (input problem or failure); a long question
    is not echoed back (only its beginning)."""
    question = question or ""
    return Answer(question=question if len(question) <= 80 else question[:80] + "…", text=text, refused=True,
                  mode="message")


def answer_parts(assistant, question: str, history: list[str], filters: Filters, limit: int,
                 stream: bool = True) -> Iterator[Answer]:
    """The answer, or its growing parts; bad input and failures become German messages (the edge)."""
    problem = check_question(question, limit)
    if problem:
        yield message(question, problem)
        return
    try:
        if stream:
            yield from assistant.stream(question.strip(), history, filters)
        else:
            yield assistant.ask(question.strip(), history, filters)
    except IndexUnavailable as exc:
        log.error("index unavailable: %s", exc)
        yield message(question, UNAVAILABLE)
    except RathausError as exc:
        log.warning("question failed: %s", exc)
        yield message(question, f"Das hat nicht geklappt: {exc}")
    except Exception:  # the edge: log the detail, show a German message, never a stack trace
        log.exception("internal error while answering %r", question[:200])
        yield message(question, INTERNAL_ERROR)


def waiting(app: gr.Blocks) -> int:
    """Events waiting in the app's queue. Gradio has no public accessor; its queue object supports len()."""
    queue = getattr(app, "_queue", None)
    return len(queue) if queue is not None else 0


def busy_check(app: gr.Blocks, max_queue: int):
    """A validator that runs before an event is queued: a full queue gets a German message at once.

    Gradio runs validators before it puts the event in its queue, so questions arriving together would
    all see room (and Gradio's own, English, limit would answer the rest). A question let in therefore
    counts as waiting until its join request has been answered – by then Gradio holds it in its queue.
    """
    lock = threading.Lock()
    joining = 0

    def joined() -> None:
        nonlocal joining
        with lock:
            joining -= 1

    def not_busy(*inputs):
        nonlocal joining
        with lock:
            ok = waiting(app) + joining < max_queue
            if ok and after_response(joined):
                joining += 1
        return [gr.validate(ok, BUSY)] + [gr.validate(True, "") for _ in inputs[1:]]
    return not_busy


def add_ask_endpoint(assistant, settings, not_busy) -> None:
    """The one public API endpoint, `/ask`: `question` (and optionally `history`, the earlier questions
    as a list or JSON text) → the answer text and the full answer (sources, quotes, dates) as JSON."""
    limit = settings.app.max_question_chars

    def api_ask(question: str, history=None) -> tuple[str, dict]:
        *_, answer = answer_parts(assistant, question, parse_history(history, limit), Filters(), limit, stream=False)
        return answer.text, answer.to_dict()

    api_q = gr.Textbox(visible=False, label="question")
    api_h = gr.JSON(visible=False, label="history", value=[])
    api_text = gr.Textbox(visible=False, label="answer")
    api_json = gr.JSON(visible=False, label="answer_json")
    gr.Button(visible=False).click(api_ask, [api_q, api_h], [api_text, api_json], api_name="ask", validator=not_busy,
                                   api_description="Eine Frage zu den Dokumenten stellen: Antwort und Quellen")
