"""File → text and metadata. Every failure becomes a `DocumentUnreadable` with a one-line reason."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from index.errors import DocumentUnreadable
from index.model import DocumentMeta

SUPPORTED_SUFFIXES = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html", ".pdf": "pdf"}
MANIFEST_NAME = "documents.yaml"
_ID_RE = re.compile(r"[^a-z0-9]+")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0(?![.\d])"
    r"|color\s*:\s*(#fff(fff)?|white|rgba?\(\s*255\s*,\s*255\s*,\s*255)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LoadedDocument:
    meta: DocumentMeta
    text: str
    fmt: str  # text | markdown (html and pdf arrive as text)


def slugify(name: str) -> str:
    return _ID_RE.sub("-", name.lower()).strip("-") or "dokument"


def read_manifest(folder: Path) -> dict[str, dict]:
    """Manifest entries of a corpus folder, keyed by file name (empty when there is none)."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {entry["file"]: entry for entry in data.get("documents", [])}


def meta_for(path: Path, entry: dict | None, fallback_title: str = "") -> DocumentMeta:
    entry = entry or {}
    return DocumentMeta(
        doc_id=str(entry.get("id") or slugify(path.stem)),
        title=str(entry.get("title") or fallback_title or path.stem),
        publisher=str(entry.get("publisher") or "unbekannt"),
        date=str(entry.get("date") or ""),
        date_precision=str(entry.get("date_precision") or "exact"),
        doc_type=str(entry.get("type") or "Dokument"),
        language=str(entry.get("language") or "de"),
        cite_as=str(entry.get("cite_as") or ""),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
        source_file=path.name,
        speaker=str(entry.get("speaker") or ""),
        actors=tuple((str(a["name"]), tuple(str(m) for m in a.get("match") or (a["name"],)))
                     for a in entry.get("actors") or () if isinstance(a, dict) and a.get("name")),
    )


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; binary content is refused."""
    if not data.strip():
        raise DocumentUnreadable("empty file")
    if b"\x00" in data[:8192]:
        raise DocumentUnreadable("binary content (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise DocumentUnreadable(f"text is neither UTF-8 nor Windows-1252 ({exc.reason})") from None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise DocumentUnreadable("binary content (control characters), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_to_text(html: str) -> tuple[str, str]:
    """Main text of an HTML page (trafilatura), with scripts, comments and hidden elements removed."""
    import lxml.html
    import trafilatura

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise DocumentUnreadable(f"HTML cannot be parsed ({exc})") from None
    title = (tree.findtext(".//title") or "").strip()
    for el in list(tree.iter(lxml.etree.Comment)):
        el.drop_tree() if el.getparent() is not None else None
    for el in tree.xpath("//script|//style|//noscript|//template|//iframe|//*[@hidden]|//*[@aria-hidden='true']"):
        el.drop_tree()
    for el in tree.xpath("//*[@style]"):
        if _HIDDEN_STYLE.search(el.get("style", "")):
            el.drop_tree()
    cleaned = lxml.html.tostring(tree, encoding="unicode")
    text = trafilatura.extract(cleaned, include_comments=False, include_tables=True, favor_recall=True) or ""
    if not text.strip():
        raise DocumentUnreadable("HTML contains no readable main text")
    return text, title


def pdf_to_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentUnreadable("PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentUnreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, NotImplementedError) as exc:
        raise DocumentUnreadable(f"PDF cannot be read ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    # PDF text is hard-wrapped: rejoin hyphenated words and lines within a paragraph.
    text = re.sub(r"(?<=[a-zäöüß])-\n(?=[a-zäöüß])", "", text)
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", text)
    if not text:
        raise DocumentUnreadable("PDF has no extractable text (scanned image?)")
    return text


def load_file(path: Path, entry: dict | None = None, max_bytes: int | None = None) -> LoadedDocument:
    """Read one file into text and metadata, or raise `DocumentUnreadable` saying why."""
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DocumentUnreadable(f"unsupported file type '{path.suffix or '(none)'}'")
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise DocumentUnreadable(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB limit)")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"cannot read file ({exc.strerror})") from None
    title = ""
    if kind == "pdf":
        if not data.strip():
            raise DocumentUnreadable("empty file")
        text, fmt = pdf_to_text(data), "text"
    elif kind == "html":
        text, title = html_to_text(decode_text(data))
        fmt = "text"
    else:
        text, fmt = decode_text(data), kind
    if not text.strip():
        raise DocumentUnreadable("no text after decoding")
    return LoadedDocument(meta_for(path, entry, title), text, fmt)


def discover(paths: list[Path]) -> list[tuple[Path, dict | None]]:
    """All candidate files under the given files/folders, each with its manifest entry if any."""
    found: list[tuple[Path, dict | None]] = []
    for root in paths:
        if root.is_file():
            found.append((root, read_manifest(root.parent).get(root.name)))
            continue
        manifest = read_manifest(root)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.name == MANIFEST_NAME or path.name.startswith(".") or path.name.lower() == "readme.md":
                continue
            found.append((path, manifest.get(path.name) if path.parent == root else None))
    return found
