"""Documents without a manifest entry get their title, date, publisher and type from the file itself
(front matter, HTML metadata, PDF info) or from the text (heading, dateline), and `rathaus docs`
says where each field came from. Metadata blocks never enter the indexed text."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader, PdfWriter

from index.clean import clean
from index.load import discover, load_file
from tests.conftest import make_pdf

FRONT_MATTER = """---
layout: post
title: "Antrag: Mehr Bänke am Marktplatz"
date: 2024-03-12
author: Fraktion Bündnis 90/Die Grünen
---
Der Rat möge beschließen: Am Marktplatz werden zehn neue Bänke aufgestellt.

Begründung: Ältere Menschen brauchen Sitzgelegenheiten.
"""
HTML = """<html><head><title>Stadt Musterhausen – Neues Hallenbad</title>
<meta property="og:site_name" content="Stadt Musterhausen">
<meta name="author" content="Presseamt Musterhausen">
<meta property="article:published_time" content="2025-06-02T10:00:00+02:00">
</head><body><nav>Startseite | Kontakt</nav><article><h1>Neues Hallenbad eröffnet</h1>
<p>Das neue Hallenbad in Musterhausen hat am Montag eröffnet. Es bietet ein 25-Meter-Becken und eine
Sauna für alle Bürgerinnen und Bürger.</p><p>Die Baukosten lagen bei 12 Millionen Euro.</p></article></body></html>
"""
MINUTES = """Niederschrift über die Sitzung des Bauausschusses

Sitzung vom 11.09.2018

TOP 1: Neubau Feuerwehrgerätehaus
Der Ausschuss stimmt dem Neubau einstimmig zu.
"""
PRESS = """Pressemitteilung

Neue Radwege für die Innenstadt

Musterhausen, 3. November 2025 – Die Stadt baut bis 2027 zwölf Kilometer neue Radwege.
"""


def pdf_with_info() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(
        ["Haushaltsrede 2024", "Der Haushalt ist ausgeglichen. Die Kreisumlage steigt."]))))
    writer.add_metadata({"/Title": "Haushaltsrede des Bürgermeisters 2024", "/Author": "Gemeinde Kämpfelbach",
                         "/CreationDate": "D:20240125120000+01'00'"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def folder(tmp_path):
    docs = tmp_path / "neu"
    docs.mkdir()
    (docs / "antrag.md").write_text(FRONT_MATTER, encoding="utf-8")
    (docs / "seite.html").write_text(HTML, encoding="utf-8")
    (docs / "rede.pdf").write_bytes(pdf_with_info())
    (docs / "protokoll.txt").write_text(MINUTES, encoding="utf-8")
    (docs / "presse.txt").write_text(PRESS, encoding="utf-8")
    return docs


def metas(folder):
    sources, refused = discover([folder])
    assert not refused
    return {s.doc_id: clean(load_file(s)) for s in sources}


def test_front_matter_gives_title_date_author_and_never_enters_the_text(folder):
    doc = metas(folder)["antrag"]
    assert doc.meta.title == "Antrag: Mehr Bänke am Marktplatz"
    assert doc.meta.date == "2024-03-12" and doc.meta.publisher == "Fraktion Bündnis 90/Die Grünen"
    assert doc.meta.doc_type == "Antrag"
    assert doc.meta.origin("title") == "file" and doc.meta.origin("date") == "file"
    assert "layout" not in doc.text and "---" not in doc.text and "title:" not in doc.text
    assert doc.text.startswith("Der Rat möge beschließen")


def test_german_front_matter_keys_and_slug_titles(tmp_path):
    """„titel“, „gueltig_ab“, „gemeinde“ as council sites write them; a file name as title
    („Post_413“) gives way to the first heading; a kind word deep in the text names another document."""
    docs = tmp_path / "regeln"
    docs.mkdir()
    (docs / "go.md").write_text("---\ntitel: Geschäftsordnung des Gemeinderats\ngemeinde: Musterdorf\n"
                                "gueltig_ab: 2018-04-12\n---\n\n# Geschäftsordnung\n\n§ 1 Der Gemeinderat tagt monatlich.\n",
                                encoding="utf-8")
    (docs / "post.md").write_text("---\nlayout: default\ntitle: Post_413\n---\n\n# Neues vom Haushaltsrechner\n\n"
                                  + "Der Rechner bleibt aus. " * 30 + "\n\nQuelle: Protokoll des Forums.\n", encoding="utf-8")
    found = metas(docs)
    go, post = found["go"].meta, found["post"].meta
    assert (go.title, go.date, go.publisher, go.doc_type) == ("Geschäftsordnung des Gemeinderats", "2018-04-12",
                                                             "Gemeinde Musterdorf", "Geschäftsordnung")
    assert post.title == "Neues vom Haushaltsrechner" and post.doc_type == "Dokument"


def test_the_signer_of_a_speech_is_its_author(tmp_path):
    from assistant.compose import lead_in

    docs = tmp_path / "reden"
    docs.mkdir()
    (docs / "rede.md").write_text("# Haushaltsrede 2024\n\nWir stimmen dem Haushalt nicht zu.\n\nVielen Dank.\n\n"
                                  "Erika Beispiel<br>\nFraktionssprecherin der Liste Bürger für Musterdorf\n", encoding="utf-8")
    meta = metas(docs)["rede"].meta
    assert meta.author == "Erika Beispiel" and meta.publisher == "Liste Bürger für Musterdorf"
    assert lead_in(meta, False) == "In „Haushaltsrede 2024“ (Erika Beispiel, Liste Bürger für Musterdorf) heißt es:"


def test_html_metadata_gives_title_date_and_site(folder):
    doc = metas(folder)["seite"]
    assert doc.meta.title == "Neues Hallenbad eröffnet" and doc.meta.date == "2025-06-02"
    assert doc.meta.publisher == "Stadt Musterhausen" and doc.meta.origin("date") == "file"
    assert "Startseite" not in doc.text and "og:site_name" not in doc.text


def test_pdf_info_dictionary_gives_title_date_and_author(folder):
    doc = metas(folder)["rede"]
    assert doc.meta.title == "Haushaltsrede des Bürgermeisters 2024"
    assert doc.meta.date == "2024-01-25" and doc.meta.publisher == "Gemeinde Kämpfelbach"
    assert doc.meta.doc_type == "Haushaltsrede"


@pytest.mark.parametrize("doc_id,title,date,doc_type", [
    ("protokoll", "Niederschrift über die Sitzung des Bauausschusses", "2018-09-11", "Niederschrift"),
    ("presse", "Neue Radwege für die Innenstadt", "2025-11-03", "Pressemitteilung"),
])
def test_plain_text_gives_heading_dateline_and_type(folder, doc_id, title, date, doc_type):
    meta = metas(folder)[doc_id].meta
    assert (meta.title, meta.date, meta.doc_type) == (title, date, doc_type)
    assert meta.origin("title") == "inferred" and meta.origin("date") == "inferred"


def test_manifest_wins_over_the_file(folder):
    (folder / "documents.yaml").write_text(
        "documents:\n  - id: antrag\n    file: antrag.md\n    title: Bänke-Antrag\n    date: 2024-04-01\n",
        encoding="utf-8")
    meta = metas(folder)["antrag"].meta
    assert (meta.title, meta.date) == ("Bänke-Antrag", "2024-04-01")
    assert meta.origin("title") == "manifest" and meta.origin("publisher") == "file"


def test_rathaus_docs_shows_real_titles_dates_and_origins(folder, tmp_path, monkeypatch, capsys):
    from cli import main

    monkeypatch.setenv("RATHAUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RATHAUS_EMBEDDING__MODE", "fake")
    assert main(["ingest", str(folder)]) == 0
    capsys.readouterr()
    assert main(["docs"]) == 0
    table = capsys.readouterr().out
    for shown in ("Antrag: Mehr Bänke am Marktplatz", "12.03.2024", "Neues Hallenbad eröffnet", "02.06.2025",
                  "Haushaltsrede des Bürgermeisters 2024", "25.01.2024"):
        assert shown in table
    assert all("unbekannt" not in line for line in table.splitlines() if line.startswith(("antrag", "seite", "rede")))
    assert main(["docs", "--json"]) == 0
    docs = {d["doc_id"]: d for d in json.loads(capsys.readouterr().out)}
    assert docs["antrag"]["origin"]["title"] == "file" and docs["protokoll"]["origin"]["date"] == "inferred"
    assert docs["protokoll"]["origin"]["publisher"] == "default"


def test_windows_unicode_text_and_a_body_in_the_dateline(tmp_path):
    """A text saved as „Unicode“ by Windows (UTF-16 with BOM, CRLF) is read; a dateline that names
    a body („Stadt Musterhausen, 3. März 2025“) dates the text and names its publisher, and is not
    taken for its title."""
    docs = tmp_path / "presse"
    docs.mkdir()
    text = ("Pressemitteilung\r\n\r\nStadt Musterhausen, 3. März 2025\r\n\r\nGebühren für die Müllabfuhr steigen\r\n\r\n"
            "Die Gebühren steigen um 5 Prozent. Bürgermeisterin Jana Groß erklärte: „Das ist unvermeidlich.“\r\n")
    (docs / "presse.txt").write_bytes(text.encode("utf-16"))
    doc = metas(docs)["presse"]
    assert (doc.meta.title, doc.meta.date, doc.meta.publisher) == ("Gebühren für die Müllabfuhr steigen", "2025-03-03",
                                                                  "Stadt Musterhausen")
    assert "„Das ist unvermeidlich.“" in doc.text and "\r" not in doc.text
