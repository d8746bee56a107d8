"""Answers and documents as safe HTML/Markdown for the web app (escaped: documents are data)."""

from __future__ import annotations

import html

from assistant.types import Answer, Source

NOTICE = ("Die Antworten werden automatisch aus den aufgeführten Dokumenten zusammengestellt. "
          "Bitte prüfen Sie wichtige Angaben anhand der Quellen.")


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer text (escaped) and its numbered sources."""
    text = html.escape(answer.text)
    if answer.notice:
        text += f"\n\n_Hinweis: {html.escape(answer.notice)}_"
    if answer.sources:
        text += "\n\n**Quellen**\n" + "\n".join(f"\n{html.escape(s.line())}" for s in answer.sources)
    return text


def sources_html(sources: list[Source]) -> str:
    if not sources:
        return "<p class='rc-empty'>Keine Quellen.</p>"
    items = "".join(
        f"<li><b>[{s.n}] {html.escape(s.title)}</b><br><span>{html.escape(s.publisher)}, {html.escape(s.date)}, "
        f"Abschnitt „{html.escape(s.section)}“{' (Leserkommentar)' if s.is_comment else ''}</span>"
        f"<blockquote>{html.escape(s.quote)}</blockquote></li>" for s in sources)
    return f"<ol class='rc-sources'>{items}</ol>"


def document_html(title: str, meta_line: str, text: str, start: int = 0, end: int = 0) -> str:
    """The cleaned document with the cited passage highlighted (`mark#rc-cited`)."""
    if 0 <= start < end <= len(text):
        body = (html.escape(text[:start]) + "<mark id='rc-cited'>" + html.escape(text[start:end]) + "</mark>"
                + html.escape(text[end:]))
    else:
        body = html.escape(text)
    return (f"<div class='rc-doc'><h3>{html.escape(title)}</h3><p><i>{html.escape(meta_line)}</i></p>"
            f"<div style='white-space: pre-wrap; max-height: 520px; overflow-y: auto'>{body}</div></div>")
