"""Document metadata when the manifest says nothing: what the file says (front matter, HTML
metadata, PDF info), else what the text shows (first heading, a dateline such as „Dortmund,
3. November 2025“, „Stand: 12.05.2024“, „Sitzung vom 11.09.2018“, a signature naming the group),
else a default. The manifest always wins. Each field remembers where it came from
(`DocumentMeta.origins`: manifest, file, inferred or default), which `rathaus docs` shows.

German dates are parsed with dateparser (day-month-year order); document types are recognised
from the words councils use for them (Pressemitteilung, Antrag, Niederschrift, …).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from index.model import DocumentMeta

_ID_RE = re.compile(r"[^a-z0-9]+")
MONTHS = "Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
DATE_TEXT = rf"(?:\d{{1,2}}\.\s?\d{{1,2}}\.\s?(?:19|20)\d{{2}}|\d{{1,2}}\.\s?(?:{MONTHS})\s+(?:19|20)\d{{2}}|(?:{MONTHS})\s+(?:19|20)\d{{2}}|(?:19|20)\d{{2}}-\d{{2}}-\d{{2}})"
# Dates that date the document itself (not an event it mentions), most telling first.
DATELINES = [
    re.compile(rf"(?im)^\W*(?:Stand|Datum|Veröffentlicht(?: am)?|Erstellt(?: am)?|Date)\s*[:.]?\s*({DATE_TEXT})"),
    re.compile(rf"(?i)\b(?:Sitzung|Ratssitzung|Versammlung|Bürgerversammlung|Protokoll|Niederschrift|Beschluss)\s+vom\s+({DATE_TEXT})"),
    re.compile(rf"(?m)^\W*[A-ZÄÖÜ][\wäöüß.\- ]{{1,40}},\s*(?:den\s+)?({DATE_TEXT})\s*(?:[–-]|$)"),
]
# Words that name a kind of document, checked in the title first, then in the opening of the text.
DOC_TYPES = [
    ("Koalitionsvertrag", r"koalitionsvertrag|koalitionsvereinbarung|kooperationsvereinbarung|kooperationsvertrag"),
    ("Wahlprogramm", r"wahlprogramm|kommunalwahlprogramm|kurzwahlprogramm|parteiprogramm"),
    ("Niederschrift", r"niederschrift|protokoll\b|sitzungsprotokoll|ergebnisprotokoll"),
    ("Beschlussvorlage", r"beschlussvorlage|verwaltungsvorlage|drucksache|beschlussvorschlag"),
    ("Antrag", r"\bantrag\b|dringlichkeitsantrag|änderungsantrag|\banträge\b"),
    ("Anfrage", r"\banfrage\b|kleine anfrage|große anfrage|fragen der fraktion"),
    ("Haushaltsrede", r"haushaltsrede"),
    ("Rede", r"\brede\b|ansprache|grußwort"),
    ("Pressemitteilung", r"pressemitteilung|pressemeldung|medieninformation|presseinformation"),
    ("Bericht", r"bericht aus|sitzungsbericht|bericht der|jahresbericht|\bbericht\b"),
    ("Geschäftsordnung", r"geschäftsordnung"),
    ("Satzung", r"\bsatzung\b|verordnung"),
]
ORGANISATION = re.compile(
    r"\b((?:Ratsfraktion|Fraktion|Partei|Ortsverband|Kreisverband|Stadtverband|Ortsbeirat|Bezirksvertretung|Bürgerinitiative|"
    r"Stadtverwaltung|Stadt|Gemeinde|Landkreis|Bezirksamt|Liste)\s+[A-ZÄÖÜ0-9][\w.'/&-]*(?:\s+(?:[A-ZÄÖÜ0-9][\w.'/&-]*|und|der|die|für))*)")
SIGNATURE_ROLE = re.compile(r"(?i)\b\w*?(sprecher\w*|vorsitzende\w*|bürgermeister\w*|fraktionsvorsitz\w*|pressestelle|"
                            r"geschäftsführer\w*|stadtrat|stadträtin|ratsmitglied|ortsvorsteher\w*)\b")
OPENING = 400  # characters of the text in which a word names the document's own kind
HEADING = re.compile(r"^\s{0,3}#{1,3}\s+(.+?)\s*#*\s*$")
ORIGINS = ("manifest", "file", "inferred", "default")


def slugify(name: str) -> str:
    """The document id of a file without a manifest entry (unchanged rule: ids are kept across versions)."""
    return _ID_RE.sub("-", name.lower()).strip("-") or "dokument"


@lru_cache(maxsize=1)
def _date_parser():
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["de", "en"], settings={
        "DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year"],
        "RETURN_AS_TIMEZONE_AWARE": False})


def parse_date(text: str) -> str:
    """ISO date ('2025-11-03', or '2024-02' when only the month is known) of a German or ISO date text."""
    text = " ".join(str(text).split())
    iso = re.fullmatch(r"((?:19|20)\d{2})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?", text)
    if iso:
        return "-".join(p for p in iso.groups() if p)
    if not re.search(r"(?:19|20)\d{2}", text):
        return ""
    try:
        data = _date_parser().get_date_data(text[:80])
    except (ValueError, OverflowError, TypeError):
        return ""
    if data.date_obj is None or data.period == "year":
        return ""
    return data.date_obj.strftime("%Y-%m" if data.period == "month" else "%Y-%m-%d")


def dateline(text: str) -> str:
    """The date that dates the document (a dateline, „Stand: …“, „Sitzung vom …“), as ISO, or ''."""
    for pattern in DATELINES:
        for match in pattern.finditer(text[:4000]):
            found = parse_date(match.group(1))
            if found:
                return found
    return ""


def dateline_body(text: str) -> str:
    """The body a dateline names („Stadt Musterhausen, 3. März 2025“ → Stadt Musterhausen), or ''
    (a bare place, „Dortmund, 3. November 2025“, names no publisher)."""
    match = DATELINES[2].search(text[:4000])
    if not match:
        return ""
    body = ORGANISATION.match(match.group(0).strip().strip("-–*# "))
    return body.group(1).rstrip(", ") if body else ""


def is_slug(title) -> bool:
    """A CMS file name standing in for a title: one token of letters, digits, „_“ or „-“ with a digit
    or an underscore in it („Post_413“, „haushaltsrede_2024“)."""
    title = str(title or "").strip()
    return bool(re.fullmatch(r"[\w-]+", title)) and bool(re.search(r"[\d_]", title)) and not title.isdigit()


def first_heading(text: str, fmt_markdown: bool) -> str:
    """The first heading (Markdown `#`), else a short first line that reads like a title."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:40]:
        match = HEADING.match(line)
        if match and fmt_markdown:
            return re.sub(r"[*_`]", "", match.group(1)).strip()
    while len(lines) > 1 and len(lines[0].split()) <= 2 and guess_type(lines[0], ""):
        lines = lines[1:]  # a bare „Pressemitteilung“ over the headline names the kind, not the title
    while len(lines) > 1 and (DATELINES[0].match(lines[0]) or DATELINES[2].match(lines[0])):
        lines = lines[1:]  # „Stadt Musterhausen, 3. März 2025“ dates the text, it is not its title
    first = re.sub(r"^#+\s*|[*_`]", "", lines[0]).strip() if lines else ""
    if 3 <= len(first) <= 150 and len(first.split()) <= 16 and not first.endswith((",", ";")):
        return first
    return ""


def guess_type(title: str, text: str) -> str:
    """The kind of document its title (else its opening lines) names, or ''. A word further down
    („Genehmigung der letzten Niederschrift“, „Quelle: Protokoll …“) names another document."""
    for where in (title, text[:OPENING]):
        low = where.lower()
        for name, pattern in DOC_TYPES:
            if re.search(pattern, low):
                return name
    return ""


def signed_by(text: str) -> str:
    """The group a closing signature names („Fraktionssprecherin der Liste … Kämpfelbach“), or ''."""
    tail = [line.strip() for line in text.strip().splitlines()[-4:] if line.strip()]
    for line in reversed(tail):
        line = re.sub(r"<[^>]+>", "", line)
        if SIGNATURE_ROLE.search(line):
            match = ORGANISATION.search(line)
            if match:
                return match.group(1).strip()
    return ""


SIGNER = re.compile(r"(?:(?:Dr\.|Prof\.)\s+)*[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?(?:\s+[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?){1,2}")


def signer(text: str) -> str:
    """The person who signs at the end: a name on the line above the signature's role
    („Christine Fischer“ over „Fraktionssprecherin der Liste …“), or ''."""
    tail = [re.sub(r"<[^>]+>", "", line).strip() for line in text.strip().splitlines()[-5:]]
    tail = [line for line in tail if line]
    for above, line in zip(tail, tail[1:]):
        if SIGNATURE_ROLE.search(line) and SIGNER.fullmatch(above.rstrip(",")):
            return above.rstrip(",")
    return ""


def resolve_meta(doc_id: str, path: Path, entry: dict | None, extracted) -> DocumentMeta:
    """Manifest entry, then the file's own metadata, then what the text shows, then defaults."""
    entry = entry or {}
    found = extracted.metadata
    fields: dict[str, str] = {}
    origins: dict[str, str] = {}

    def put(key: str, value, origin: str) -> None:
        value = " ".join(str(value or "").split())
        if value and key not in fields:
            fields[key], origins[key] = value, origin

    for key, name in (("title", "title"), ("publisher", "publisher"), ("date", "date"), ("doc_type", "type")):
        put(key, entry.get(name), "manifest")
    markdown = extracted.fmt == "markdown"
    if not is_slug(found.get("title", "")):  # „Post_413“, „haushaltsrede-2024“: a file name, not a title
        put("title", found.get("title"), f"file:{extracted.origins.get('title', '')}")
    put("title", first_heading(extracted.text, markdown), "inferred:erste Überschrift")
    put("publisher", found.get("publisher"), f"file:{extracted.origins.get('publisher', '')}")
    put("publisher", found.get("author"), f"file:{extracted.origins.get('author', '')} (Autor)")
    put("publisher", _organisation(found.get("description", "")), "file:Beschreibung")
    put("publisher", signed_by(extracted.text), "inferred:Unterschrift")
    put("publisher", dateline_body(extracted.text), "inferred:Datumszeile")
    if "date" in found and parse_date(found["date"]):
        put("date", parse_date(found["date"]), f"file:{extracted.origins.get('date', '')}")
    put("date", dateline(extracted.text), "inferred:Datumszeile")
    if parse_date(found.get("created", "")):
        put("date", parse_date(found["created"]), f"file:{extracted.origins.get('created', '')}")
    put("doc_type", found.get("doc_type"), f"file:{extracted.origins.get('doc_type', '')}")
    put("doc_type", guess_type(fields.get("title", ""), extracted.text), "inferred:Schlüsselwort")
    put("title", path.stem, "default:Dateiname")
    put("publisher", "unbekannt", "default")
    put("doc_type", "Dokument", "default")
    date = fields.get("date", "")
    if not date:
        origins["date"] = "default"
    precision = str(entry.get("date_precision") or "exact")
    return DocumentMeta(
        doc_id=doc_id, title=fields["title"], publisher=fields["publisher"], date=date, date_precision=precision,
        doc_type=fields["doc_type"], language=str(entry.get("language") or "de"), cite_as=str(entry.get("cite_as") or ""),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()), source_file=path.name,
        speaker=str(entry.get("speaker") or ""),
        actors=tuple((str(a["name"]), tuple(str(m) for m in a.get("match") or (a["name"],)))
                     for a in entry.get("actors") or () if isinstance(a, dict) and a.get("name")),
        author=found.get("author", "") or signer(extracted.text), reference=str(entry.get("reference") or found.get("reference", "")),
        origins=tuple(sorted((k, v.rstrip(":")) for k, v in origins.items())),
        ocr=bool(getattr(extracted, "ocr", False)),
    )


def _organisation(text: str) -> str:
    match = ORGANISATION.search(text or "")
    return match.group(1).strip() if match else ""
