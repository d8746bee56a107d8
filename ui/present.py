"""Answers and documents as safe HTML/Markdown for the web app: documents are data, so every
value is escaped (Jinja2 autoescaping for HTML; Markdown syntax in document text neutralised)."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from assistant.types import Answer, Source

NOTICE = ("Die Antworten werden automatisch aus den aufgeführten Dokumenten zusammengestellt. "
          "Bitte prüfen Sie wichtige Angaben anhand der Quellen.")


@lru_cache(maxsize=1)
def templates() -> Environment:
    return Environment(loader=PackageLoader("ui", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def render(name: str, **context) -> str:
    return templates().get_template(name).render(**context)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:<>])")


def plain(text: str) -> str:
    """Document text as Markdown that shows it literally: HTML escaped, every Markdown punctuation
    backslash-escaped, so `![x](http://…)`, `[Formular](http://…)`, `<https://…>` and bare
    `https://…` never become images or links."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer text and its numbered sources, both shown literally; only the
    frame („Quellen“, the notice) is our own Markdown."""
    text = plain(answer.text)
    if answer.notice:
        text += f"\n\n_Hinweis: {plain(answer.notice)}_"
    if answer.sources:  # one compact line per source; the quotes are in the sources panel
        text += "\n\n**Quellen**\n" + "\n".join(f"\n{plain(compact(s))}" for s in answer.sources)
    return text


def compact(source: Source) -> str:
    reference = f", Vorlage {source.reference}" if source.reference else ""
    return f"[{source.n}] {source.title} ({source.date or 'ohne Datum'}{reference}), Abschnitt „{source.section}“"


def citation(source: Source) -> str:
    """A source as a memo quotes it: „…“ (Titel, Herausgeber, Datum, Abschnitt „…“)."""
    parts = [source.title, source.publisher, source.date or "ohne Datum"]
    if source.reference:
        parts.append(f"Vorlage {source.reference}")
    if source.section:
        parts.append(f"Abschnitt „{source.section}“")
    return f"„{source.quote.strip()}“ ({', '.join(p for p in parts if p)})"


def sources_html(sources: list[Source] | tuple[Source, ...]) -> str:
    return render("sources.html", sources=sources, citation=citation)


def document_html(title: str, meta_line: str, text: str, start: int = 0, end: int = 0, ocr: bool = False) -> str:
    """The cleaned document with the cited passage highlighted (`mark#rc-cited`)."""
    if not 0 <= start < end <= len(text):
        start = end = 0
    return render("document.html", title=title, meta_line=meta_line, ocr=ocr, before=text[:start],
                  cited=text[start:end], after=text[end:] if end else text[start:])


def overview_markdown(documents) -> str:
    """The start screen: which documents the app knows, and what it can and cannot answer."""
    dated = sorted(d.meta.date for d in documents if d.meta.date)
    years = sorted({d[:4] for d in dated})
    span = f" ({plain(years[0])} bis {plain(years[-1])})" if len(years) > 1 else f" ({plain(years[0])})" if years else ""
    titles = "\n".join(f"- {plain(d.meta.title)} ({plain(d.meta.date_display() or 'ohne Datum')})" for d in documents[:12])
    more = f"\n- … und {len(documents) - 12} weitere (Reiter „Dokumente“)" if len(documents) > 12 else ""
    return (f"Ich beantworte Fragen zu **{documents_count(len(documents), 'Dokumenten')}**{span} – jede Antwort mit wörtlichen Zitaten "
            f"und Quellen. Fragen zu anderen Themen (Wetter, andere Städte, Allgemeinwissen) beantworte ich nicht.\n\n"
            f"{titles}{more}")


def overview_label(documents) -> str:
    """„Was ich weiß: 5 Dokumente (2023 bis 2025)“ – the start screen's summary line."""
    dated = sorted(d.meta.date[:4] for d in documents if d.meta.date)
    span = f" ({dated[0]} bis {dated[-1]})" if dated and dated[0] != dated[-1] else f" ({dated[0]})" if dated else ""
    return f"Was ich weiß: {documents_count(len(documents))}{span} – hier aufklappen"


def documents_count(n: int, plural: str = "Dokumente") -> str:
    """„1 Dokument“, „5 Dokumente“ (dative: „5 Dokumenten“)."""
    return "1 Dokument" if n == 1 else f"{n} {plural}"
