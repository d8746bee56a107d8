"""`rathaus import oparl` against a local OParl 1.1 server over real HTTP (tests/oparl_server.py):
papers with File.text, DOCX, scanned and table PDFs, paging, incremental runs, deletions, and a
broken server. The fixture objects are validated against the specification's JSON schema."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.oparl_server import FIXTURES, OParlFixture


@pytest.fixture
def oparl():
    with OParlFixture() as server:
        yield server


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RATHAUS_EMBEDDING__MODE", "fake")
    return tmp_path / "data"


def test_fixture_objects_follow_the_oparl_schema(oparl):
    from jsonschema import Draft7Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    schemas = {name: json.loads((FIXTURES / "schema" / f"{name}.json").read_text(encoding="utf-8"))
               for name in ("System", "Paper")}
    embedded = DRAFT7.create_resource({"type": "object", "required": ["id"]})  # see fixtures/oparl/README.md
    registry = Registry().with_resources([(f"https://schema.oparl.org/1.1/{n}.json", embedded)
                                          for n in ("File", "Location", "Consultation")])
    system = httpx.get(oparl.system_url).json()
    Draft7Validator(schemas["System"]).validate(system)
    pages, url = 0, httpx.get(system["body"]).json()["data"][0]["paper"]
    validator = Draft7Validator(schemas["Paper"], registry=registry)
    while url:
        page = httpx.get(url).json()
        pages += 1
        for paper in page["data"]:
            validator.validate(paper)
        url = page["links"].get("next")
    assert pages >= 3
    with pytest.raises(Exception):
        validator.validate({"id": "x", "type": "https://schema.oparl.org/1.0/Paper"})  # the check can fail


def test_import_answers_from_papers_and_is_incremental(oparl, env, capsys):
    from cli import main

    assert main(["import", "oparl", oparl.system_url]) == 0
    out = capsys.readouterr().out
    assert "6 Drucksachen" in out and "1 Sitzungen" in out
    assert main(["docs", "--json"]) == 0
    docs = {d["doc_id"]: d for d in json.loads(capsys.readouterr().out)}
    assert docs["drucksache-1"]["reference"] == "AN/0012/2025" and docs["drucksache-1"]["type"] == "Antrag"
    assert docs["drucksache-1"]["publisher"] == "Stadt Musterhausen" and docs["drucksache-1"]["date"] == "2025-10-02"
    assert docs["drucksache-3"]["ocr"] is True  # the scanned PDF was recognised
    assert docs["drucksache-749"]["title"] == "Antwort auf Anfrage 1200/2014"  # the specification's example

    assert main(["ask", "Wie lang soll der Radweg an der Kanalstraße werden?"]) == 0
    answer = capsys.readouterr().out
    assert "2,5 Kilometer" in answer and "Vorlage AN/0012/2025" in answer
    assert main(["ask", "Was kostet die Sanierung des Hallenbads Nord?"]) == 0
    assert "7,8 Millionen Euro" in capsys.readouterr().out
    assert main(["ask", "Wie viele Ja-Stimmen hatte die SPD beim Haushalt?"]) == 0
    assert "Ja: 14" in capsys.readouterr().out

    oparl.change(5, "Die Fraktion fragt, wann die Straßenbeleuchtung im Ortsteil Süd auf LED umgestellt wird "
                    "und was die Umstellung kostet.")
    oparl.requests.clear()
    assert main(["import", "oparl", oparl.system_url]) == 0
    out = capsys.readouterr().out
    assert "1 Drucksachen" in out and "1 geändert" in out and "0 neu" in out
    assert not [r for r in oparl.requests if "/files/" in r]  # nothing downloaded again
    assert all("modified_since=" in r for r in oparl.requests if "/papers/" in r)

    oparl.delete(1)
    assert main(["import", "oparl", oparl.system_url]) == 0
    assert "1 entfernt" in capsys.readouterr().out
    assert main(["docs", "--json"]) == 0
    assert "drucksache-1" not in {d["doc_id"] for d in json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize("mode,reason", [("invalid-json", "kein gültiges JSON"), ("slow", "nicht erreichbar"),
                                         ("loop", "im Kreis")])
def test_a_broken_server_gives_one_german_line_and_the_import_can_be_rerun(oparl, env, capsys, mode, reason):
    from cli import main

    oparl.mode = mode
    assert main(["import", "oparl", oparl.system_url, "--timeout", "1", "--delay", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Fehler:") and reason in err and "Traceback" not in err
    oparl.mode = ""
    assert main(["import", "oparl", oparl.system_url, "--delay", "0"]) == 0
    assert "6 Drucksachen" in capsys.readouterr().out


def test_unreachable_endpoint(env, capsys):
    from cli import main

    assert main(["import", "oparl", "http://127.0.0.1:9/oparl/v1/system", "--timeout", "1", "--delay", "0"]) == 1
    assert "nicht erreichbar" in capsys.readouterr().err
