"""A local OParl 1.1 server for the import tests, over real HTTP on 127.0.0.1.

It serves the specification's example System, Body and Paper (tests/fixtures/oparl/examples, with
their addresses rewritten to this server) and papers, a meeting, persons and files of its own:
File.text, a DOCX, a scanned PDF and a PDF with a vote table. The paper list is paged (two per
page, so three pages and more) and honours `modified_since`. `change()`, `delete()` and `mode`
("invalid-json", "slow", "loop") let a test change the data or break the server between imports.
"""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.conftest import make_pdf

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "oparl"
EXAMPLE_HOST = "https://oparl.example.org"
PAGE_SIZE = 2


def example(name: str, base: str) -> dict:
    text = (FIXTURES / "examples" / name).read_text(encoding="utf-8")
    return json.loads(text.replace(EXAMPLE_HOST, base))


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Beschlussvorlage: Sanierung des Hallenbads Nord", 1)
    document.add_paragraph("Die Verwaltung empfiehlt, das Hallenbad Nord ab Mai 2026 für 14 Monate zu sanieren.")
    document.add_heading("Kosten", 2)
    document.add_paragraph("Die Sanierung kostet nach der Kostenschätzung 7,8 Millionen Euro.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def scanned_pdf() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1700, 600), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=42)
    for i, line in enumerate(["Niederschrift des Bauausschusses", "Der Ausschuss empfiehlt den Neubau",
                              "der Feuerwache Ost am Lindenweg."]):
        draw.text((60, 60 + i * 100), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=200)
    return out.getvalue()


def vote_pdf() -> bytes:
    return make_pdf(["Abstimmungsergebnis zum Haushalt 2026", "Fraktion    Ja    Nein    Enthaltung",
                     "SPD    14    0    1", "CDU    2    11    0", "Gruene    9    0    0"])


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (the slow mode's timeout) is expected here


class OParlFixture:
    def __init__(self) -> None:
        self.httpd = QuietServer(("127.0.0.1", 0), self.handler())
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/oparl/v1"
        self.mode = ""
        self.requests: list[str] = []
        self.files = {"hallenbad.docx": docx_bytes(), "bauausschuss.pdf": scanned_pdf(), "haushalt.pdf": vote_pdf(),
                      "57737.pdf": make_pdf(["Antwort der Verwaltung auf die Anfrage 1200/2014."])}
        self.papers = self.build_papers()

    @property
    def system_url(self) -> str:
        return f"{self.base}/system"

    # -- data -----------------------------------------------------------------------------------
    def file(self, name: str, mime: str, text: str | None = None) -> dict:
        obj = {"id": f"{self.base}/files/{name}", "type": "https://schema.oparl.org/1.1/File", "name": name,
               "fileName": name, "mimeType": mime, "accessUrl": f"{self.base}/files/{name}"}
        if text is not None:
            obj["text"] = text
        return obj

    def paper(self, n: int, name: str, reference: str, paper_type: str, main: dict, modified: str, **extra) -> dict:
        return {"id": f"{self.base}/paper/{n}", "type": "https://schema.oparl.org/1.1/Paper",
                "body": f"{self.base}/body/0", "name": name, "reference": reference, "date": "2025-10-0" + str(n % 9 + 1),
                "paperType": paper_type, "mainFile": main, "created": "2025-09-01T10:00:00+02:00",
                "modified": modified, **extra}

    def build_papers(self) -> list[dict]:
        spec = example("Paper-01.json", self.base)
        spec["mainFile"]["accessUrl"] = spec["mainFile"]["downloadUrl"] = f"{self.base}/files/57737.pdf"
        old = "2025-09-02T10:00:00+02:00"
        pdf = "application/pdf"
        docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return [
            spec,
            self.paper(1, "Antrag: Radweg an der Kanalstraße", "AN/0012/2025", "Antrag",
                       self.file("radweg.txt", "text/plain", "Die Fraktion beantragt einen 2,5 Kilometer langen "
                                 "Radweg an der Kanalstraße. Die Verwaltung soll bis März 2026 eine Planung vorlegen."),
                       old, originatorOrganization=[f"{self.base}/organization/1"]),
            self.paper(2, "Beschlussvorlage Hallenbad Nord", "BV/0340/2025", "Beschlussvorlage",
                       self.file("hallenbad.docx", docx), old, originatorPerson=[f"{self.base}/person/7"]),
            self.paper(3, "Niederschrift Bauausschuss", "NS/0088/2025", "Niederschrift",
                       self.file("bauausschuss.pdf", pdf), old),
            self.paper(4, "Abstimmungsergebnis Haushalt 2026", "BV/0400/2025", "Beschlussvorlage",
                       self.file("haushalt.pdf", pdf), old),
            self.paper(5, "Anfrage Straßenbeleuchtung", "AF/0021/2025", "Anfrage",
                       self.file("licht.txt", "text/plain", "Die Fraktion fragt, wann die Straßenbeleuchtung "
                                 "im Ortsteil Süd auf LED umgestellt wird."), old),
        ]

    def change(self, n: int, text: str) -> None:
        paper = next(p for p in self.papers if p["id"].endswith(f"/paper/{n}"))
        paper["mainFile"]["text"] = text
        paper["modified"] = datetime.now().astimezone().isoformat(timespec="seconds")

    def delete(self, n: int) -> None:
        index = next(i for i, p in enumerate(self.papers) if p["id"].endswith(f"/paper/{n}"))
        self.papers[index] = {"id": self.papers[index]["id"], "type": "https://schema.oparl.org/1.1/Paper",
                              "created": self.papers[index]["created"], "deleted": True,
                              "modified": datetime.now().astimezone().isoformat(timespec="seconds")}

    def meeting(self) -> dict:
        return {"id": f"{self.base}/meeting/1", "type": "https://schema.oparl.org/1.1/Meeting",
                "name": "Sitzung des Rates", "start": "2025-11-12T17:00:00+01:00", "modified": "2025-09-02T10:00:00+02:00",
                "agendaItem": [
                    {"id": f"{self.base}/agendaitem/1", "type": "https://schema.oparl.org/1.1/AgendaItem", "number": "1",
                     "name": "Radweg an der Kanalstraße", "result": "einstimmig beschlossen"},
                    {"id": f"{self.base}/agendaitem/2", "type": "https://schema.oparl.org/1.1/AgendaItem", "number": "2",
                     "name": "Hallenbad Nord", "result": "vertagt"}]}

    # -- HTTP -----------------------------------------------------------------------------------
    def route(self, path: str, query: dict) -> tuple[int, str, bytes]:
        if self.mode == "slow":
            time.sleep(3)
        if self.mode == "invalid-json":
            return 200, "application/json", b"{nicht: json"
        p = path.removeprefix("/oparl/v1")
        if p == "/system":
            system = example("System-01.json", self.base)
            system.update(id=self.system_url, body=f"{self.base}/bodies")
            return self.json(system)
        if p == "/bodies":
            body = example("Body-01.json", self.base)
            body.update(id=f"{self.base}/body/0", paper=f"{self.base}/body/0/papers/",
                        meeting=f"{self.base}/body/0/meetings/", name="Stadt Musterhausen", shortName="Musterhausen")
            return self.json({"data": [body], "links": {}})
        if p == "/body/0/papers/":
            since = query.get("modified_since", [""])[0]
            papers = [x for x in self.papers if not since or datetime.fromisoformat(x["modified"]) > datetime.fromisoformat(since)]
            page = int(query.get("page", ["1"])[0])
            chunk = papers[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
            more = page * PAGE_SIZE < len(papers)
            following = f"{self.base}/body/0/papers/?page={page + 1}" + (f"&modified_since={since}" if since else "")
            if self.mode == "loop":
                following = f"{self.base}/body/0/papers/?page=1"
                more = True
            return self.json({"data": chunk, "links": {"next": following} if more else {}})
        if p == "/body/0/meetings/":
            since = query.get("modified_since", [""])[0]
            meetings = [self.meeting()] if not since else []
            return self.json({"data": meetings, "links": {}})
        if p.startswith(("/person/", "/organization/")):
            names = {"/organization/1": "Fraktion Bündnis 90/Die Grünen", "/person/7": "Bürgermeisterin Anna Berger"}
            return self.json({"id": self.base + p, "type": "https://schema.oparl.org/1.1/Person",
                              "name": names.get(p, f"Mitglied {p.rsplit('/', 1)[-1]}")})
        if p.startswith("/files/") and p.removeprefix("/files/") in self.files:
            name = p.removeprefix("/files/")
            mime = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
            return 200, mime, self.files[name]
        return 404, "application/json", b'{"error": "not found"}'

    @staticmethod
    def json(obj: dict) -> tuple[int, str, bytes]:
        return 200, "application/json", json.dumps(obj, ensure_ascii=False).encode("utf-8")

    def handler(self):
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                fixture.requests.append(self.path)
                status, mime, body = fixture.route(url.path, parse_qs(url.query))
                self.send_response(status)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> "OParlFixture":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
