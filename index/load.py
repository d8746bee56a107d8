"""File → text and metadata. The one place that reads a file: every failure of any reader becomes
a `DocumentUnreadable` with a one-line German reason, so one bad file never stops an ingest.

`discover` finds the files under the given folders and refuses symbolic links and anything that
resolves outside the folder; `load_file` reads one file within the reading limits and resolves its
metadata once (manifest entry first, then what the file says, then what the text shows).
"""

from __future__ import annotations

import logging
from collections import Counter
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from index.errors import DocumentUnreadable
from index.metadata import resolve_meta, slugify
from index.model import DocumentMeta
from index.options import ReadingLimits

log = logging.getLogger(__name__)
SUPPORTED_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                      ".pdf": "pdf", ".docx": "docx", ".odt": "odt", ".rtf": "rtf"}
MANIFEST_NAME = "documents.yaml"
# Old binary Office formats councils still publish: what to do with them instead.
OLD_OFFICE = {".doc": " (altes Word-Format: bitte als .docx, .odt oder .pdf speichern)",
              ".xls": " (Excel-Tabelle: bitte als .pdf oder Tabelle in .docx/.odt speichern)",
              ".ppt": " (PowerPoint: bitte als .pdf speichern)", ".pptx": " (PowerPoint: bitte als .pdf speichern)",
              ".xlsx": " (Excel-Tabelle: bitte als .pdf oder Tabelle in .docx/.odt speichern)"}


@dataclass(frozen=True)
class SourceFile:
    """A candidate document file and its manifest entry (if any)."""

    path: Path
    entry: dict | None = None
    root: Path | None = None  # the folder (or file) it was found under: the document's source
    unique_id: str = ""  # set by `discover` when another file has the same name stem

    @property
    def source(self) -> str:
        return str((self.root or self.path).resolve())

    @property
    def doc_id(self) -> str:
        """Known before the file is read, so an unreadable file still counts as seen."""
        return str((self.entry or {}).get("id") or self.unique_id or slugify(self.path.stem))


@dataclass(frozen=True)
class LoadedDocument:
    meta: DocumentMeta
    text: str
    fmt: str  # text | markdown


# libyaml's safe loader where PyYAML was built with it (a generated archive's manifest of 60k entries:
# about ten times faster than the pure-Python one); the same documents, the same errors.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_manifest(folder: Path) -> dict[str, dict]:
    """Manifest entries of a corpus folder, keyed by file name (empty when there is none)."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        return {str(entry["file"]): entry for entry in data.get("documents", []) if isinstance(entry, dict)}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
        raise DocumentUnreadable(f"{path} ist kein gültiges Manifest ({type(exc).__name__}); "
                                 f"Format siehe README, Abschnitt „Dokumente hinzufügen“") from None


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[tuple[Path, str]]]:
    """All candidate files under the given files/folders, and the refused ones with their reason:
    symbolic links and files that resolve outside their folder are never read."""
    found: list[SourceFile] = []
    refused: list[tuple[Path, str]] = []
    for root in paths:
        if root.is_symlink():
            refused.append((root, "symbolischer Link, wird aus Sicherheitsgründen nicht gelesen"))
            continue
        if root.is_file():
            found.append(SourceFile(root, read_manifest(root.parent).get(root.name), root))
            continue
        if not root.is_dir():
            refused.append((root, "Pfad nicht gefunden"))
            continue
        base = root.resolve()
        manifest = read_manifest(root)
        for path in sorted(root.rglob("*")):
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if path.is_symlink() or any(p.is_symlink() for p in path.relative_to(root).parents if str(p) != "."
                                        and (root / p).is_symlink()):
                refused.append((path, "symbolischer Link, wird aus Sicherheitsgründen nicht gelesen"))
                continue
            if not path.is_file() or path.name == MANIFEST_NAME or path.name.lower() == "readme.md":
                continue
            if not path.resolve().is_relative_to(base):
                refused.append((path, "liegt außerhalb des eingelesenen Ordners"))
                continue
            found.append(SourceFile(path, manifest.get(path.name) if path.parent == root else None, root))
    return distinct_ids(found), refused


def distinct_ids(found: list[SourceFile]) -> list[SourceFile]:
    """Files without a manifest id whose names give the same id („2023/Niederschrift.pdf“ and
    „2024/Niederschrift.pdf“, „Antrag.pdf“ and „Antrag.docx“) get ids from their path below the
    folder, with the file type when that is still not enough: the same for every ingest."""
    counts = Counter(s.doc_id for s in found)
    out = []
    for s in found:
        if counts[s.doc_id] > 1 and not (s.entry or {}).get("id"):
            rel = s.path.relative_to(s.root) if s.root and s.root != s.path else Path(s.path.name)
            s = replace(s, unique_id=slugify(str(rel.with_suffix(""))))
        out.append(s)
    counts = Counter(s.doc_id for s in out)
    return [replace(s, unique_id=slugify(str(s.path.relative_to(s.root) if s.root and s.root != s.path else s.path.name)))
            if s.unique_id and counts[s.doc_id] > 1 else s for s in out]


@contextmanager
def deadline(seconds: float, what: str):
    """Stop a reader that takes longer than `seconds` (only in the main thread, where signals work)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise DocumentUnreadable(f"Zeitlimit beim Lesen überschritten ({seconds:.0f} s, {what})")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def extract(kind: str, data: bytes, limits: ReadingLimits):
    """The reader for `kind` applied to the file's bytes."""
    if kind in ("text", "markdown"):
        from index.readers.text import read_text

        return read_text(data, markdown=kind == "markdown")
    if kind == "html":
        from index.readers.html import read_html

        return read_html(data)
    if kind == "pdf":
        from index.readers import ocr
        from index.readers.pdf import read_pdf

        return read_pdf(data, limits, ocr.recognise_page if limits.ocr and ocr.available() else None)
    if kind == "docx":
        from index.readers.office import read_docx

        return read_docx(data, limits)
    if kind == "odt":
        from index.readers.office import read_odt

        return read_odt(data, limits)
    if kind == "rtf":
        from index.readers.rtf import read_rtf

        return read_rtf(data)
    raise DocumentUnreadable(f"Dateityp '{kind}' wird nicht unterstützt")


def load_file(source: SourceFile | Path, max_bytes: int | None = None, limits: ReadingLimits | None = None) -> LoadedDocument:
    """Read one file into text and metadata, or raise `DocumentUnreadable` saying why."""
    source = source if isinstance(source, SourceFile) else SourceFile(source)
    limits = limits or ReadingLimits()
    path = source.path
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = OLD_OFFICE.get(path.suffix.lower(), "")
        raise DocumentUnreadable(f"Dateityp '{path.suffix or '(ohne Endung)'}' wird nicht unterstützt{hint}")
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise DocumentUnreadable(f"Datei zu groß ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB erlaubt)")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"Datei nicht lesbar ({exc.strerror})") from None
    try:
        with deadline(limits.seconds_per_file, path.name):
            extracted = extract(kind, data, limits)
    except DocumentUnreadable:
        raise
    except RecursionError:
        raise DocumentUnreadable("Datei zu tief verschachtelt") from None
    except MemoryError:
        raise DocumentUnreadable("Datei braucht zu viel Speicher") from None
    except Exception as exc:  # any parser failure (pypdf, lxml, zip, XML …) is this file's problem only
        log.info("reader failed on %s", path, exc_info=True)
        raise DocumentUnreadable(_reason(kind, exc)) from None
    for notice in extracted.notices:
        log.warning("%s: %s", path.name, notice)
    if not extracted.text.strip():
        raise DocumentUnreadable("kein Text nach dem Dekodieren")
    meta = replace(resolve_meta(source.doc_id, path, source.entry, extracted), source=source.source)
    return LoadedDocument(meta, extracted.text, extracted.fmt)


def _reason(kind: str, exc: Exception) -> str:
    name = type(exc).__name__
    if "Encrypt" in name or "Decrypt" in name or "Password" in name:
        return "Datei ist verschlüsselt"
    detail = " ".join(str(exc).split())[:120]
    return f"{kind.upper()} nicht lesbar ({name}: {detail})" if detail else f"{kind.upper()} nicht lesbar ({name})"
