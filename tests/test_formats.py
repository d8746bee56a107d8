"""Documents as councils publish them: DOCX, ODT, a scanned PDF (recognised with Tesseract) and a PDF
with a vote table are ingested, cited with their section and answer a question each; broken files
give a one-line reason. All files are made by the test."""

from __future__ import annotations

import io

import pytest

from assistant.settings import load_settings
from assistant.wiring import build_assistant, build_search_index, run_ingest
from index.readers import ocr
from tests.conftest import make_pdf
from tests.oparl_server import scanned_pdf, vote_pdf


def docx_file() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Beschlussvorlage Radwegenetz"
    document.add_heading("Beschlussvorlage: Ausbau des Radwegenetzes", 1)
    document.add_paragraph("Die Verwaltung schlägt vor, das Radwegenetz bis 2028 um 25 Kilometer zu erweitern.")
    document.add_heading("Finanzierung", 2)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["Jahr", "Ansatz", "Förderung"], ["2026", "1,2 Mio. Euro", "60 %"],
                             ["2027", "0,8 Mio. Euro", "50 %"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt_file() -> bytes:
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text="Antrag Spielplatz Lindenweg"))
    document.text.addElement(H(outlinelevel=1, text="Antrag: Spielplatz am Lindenweg"))
    document.text.addElement(P(text="Der Rat möge beschließen, den Spielplatz am Lindenweg bis Sommer 2026 zu sanieren."))
    items = List()
    for text in ("neue Schaukeln", "ein Sonnensegel"):
        item = ListItem()
        item.addElement(P(text=text))
        items.addElement(item)
    document.text.addElement(items)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def blank_scan() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (1200, 800), 255).save(out, format="PDF", resolution=150)
    return out.getvalue()


# An RTF export as word processors write it: code page 1252, escaped umlauts, an info group.
RTF = (rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}{\info{\title Geb\'fchrensatzung Friedhof}"
       rb"{\author Gemeinde Musterdorf}{\creatim\yr2023\mo3\dy9\hr10\min0}}\f0\fs24 "
       rb"Satzung \'fcber die Friedhofsgeb\'fchren\par\par \'a7 1 Die Geb\'fchr f\'fcr ein Urnengrab betr\'e4gt "
       rb"850 Euro.\par}")


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    folder = root / "docs"
    folder.mkdir()
    (folder / "radwege.docx").write_bytes(docx_file())
    (folder / "spielplatz.odt").write_bytes(odt_file())
    (folder / "feuerwache.pdf").write_bytes(scanned_pdf())
    (folder / "haushalt.pdf").write_bytes(vote_pdf())
    (folder / "kaputt.docx").write_bytes(b"PK\x03\x04 abgeschnitten")
    (folder / "friedhof.rtf").write_bytes(RTF)
    (folder / "kaputt.rtf").write_bytes(b"kein RTF")
    (folder / "leer-gescannt.pdf").write_bytes(blank_scan())
    settings = load_settings(data_dir=root / "data", corpus_dir=folder, embedding={"mode": "fake"})
    report = run_ingest(settings, progress=False)
    return report, build_assistant(settings, build_search_index(settings))


def test_bad_files_are_skipped_with_a_reason(council):
    report, _ = council
    skipped = {path.rsplit("/", 1)[-1]: reason for path, reason in report.skipped}
    assert set(skipped) == {"kaputt.docx", "kaputt.rtf", "leer-gescannt.pdf"}
    assert "Office" in skipped["kaputt.docx"] or "DOCX" in skipped["kaputt.docx"]
    assert "Texterkennung" in skipped["leer-gescannt.pdf"]
    assert sorted(report.added) == ["feuerwache", "friedhof", "haushalt", "radwege", "spielplatz"]


@pytest.mark.parametrize("question,doc_id,fact,section", [
    ("Um wie viele Kilometer soll das Radwegenetz wachsen?", "radwege", "25 Kilometer", "Beschlussvorlage: Ausbau des Radwegenetzes"),
    ("Wie hoch ist der Ansatz 2026?", "radwege", "1,2 Mio. Euro", "Finanzierung"),
    ("Bis wann soll der Spielplatz am Lindenweg saniert werden?", "spielplatz", "Sommer 2026", "Antrag: Spielplatz am Lindenweg"),
    ("Wie viele Ja-Stimmen hatte die SPD zum Haushalt?", "haushalt", "Ja: 14", ""),
    ("Was empfiehlt der Bauausschuss zur Feuerwache Ost?", "feuerwache", "Feuerwache Ost", ""),
    ("Was kostet ein Urnengrab?", "friedhof", "850 Euro", ""),
])
def test_each_format_answers_and_is_cited_with_its_section(council, question, doc_id, fact, section):
    _, assistant = council
    answer = assistant.ask(question)
    assert not answer.refused and fact in answer.text, answer.text
    source = next(s for s in answer.sources if s.doc_id == doc_id)
    assert fact in source.quote and section in source.section


def test_recognised_text_is_marked_as_such(council):
    assert ocr.available(), "tesseract-ocr and tesseract-ocr-deu are missing: `make tools` installs them"
    _, assistant = council
    assert assistant.index.meta("feuerwache").ocr
    answer = assistant.ask("Was empfiehlt der Bauausschuss zur Feuerwache Ost?")
    source = next(s for s in answer.sources if s.doc_id == "feuerwache")
    assert source.ocr and "Texterkennung" in source.line()


def test_pdf_without_text_layer_and_without_ocr_says_so(tmp_path):
    from index.errors import DocumentUnreadable
    from index.load import load_file
    from index.options import ReadingLimits

    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    with pytest.raises(DocumentUnreadable, match="Texterkennung"):
        load_file(path, limits=ReadingLimits(ocr=False))
    text_pdf = tmp_path / "text.pdf"
    text_pdf.write_bytes(make_pdf(["Fraktion    Ja    Nein", "SPD    3    1", "CDU    2    2"]))
    assert "Fraktion: SPD; Ja: 3; Nein: 1." in load_file(text_pdf).text


def test_rtf_gives_text_with_umlauts_and_its_info(council):
    _, assistant = council
    meta = assistant.index.meta("friedhof")
    assert (meta.title, meta.publisher, meta.date) == ("Gebührensatzung Friedhof", "Gemeinde Musterdorf", "2023-03-09")
    assert "Satzung über die Friedhofsgebühren" in assistant.index.documents["friedhof"].text
