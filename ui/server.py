"""The HTTP server in front of the Gradio app: our own uvicorn with limits a public service needs.

- request bodies are limited (a few KB above the longest allowed question): larger ones get 413
  and a German message that does not echo the input;
- the upload route is closed (the app has no upload feature), and POSTs whose `Origin` is another
  host are refused (no form posts from foreign pages);
- every response carries a Content-Security-Policy that allows images only from the app itself,
  so text from a document can never make a visitor's browser fetch another host;
- slow clients are cut off: a connection must send its request headers within `HEADER_SECONDS`,
  idle keep-alive connections close after `KEEP_ALIVE_SECONDS`;
- Gradio's temp files live under the data directory (`tmp/`) and are removed at start;
- pages are served as German (`<html lang="de">`, the browser's language reported as German before
  Gradio starts, so that its own strings are German too) with our stylesheet (contrast, focus) and favicon.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import urlsplit

import gradio as gr
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("rathaus.server")
HEADER_SECONDS = 10.0
KEEP_ALIVE_SECONDS = 5
BODY_MARGIN = 16_384  # JSON framing, history and session fields around the question
CSP = ("default-src 'self'; img-src 'self' data: blob:; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
       "style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; "
       "form-action 'self'; base-uri 'self'; object-src 'none'")
# Gradio's frontend sets the page language from the browser's locale; the content is German whatever it is.
KEEP_GERMAN = ("<script>document.documentElement.lang = 'de'; new MutationObserver(() => { if (document.documentElement.lang !== 'de') "
               "document.documentElement.lang = 'de'; }).observe(document.documentElement, "
               "{attributes: true, attributeFilter: ['lang']});</script>")
# Labels Gradio writes in English whatever the locale (screen readers read them): German ones instead,
# messages' labels without Markdown escapes.
GRADIO_LABELS = {
    "More tabs": "Weitere Reiter", "chatbot conversation": "Unterhaltung", "Copy message": "Nachricht kopieren",
    "Table actions": "Tabellenaktionen", "Copy table data": "Tabelle kopieren", "Fullscreen": "Vollbild",
    "Dataframe": "Tabelle", "Open cell menu": "Zellenmenü öffnen", "File upload": "Datei hochladen",
    "Gradio footer navigation": "Fußzeile", "Stop Recording": "Aufnahme beenden",
}
MESSAGE_LABELS = {"user's message: ": "Ihre Frage: ", "bot's message: ": "Antwort: "}
GRADIO_NOTICES = {  # notices (toasts) Gradio shows in English
    "Connection to the server was lost. Attempting reconnection...":
        "Die Verbindung zum Server ist unterbrochen. Neuer Verbindungsversuch …",
    "Connection errored out.": "Die Verbindung ist fehlgeschlagen.",
}
GERMAN_LABELS = (
    "<script>(() => { const labels = " + json.dumps(GRADIO_LABELS, ensure_ascii=False) + "; const prefixes = "
    + json.dumps(MESSAGE_LABELS, ensure_ascii=False) + "; const notices = " + json.dumps(GRADIO_NOTICES, ensure_ascii=False) + "; "
    "const fix = (el) => { for (const name of ['aria-label', 'title', 'alt']) { const value = el.getAttribute && el.getAttribute(name); "
    "if (!value) continue; if (labels[value] && labels[value] !== value) { el.setAttribute(name, labels[value]); continue; } "
    "for (const [english, german] of Object.entries(prefixes)) if (value.startsWith(english)) "
    "el.setAttribute(name, german + value.slice(english.length).replace(/\\\\([\\\\`*_{}\\[\\]()#+.!:|>~-])/g, '$1').replace(/\\*\\*/g, '')); } }; "
    "const notice = (el) => { const text = el.textContent.trim(); if (notices[text]) el.textContent = notices[text]; }; "
    "const all = (root) => { fix(root); if (!root.querySelectorAll) return; root.querySelectorAll('[aria-label],[title],[alt]').forEach(fix); "
    "root.querySelectorAll('.toast-body').forEach(notice); if (root.classList && root.classList.contains('toast-body')) notice(root); }; "
    "new MutationObserver((changes) => { for (const c of changes) { if (c.type === 'attributes') fix(c.target); "
    "else c.addedNodes.forEach(all); } }).observe(document.documentElement, "
    "{subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label', 'title', 'alt']}); })();</script>")
# „Zitat kopieren“: the button's text in German citation form to the clipboard (Clipboard API where the
# page is a secure context, a hidden textarea otherwise, e.g. plain http on a LAN address).
COPY_CITATION = ("<script>document.addEventListener('click', (event) => { const button = event.target.closest('.rc-copy'); "
                 "if (!button) return; const text = button.dataset.cite; const done = () => { button.textContent = 'Kopiert ✓'; "
                 "setTimeout(() => { button.textContent = 'Zitat kopieren'; }, 1500); }; "
                 "if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; } "
                 "const area = document.createElement('textarea'); area.value = text; area.setAttribute('readonly', ''); "
                 "area.style.position = 'fixed'; area.style.opacity = '0'; document.body.appendChild(area); area.select(); "
                 "document.execCommand('copy'); area.remove(); done(); });</script>")
# A lost connection: Gradio's own notice is English, and when the server is back Gradio reloads the page,
# so the question would be gone. This keeps the last question (in the tab's sessionStorage) and offers,
# in German, to send it again: at once, and after the reload (sent again until the chat shows it).
RETRY_AFTER_LOST_CONNECTION = (
    "<script>(() => { const box = () => document.querySelector('#rc-question textarea'); "
    "const remember = () => { if (box()) sessionStorage.setItem('rc-last', box().value); }; "
    "document.addEventListener('click', (e) => { if (e.target.closest('#rc-send')) remember(); }, true); "
    "document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && e.target === box()) remember(); }, true); "
    "const show = (question) => { if (document.getElementById('rc-lost') || !question.trim()) return; "
    "sessionStorage.setItem('rc-lost', question); "
    "const note = document.createElement('div'); note.id = 'rc-lost'; note.setAttribute('role', 'alert'); "
    "const text = document.createElement('p'); "
    "text.textContent = 'Die Verbindung zum Server war unterbrochen. Ihre Frage ist nicht verloren: „' + question + '“'; "
    "const button = document.createElement('button'); button.type = 'button'; button.textContent = 'Erneut versuchen'; "
    "const asked = () => (document.querySelector('#rc-chat')?.textContent || '').includes(question); "
    "const send = (tries) => { const area = box(); if (asked() || !area || tries > 20) { if (asked()) { "
    "sessionStorage.removeItem('rc-lost'); note.remove(); } return; } area.value = question; "
    "area.dispatchEvent(new Event('input', {bubbles: true})); setTimeout(() => { if (!asked()) "
    "document.querySelector('#rc-send').click(); setTimeout(() => send(tries + 1), 1000); }, 150); }; "
    "button.addEventListener('click', () => { button.disabled = true; button.textContent = 'Wird gesendet …'; send(0); }); "
    "note.append(text, button); document.body.append(note); }; "
    "new MutationObserver(() => { if (/Connection to the server was lost|Connection errored|Verbindung zum Server ist unterbrochen|Verbindung ist fehlgeschlagen/.test("
    "[...document.querySelectorAll('.toast-body')].map((t) => t.textContent).join(' '))) show(sessionStorage.getItem('rc-last') || ''); })"
    ".observe(document.documentElement, {childList: true, subtree: true}); "
    "const pending = sessionStorage.getItem('rc-lost'); "
    "if (pending) { const wait = setInterval(() => { if (box()) { clearInterval(wait); show(pending); } }, 200); } "
    "})();</script>")
HTML_LANG = re.compile(rb'(<html\s+lang=")en(")')
HTML_HEAD = re.compile(rb"<head>")
# Gradio's own strings (footer, buttons, notices) follow the browser's language, read once when its
# bundle starts; this runs first in <head> so that they are German whatever the browser's language is.
GERMAN_LOCALE = (b"<script>(() => { for (const [name, value] of [['language', 'de-DE'], ['languages', ['de-DE', 'de']]]) "
                 b"Object.defineProperty(Navigator.prototype, name, {get: () => value, configurable: true}); })();</script>")
TOO_LARGE = "Die Anfrage ist zu groß. Bitte eine kürzere Frage stellen."
# Callbacks to run once the current request has been answered (see `after_response`).
_AFTER_RESPONSE: ContextVar[list[Callable[[], None]] | None] = ContextVar("rathaus_after_response", default=None)
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer")]


def temp_dir(data_dir: Path) -> Path:
    """Gradio's temp folder under the data directory, emptied (files of earlier runs are not kept)."""
    folder = data_dir / "tmp"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder / "gradio")
    return folder


def blocked(data_dir: Path) -> list[str]:
    """Everything in the data directory except Gradio's own temp files (downloads are served from there)."""
    return [str(p.resolve()) for p in data_dir.iterdir() if p.name != "tmp"] if data_dir.is_dir() else []


def after_response(callback: Callable[[], None]) -> bool:
    """Run `callback` once the HTTP request being handled has been answered (the guard calls it, also
    when the app failed). False outside a request: nothing will call it. Worker threads that Gradio
    runs a function in see the request's context too."""
    callbacks = _AFTER_RESPONSE.get()
    if callbacks is None:
        return False
    callbacks.append(callback)
    return True


class Guard:
    """ASGI middleware: body limit, closed upload route, same-origin POSTs, security headers."""

    def __init__(self, app, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        if path.rstrip("/").endswith("/upload"):
            return await self.refuse(send, 403, "Hochladen ist in dieser Anwendung nicht vorgesehen.")
        if scope.get("method") == "POST" and not same_origin(headers.get("origin"), headers.get("host")):
            return await self.refuse(send, 403, "Anfragen von fremden Seiten werden nicht angenommen.")
        if scope.get("method") == "GET" and path in ("", "/"):  # the page itself uncompressed, so its language can be set
            scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"])
        length = headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > self.max_body):
            return await self.refuse(send, 413, TOO_LARGE)
        received, too_large, replaced = 0, False, False

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    too_large = True
                    raise BodyTooLarge
            return message

        html_page, held, page = False, None, []

        async def with_headers(message):
            nonlocal replaced, html_page, held
            if too_large:  # whatever the app answers to a body it could not read: our 413 instead
                if not replaced:
                    replaced = True
                    await self.refuse(send, 413, TOO_LARGE)
                return
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                html_page = scope.get("method") == "GET" and any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                message["headers"] = headers + SECURITY_HEADERS
                if html_page:  # held until the page is complete: its length changes
                    held = message
                    return
            elif message["type"] == "http.response.body" and html_page:
                page.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = german_page(b"".join(page))
                held["headers"] = [(k, v) for k, v in held["headers"] if k.lower() != b"content-length"] + [
                    (b"content-length", str(len(body)).encode())]
                await send(held)
                message = {"type": "http.response.body", "body": body}
            await send(message)

        callbacks: list[Callable[[], None]] = []
        token = _AFTER_RESPONSE.set(callbacks)
        try:
            await self.app(scope, limited_receive, with_headers)
        except BodyTooLarge:
            pass
        finally:
            _AFTER_RESPONSE.reset(token)
            for callback in callbacks:
                callback()
        if too_large and not replaced:
            await self.refuse(send, 413, TOO_LARGE)

    @staticmethod
    async def refuse(send, status: int, text: str) -> None:
        body = json.dumps({"error": text}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body})


def german_page(body: bytes) -> bytes:
    """A Gradio page declared German, with Gradio's own strings in German."""
    body = HTML_LANG.sub(rb"\1de\2", body, count=1)
    return HTML_HEAD.sub(lambda m: m.group(0) + GERMAN_LOCALE, body, count=1)


class BodyTooLarge(Exception):
    pass


def same_origin(origin: str | None, host: str | None) -> bool:
    """No `Origin` header (not a browser's cross-site request: gradio_client, curl) or one naming this host."""
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == (host or "").lower()


class SlowClientProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for the request headers (against slowloris):
    a connection that has not sent a complete request head within `HEADER_SECONDS` is closed."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(HEADER_SECONDS, self._head_expired)

    def _head_expired(self) -> None:
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing() and self.transport.get_protocol() is self:
            self.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._head_timer.cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._head_timer.cancel()
        self._arm()

    def connection_lost(self, exc) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)


def asgi_app(blocks: gr.Blocks, settings) -> Guard:
    """The Gradio app mounted on our FastAPI app, behind the guard."""
    blocks.state_session_capacity = settings.app.max_sessions
    data_dir = Path(settings.data_dir)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    static = Path(__file__).with_name("static")
    app = gr.mount_gradio_app(app, blocks, path="", allowed_paths=[], blocked_paths=blocked(data_dir),
                              footer_links=["api"], show_error=False, max_file_size=1024,
                              css_paths=[static / "rathaus.css"], favicon_path=str(static / "favicon.svg"),
                              head=KEEP_GERMAN + GERMAN_LABELS + COPY_CITATION + RETRY_AFTER_LOST_CONNECTION)
    return Guard(app, max_body=4 * settings.app.max_question_chars + BODY_MARGIN)


class Server:
    """A running server (`url`, `close()`)."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread | None, url: str) -> None:
        self.server, self.thread, self.url = server, thread, url

    def close(self) -> None:
        self.server.should_exit = True
        if self.thread:
            self.thread.join(timeout=10)


def run(blocks: gr.Blocks, settings, host: str, port: int, block: bool = True) -> Server:
    """Serve until interrupted (`block`), or start in a background thread and return once it listens."""
    config = uvicorn.Config(asgi_app(blocks, settings), host=host, port=port, http=SlowClientProtocol,
                            timeout_keep_alive=KEEP_ALIVE_SECONDS, log_level="warning", ws="none",
                            h11_max_incomplete_event_size=64 * 1024)
    server = uvicorn.Server(config)
    url = f"http://{host}:{port}/"
    if block:
        print(f"Rathaus-Chat läuft auf {url} – im Browser öffnen; beenden mit Strg+C.", flush=True)
        server.run()
        return Server(server, None, url)
    thread = threading.Thread(target=server.run, daemon=True, name="rathaus-http")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start on {url}")
        time.sleep(0.05)
    return Server(server, thread, url)
