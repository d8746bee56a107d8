"""The Versprechen-Übersicht: who promised what, filterable, each row opens its source passage.

It keeps no per-session state: the rows are recomputed from the filters (cheap), so thousands of
sessions cost no memory here."""

from __future__ import annotations

import contextlib
import hashlib
import time
from datetime import date
from pathlib import Path

import gradio as gr

from assistant.promise_list import select, to_csv
from index.promises import KINDS

PROMISE_HEADERS = ["Akteur", "Thema", "Art", "Aussage", "Dokument", "Datum", "Stand"]
ALL = "Alle"
PROMISE_SCROLL_JS = ("() => { setTimeout(() => document.querySelector('#rc-p-viewer #rc-cited')"
                     "?.scrollIntoView({block: 'center'}), 300); }")


def stand(promise) -> str:
    """„umgesetzt (07.11.2025: „Daher ist der KOD …“)“, or „offen“."""
    if not promise.evidence:
        return promise.status
    first = promise.evidence[0]
    date = ".".join(reversed(first["date"].split("-")))
    return f"{promise.status} ({date}: „{first['quote']}“)"


def count_text(n: int) -> str:
    return "1 Aussage" if n == 1 else f"{n} Aussagen"


EXPORT_MAX_AGE_SECONDS = 600


def prune_exports(folder: Path, max_age: float = EXPORT_MAX_AGE_SECONDS) -> None:
    """Remove exports older than `max_age` seconds (the browser has fetched them long before)."""
    cutoff = time.time() - max_age
    for path in folder.glob("*/versprechen-*.csv"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                path.parent.rmdir()


def promises_tab(tab: gr.Tab, index, documents, render_document, export_dir: Path) -> None:
    """`export_dir`: where CSV exports are written (under the data directory; old ones are removed)."""
    export_dir.mkdir(parents=True, exist_ok=True)

    def matching(actor, topic, doc_id, kind, text):
        return select(index.promises_with_status(), actor="" if actor == ALL else actor, topic="" if topic == ALL else topic,
                      doc="" if doc_id == ALL else doc_id, kind="" if kind == ALL else kind, text=text or "")

    def rows(found) -> list[list[str]]:
        return [[p.actor, p.topic, p.kind, p.statement, index.meta(p.doc_id).title, index.meta(p.doc_id).date_display(),
                 stand(p)] for p in found]

    def export(found) -> str:
        """The selected rows as CSV (UTF-8 with BOM, so spreadsheet programs keep the umlauts)."""
        content = to_csv(found, lambda d: index.meta(d).title, lambda d: index.meta(d).date_display())
        prune_exports(export_dir)
        digest = hashlib.sha256(content.encode()).hexdigest()[:8]  # one folder per selection, the name a person reads
        path = export_dir / digest / f"versprechen-{date.today().isoformat()}.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8-sig")
        return str(path)

    def refresh(*filters):
        found = matching(*filters)
        return rows(found), count_text(len(found)), export(found)

    def open_row(actor, topic, doc_id, kind, text, evt: gr.SelectData):
        found = matching(actor, topic, doc_id, kind, text)
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if row is None or not 0 <= int(row) < len(found):
            return gr.update()
        p = found[int(row)]
        return render_document(p.doc_id, p.start, p.end)

    gr.Markdown("Absichtserklärungen, Ziele und Forderungen aus den Dokumenten, automatisch erkannt. "
                "Bereits Erreichtes wird nur mit der Art „erreicht“ angezeigt. Eine Zeile anklicken, um die Stelle im Dokument zu sehen.")
    with gr.Row():
        actor = gr.Dropdown([ALL] + sorted(index.promise_actors), value=ALL, label="Akteur", elem_id="rc-p-actor")
        topic = gr.Dropdown([ALL] + sorted({p.topic for p in index.promises}), value=ALL, label="Thema", elem_id="rc-p-topic")
        doc_id = gr.Dropdown([(ALL, ALL)] + [(d.meta.title, d.meta.doc_id) for d in documents], value=ALL, label="Dokument")
        kind = gr.Dropdown([ALL, *KINDS], value=ALL, label="Art")
        text = gr.Textbox(label="Suche im Wortlaut", elem_id="rc-p-search")
    filters = [actor, topic, doc_id, kind, text]
    count = gr.Markdown("", elem_id="rc-p-count")
    # Filled when the tab is opened, not in the page config: Gradio copies the config into every session.
    table = gr.Dataframe([], headers=PROMISE_HEADERS, interactive=False, wrap=True, elem_id="rc-promises")
    download = gr.DownloadButton("Als CSV exportieren", elem_id="rc-p-export")
    source = gr.HTML("", elem_id="rc-p-viewer")
    tab.select(refresh, filters, [table, count, download], api_visibility="private")
    for control in filters:
        control.change(refresh, filters, [table, count, download], api_visibility="private")
    table.select(open_row, filters, source, api_visibility="private").then(None, js=PROMISE_SCROLL_JS)
