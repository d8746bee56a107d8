"""Import from an OParl council-information system (OParl 1.0/1.1, the German standard API of
Ratsinformationssysteme): System → Body → Paper (mainFile, auxiliaryFile) and Meeting → AgendaItem.

Each paper becomes a file under `data_dir/oparl/<endpoint>/` (its `File.text`, else the downloaded
PDF/DOCX/ODT), with a manifest entry mapping the OParl fields (title = Paper.name, date =
Paper.date, type = Paper.paperType, publisher = Body.name, reference = Paper.reference, actors and
speaker = originatorPerson/originatorOrganization); each meeting becomes a text file with its
agenda. That folder is then ingested like any other (`rathaus ingest` can re-index it offline).

Incremental: the time of the last complete import is kept in `.state.json`; the next run asks only
for objects modified since then (`modified_since`) and removes objects marked `deleted`. Polite:
paging, a timeout, retries with back-off, a delay between requests. Nothing half-imported: files and
manifest are written first, the state last, and the ingest itself is crash-safe.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from index.errors import RathausError
from index.metadata import slugify

log = logging.getLogger(__name__)
SUFFIXES = {"application/pdf": ".pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
            "application/vnd.oasis.opendocument.text": ".odt", "text/plain": ".txt", "text/html": ".html"}


class OParlError(RathausError):
    """The endpoint cannot be read (unreachable, invalid JSON, a paging loop …): a German reason."""


@dataclass
class OParlOptions:
    timeout: float = 20.0
    retries: int = 3
    delay: float = 0.2  # seconds between requests
    max_pages: int = 10_000
    max_file_mb: float = 50.0


@dataclass
class ImportReport:
    papers: int = 0
    meetings: int = 0
    deleted: int = 0
    files_downloaded: int = 0
    requests: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    folder: Path | None = None

    def summary(self) -> str:
        return (f"OParl: {self.papers} Drucksachen, {self.meetings} Sitzungen, {self.deleted} gelöscht, "
                f"{self.files_downloaded} Dateien geladen, {self.requests} Anfragen, {len(self.skipped)} übersprungen")


class OParlClient:
    def __init__(self, options: OParlOptions = OParlOptions(), transport=None) -> None:
        self.options = options
        self.http = httpx.Client(timeout=options.timeout, follow_redirects=True, transport=transport,
                                 headers={"User-Agent": "Rathaus-Chat OParl-Import", "Accept": "application/json"})
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def fetch(self, url: str, params: dict | None = None) -> httpx.Response:
        """GET with retries and back-off; a clear German error when the endpoint stays unreachable."""
        last = ""
        for attempt in range(self.options.retries + 1):
            if self.requests:
                time.sleep(self.options.delay)
            self.requests += 1
            try:
                response = self.http.get(url, params=params)
                if response.status_code < 500 and response.status_code != 429:
                    if response.status_code >= 400:
                        raise OParlError(f"{url} antwortet mit HTTP {response.status_code}")
                    return response
                last = f"HTTP {response.status_code}"
            except httpx.TimeoutException:
                last = "Zeitüberschreitung"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(min(0.5 * 2 ** attempt, 8))
        raise OParlError(f"{url} nicht erreichbar ({last}, {self.options.retries + 1} Versuche)")

    def get(self, url: str, params: dict | None = None) -> dict:
        response = self.fetch(url, params)
        try:
            data = response.json()
        except ValueError:
            raise OParlError(f"{url} liefert kein gültiges JSON") from None
        if not isinstance(data, dict):
            raise OParlError(f"{url} liefert kein OParl-Objekt")
        return data

    def pages(self, url: str, params: dict | None = None):
        """The objects of a paged OParl list, following `links.next`; a repeated page is an error."""
        seen: set[str] = set()
        page: str | None = url
        count = 0
        while page:
            if page in seen:
                raise OParlError(f"Die Liste {url} verweist im Kreis (Seite {page} doppelt)")
            seen.add(page)
            count += 1
            if count > self.options.max_pages:
                raise OParlError(f"Die Liste {url} hat mehr als {self.options.max_pages} Seiten")
            data = self.get(page, params if page == url else None)
            items = data.get("data")
            if not isinstance(items, list):
                raise OParlError(f"{page} ist keine OParl-Liste (es fehlt 'data')")
            yield from (item for item in items if isinstance(item, dict))
            page = (data.get("links") or {}).get("next")


def endpoint_folder(data_dir: Path, url: str) -> Path:
    parts = urlsplit(url)
    return data_dir / "oparl" / slugify(f"{parts.hostname}-{parts.port or ''}-{parts.path}")


def import_oparl(url: str, data_dir: Path, body: str | None = None, since: str | None = None,
                 limit: int | None = None, options: OParlOptions = OParlOptions(), transport=None) -> ImportReport:
    """Fetch the papers and meetings of one body (or all) into the endpoint's folder (see module doc)."""
    folder = endpoint_folder(data_dir, url)
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / ".state.json"  # hidden: never read as a document
    state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
    modified_since = since or state.get("modified_since")
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report = ImportReport(folder=folder)
    client = OParlClient(options, transport)
    manifest = Manifest(folder)
    try:
        system = client.get(url)
        if "body" not in system:
            raise OParlError(f"{url} ist kein OParl-System (es fehlt 'body')")
        bodies = [b for b in client.pages(system["body"]) if not body or b.get("id") == body or b.get("shortName") == body]
        if not bodies:
            raise OParlError(f"keine Körperschaft '{body}' unter {system['body']}" if body else f"{url} nennt keine Körperschaft")
        params = {"modified_since": modified_since} if modified_since else None
        names = NameCache(client)
        for b in bodies:
            publisher = str(b.get("name") or b.get("shortName") or "")
            for n, paper in enumerate(client.pages(b["paper"], params) if b.get("paper") else ()):
                if limit is not None and n >= limit:
                    break
                import_paper(client, paper, publisher, folder, manifest, names, report, options)
            for n, meeting in enumerate(client.pages(b["meeting"], params) if b.get("meeting") else ()):
                if limit is not None and n >= limit:
                    break
                import_meeting(meeting, publisher, folder, manifest, report)
        manifest.save()
        state_file.write_text(json.dumps({"url": url, "modified_since": started}), encoding="utf-8")
    finally:
        report.requests = client.requests
        client.close()
    return report


class NameCache:
    """Names of originator persons and organisations (one request per URL)."""

    def __init__(self, client: OParlClient) -> None:
        self.client, self.names = client, {}

    def __call__(self, ref) -> str:
        if isinstance(ref, dict):
            return str(ref.get("name") or "")
        if ref not in self.names:
            try:
                self.names[ref] = str(self.client.get(ref).get("name") or "")
            except OParlError as exc:
                log.warning("originator %s: %s", ref, exc)
                self.names[ref] = ""
        return self.names[ref]


class Manifest:
    """The endpoint folder's documents.yaml, keyed by OParl id."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "documents.yaml"
        data = yaml.safe_load(self.path.read_text(encoding="utf-8")) if self.path.is_file() else None
        self.entries = {e["oparl_id"]: e for e in (data or {}).get("documents", []) if "oparl_id" in e}

    def put(self, entry: dict) -> None:
        self.entries[entry["oparl_id"]] = entry

    def remove(self, oparl_id: str, folder: Path) -> bool:
        entry = self.entries.pop(oparl_id, None)
        if entry:
            (folder / entry["file"]).unlink(missing_ok=True)
        return entry is not None

    def save(self) -> None:
        temp = self.path.with_name(".documents.yaml.part")
        temp.write_text(yaml.safe_dump({"documents": sorted(self.entries.values(), key=lambda e: e["id"])},
                                       allow_unicode=True, sort_keys=False), encoding="utf-8")
        temp.replace(self.path)


def doc_id_for(obj: dict, prefix: str) -> str:
    tail = str(obj.get("id", "")).rstrip("/").rsplit("/", 1)[-1]
    return slugify(f"{prefix}-{tail}")


def import_paper(client, paper, publisher, folder, manifest, names, report, options) -> None:
    oparl_id = str(paper.get("id", ""))
    if paper.get("deleted"):
        report.deleted += manifest.remove(oparl_id, folder)
        return
    doc_id = doc_id_for(paper, "drucksache")
    main = paper.get("mainFile") if isinstance(paper.get("mainFile"), dict) else None
    files = [f for f in [main, *(paper.get("auxiliaryFile") or [])] if isinstance(f, dict)]
    text = "\n\n".join(str(f["text"]) for f in files if f.get("text"))
    if text.strip():
        name = f"{doc_id}.txt"
        write_atomic(folder / name, f"{paper.get('name', '')}\n\n{text}".encode("utf-8"))
    elif main and (main.get("downloadUrl") or main.get("accessUrl")):
        suffix = SUFFIXES.get(str(main.get("mimeType", "")).split(";")[0], Path(str(main.get("fileName", ""))).suffix)
        if suffix not in (".pdf", ".docx", ".odt", ".txt", ".html"):
            report.skipped.append((oparl_id, f"Dateityp '{main.get('mimeType')}' wird nicht unterstützt"))
            return
        try:
            response = client.fetch(main.get("downloadUrl") or main["accessUrl"])
        except OParlError as exc:
            report.skipped.append((oparl_id, str(exc)))
            return
        if len(response.content) > options.max_file_mb * 1_000_000:
            report.skipped.append((oparl_id, "Datei zu groß"))
            return
        name = f"{doc_id}{suffix}"
        write_atomic(folder / name, response.content)
        report.files_downloaded += 1
    else:
        report.skipped.append((oparl_id, "Drucksache ohne Text und ohne Datei"))
        return
    originators = [n for n in (names(r) for r in [*(paper.get("originatorPerson") or []),
                                                   *(paper.get("originatorOrganization") or [])]) if n]
    for old in [e for e in manifest.entries.values() if e["oparl_id"] == oparl_id and e["file"] != name]:
        (folder / old["file"]).unlink(missing_ok=True)  # the paper's file changed its kind
    entry = {"id": doc_id, "file": name, "oparl_id": oparl_id, "title": str(paper.get("name") or doc_id),
             "publisher": publisher or "unbekannt", "type": str(paper.get("paperType") or "Drucksache"),
             "reference": str(paper.get("reference") or "")}
    date = str(paper.get("date") or "")[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        entry["date"] = date
    if originators:
        entry["speaker"] = originators[0]
        entry["actors"] = [{"name": n, "match": [n]} for n in originators]
    manifest.put(entry)
    report.papers += 1


def import_meeting(meeting, publisher, folder, manifest, report) -> None:
    oparl_id = str(meeting.get("id", ""))
    if meeting.get("deleted"):
        report.deleted += manifest.remove(oparl_id, folder)
        return
    items = [i for i in meeting.get("agendaItem") or [] if isinstance(i, dict)]
    if not items:
        return
    doc_id = doc_id_for(meeting, "sitzung")
    start = str(meeting.get("start") or "")[:10]
    title = f"{meeting.get('name') or 'Sitzung'}" + (f" am {start}" if start else "")
    lines = [title, ""]
    for item in items:
        head = f"TOP {item.get('number', '')}: {item.get('name', '')}".strip()
        lines.append(f"## {head}")
        for key in ("result", "resolutionText"):
            if item.get(key):
                lines.append(f"{'Ergebnis' if key == 'result' else 'Beschluss'}: {item[key]}")
        lines.append("")
    name = f"{doc_id}.md"
    write_atomic(folder / name, "\n".join(lines).encode("utf-8"))
    entry = {"id": doc_id, "file": name, "oparl_id": oparl_id, "title": title, "publisher": publisher or "unbekannt",
             "type": "Sitzung"}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", start):
        entry["date"] = start
    manifest.put(entry)
    report.meetings += 1


def write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.part")
    temp.write_bytes(data)
    temp.replace(path)
