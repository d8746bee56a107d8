"""A real headless Chromium (Debian's, driven by Playwright): ask, see the answer and a source,
see the cited passage highlighted in the document viewer; a screenshot goes to tests/artifacts/."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from tests.test_app import app_url  # noqa: F401  (the launched app fixture)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.model]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_ask_and_see_the_highlighted_source(app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: `make browser` installs it"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url, wait_until="domcontentloaded")
        page.locator("#rc-question textarea").wait_for(timeout=60000)
        page.locator("#rc-question textarea").fill("Wie viele Mitarbeitende des KOD sind täglich im Einsatz?")
        page.locator("#rc-send").click()
        answer = page.locator("#rc-chat").get_by_text("Bis zu 45 Mitarbeitende", exact=False).first
        answer.wait_for(timeout=30000)
        page.locator("#rc-sources").get_by_text("OB Kalouti im Sondereinsatz", exact=False).first.wait_for(timeout=10000)
        page.wait_for_timeout(500)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        copy = page.locator("#rc-sources .rc-copy").first  # „Zitat kopieren“: German citation form
        copy.click()
        page.get_by_text("Kopiert ✓").first.wait_for(timeout=5000)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("„") and "“ (OB Kalouti im Sondereinsatz" in copied and "Abschnitt „" in copied, copied
        box = answer.bounding_box()  # the answer stays in view: the page does not jump to the viewer
        assert box and 0 <= box["y"] < page.viewport_size["height"], box
        assert page.locator("#rc-viewer mark#rc-cited").count() == 0  # the viewer opens on a click only
        page.locator("#rc-pick label").first.click()
        mark = page.locator("#rc-viewer mark#rc-cited")
        mark.wait_for(timeout=15000)
        assert "45 Mitarbeitende" in mark.inner_text()
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        assert "automatisch" in page.locator("#rc-notice").inner_text()
        browser.close()


def test_promise_tab_filters_and_opens_the_source(app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Versprechen").click()
        table = page.locator("#rc-promises")
        table.get_by_text("OB Alexander Kalouti", exact=False).first.wait_for(timeout=30000)
        page.locator("#rc-p-search textarea, #rc-p-search input").first.fill("Klimaneutralität bis 2035 ist unser Ziel")
        page.locator("#rc-p-count").get_by_text("1 Aussage", exact=True).wait_for(timeout=15000)
        cell = table.get_by_role("gridcell").filter(has_text="Klimaneutralität bis 2035 ist unser Ziel.").first
        cell.wait_for(timeout=15000)
        cell.click()
        mark = page.locator("#rc-p-viewer mark#rc-cited")
        mark.wait_for(timeout=15000)
        assert mark.inner_text().strip() == "Klimaneutralität bis 2035 ist unser Ziel."
        with page.expect_download(timeout=15000) as download:
            page.locator("#rc-p-export").click()
        assert download.value.suggested_filename.startswith("versprechen-20")
        content = Path(download.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(content), delimiter=";"))  # a German spreadsheet splits at ;
        assert rows[0][:4] == ["Akteur", "Thema", "Art", "Aussage"] and len(rows) == 2 and len(rows[1]) == len(rows[0])
        page.screenshot(path=str(ARTIFACTS / "versprechen.png"), full_page=True)
        browser.close()


HOSTILE_TEXT = ("Antrag zum Spielplatz\n\nDas Formular für den Spielplatz gibt es unter [Offizielles Antragsformular "
                "der Stadt](http://phish.example/formular) und als Bild ![Plan](http://leak.example/leak.gif?who=visitor). "
                "Mehr zum Spielplatz unter <https://auto.example/link> oder www.boese.example/formular heute.\n")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The app over one document whose text is Markdown pointing at other hosts (fake embedder)."""
    import app as webapp
    from assistant.wiring import build_assistant, build_search_index
    from tests.conftest import indexed_folder
    from tests.test_app import free_port

    settings = indexed_folder(tmp_path_factory.mktemp("hostile-app"), {"spielplatz.txt": HOSTILE_TEXT})
    blocks = webapp.build_app(build_assistant(settings, build_search_index(settings)), settings)
    running = webapp.launch(blocks, settings, "127.0.0.1", free_port(), block=False)
    yield running.url
    running.close()
    blocks.close()


def test_document_markdown_never_becomes_a_link_image_or_request(hostile_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        hosts: list[str] = []
        page.on("request", lambda request: hosts.append(request.url))
        page.goto(hostile_app, wait_until="domcontentloaded")
        page.locator("#rc-question textarea").wait_for(timeout=60000)
        page.locator("#rc-question textarea").fill("Wo gibt es das Formular für den Spielplatz?")
        page.locator("#rc-send").click()
        chat = page.locator("#rc-chat")
        chat.get_by_text("Offizielles Antragsformular", exact=False).first.wait_for(timeout=30000)
        page.wait_for_timeout(1500)  # give any image or prefetch the time to fire
        for selector in ("a[href*='example']", "img[src*='example']"):
            assert page.locator(selector).count() == 0, selector
        shown = chat.inner_text()
        assert "[Offizielles Antragsformular der Stadt](http://phish.example/formular)" in shown  # shown literally
        foreign = [url for url in hosts if not url.startswith(hostile_app.rstrip("/")) and not url.startswith("data:")]
        assert not foreign, foreign
        browser.close()


CONTRAST_JS = """(sel) => {
  const el = document.querySelector(sel);
  const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = c => { const v = c.map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  let bgEl = el, bg = getComputedStyle(bgEl).backgroundColor;
  while (bgEl && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bgEl = bgEl.parentElement; bg = bgEl ? getComputedStyle(bgEl).backgroundColor : 'rgb(255,255,255)'; }
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(bg));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_german_accessible_start_screen_and_keyboard_only_asking(app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for width, height, name in ((1366, 768, "laptop"), (390, 844, "phone")):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(app_url, wait_until="domcontentloaded")
            page.locator("#rc-question textarea").wait_for(timeout=60000)
            assert page.evaluate("document.documentElement.lang") == "de"
            assert "5 Dokumente (2023 bis 2025)" in page.locator("#rc-overview").inner_text()
            send = page.locator("#rc-send").bounding_box()  # the question box and its button above the fold
            assert send and send["y"] + send["height"] <= height, (name, send)
            assert page.evaluate(CONTRAST_JS, "#rc-send") >= 4.5
            page.screenshot(path=str(ARTIFACTS / f"start-{name}.png"))
            page.close()
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(app_url, wait_until="domcontentloaded")
        page.locator("#rc-question textarea").wait_for(timeout=60000)
        for _ in range(60):  # keyboard only: Tab until the question box has the focus
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.closest('#rc-question') !== null"):
                break
        else:
            raise AssertionError("the question box cannot be reached with Tab")
        page.keyboard.type("Wo wurde Kalouti geboren?")
        page.keyboard.press("Enter")
        page.locator("#rc-chat").get_by_text("Beirut", exact=False).first.wait_for(timeout=30000)
        page.get_by_text("Was hat der neue OB versprochen?", exact=True).first.click()  # an example asks at once
        page.locator("#rc-chat").get_by_text("Sauberkeit", exact=False).first.wait_for(timeout=30000)
        browser.close()


LABELS_JS = """() => [...new Set([...document.querySelectorAll('[aria-label],[title],[alt]')]
  .flatMap(e => ['aria-label', 'title', 'alt'].map(a => e.getAttribute(a)).filter(Boolean)))]"""


def test_gradio_speaks_german_in_an_english_browser(app_url):  # noqa: F811
    """Gradio's own strings follow the browser's language; the app is German whatever the browser's is:
    footer, screen-reader labels of messages, tables and buttons."""
    from playwright.sync_api import sync_playwright

    from ui.server import GRADIO_LABELS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="en-US")
        page.goto(app_url, wait_until="domcontentloaded")
        page.locator("#rc-question textarea").fill("Wo wurde Kalouti geboren?")
        page.locator("#rc-send").click()
        page.locator("#rc-chat").get_by_text("Beirut", exact=False).first.wait_for(timeout=30000)
        for tab in ("Versprechen", "Dokumente", "Chat"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(500)
        assert "Über API verwenden" in page.locator("footer").inner_text()
        labels = page.evaluate(LABELS_JS)
        english = [label for label in labels if label in GRADIO_LABELS or label.startswith(("user's", "bot's"))]
        assert not english, english
        assert any(label.startswith("Ihre Frage: Wo wurde Kalouti geboren?") for label in labels)
        assert any(label.startswith("Antwort: ") and "\\" not in label and "**" not in label for label in labels)
        browser.close()


TABLE_FITS_JS = """(selector) => {
  const root = document.querySelector(selector);
  const cells = [...root.querySelectorAll('th, [role=columnheader]')].filter(c => c.getBoundingClientRect().width > 0);
  const right = Math.max(...cells.map(c => c.getBoundingClientRect().right));
  return {cells: cells.length, right: right, width: document.documentElement.clientWidth};
}"""


def test_filters_are_shown_and_reset_and_tables_fit_a_phone(app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(app_url, wait_until="domcontentloaded")
        page.locator("#rc-question textarea").wait_for(timeout=60000)
        page.get_by_text("Filter", exact=True).first.click()
        page.get_by_label("Dokumenttyp").first.click()
        page.get_by_role("option", name="Projektpapier").first.click()
        page.locator("#rc-filters").get_by_text("Aktive Filter", exact=False).wait_for(timeout=10000)
        assert "Typ: Projektpapier" in page.locator("#rc-filters").inner_text()
        page.screenshot(path=str(ARTIFACTS / "filter.png"))
        page.locator("#rc-new").click()  # „Neue Unterhaltung“ resets the filters too
        page.wait_for_function("!document.querySelector('#rc-filters').innerText.includes('Aktive Filter')", timeout=10000)
        page.close()
        for tab, selector in (("Dokumente", "#rc-documents"), ("Versprechen", "#rc-promises")):
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_role("tab", name=tab).click()
            page.locator(selector).get_by_role("gridcell").first.wait_for(timeout=30000)
            fits = page.evaluate(TABLE_FITS_JS, selector)
            page.screenshot(path=str(ARTIFACTS / f"{tab.lower()}-phone.png"), full_page=True)
            assert fits["cells"] >= 5 and fits["right"] <= fits["width"] + 1, (tab, fits)  # no column cut off
            page.close()
        browser.close()


def test_lost_connection_keeps_the_question_and_offers_to_retry(tmp_path):
    """The server goes away: the question is kept and a German notice offers „Erneut versuchen“; Gradio
    reloads the page when the server is back, the notice is still there, and the retry is answered."""
    from playwright.sync_api import sync_playwright

    import app as webapp
    from assistant.wiring import build_assistant, build_search_index
    from tests.conftest import indexed_folder
    from tests.test_app import free_port

    settings = indexed_folder(tmp_path, {"wall.txt": "Titel\n\nDie Stadt plant eine Fahrradstraße am Wall.\n"})
    assistant = build_assistant(settings, build_search_index(settings))
    port = free_port()
    running = webapp.launch(webapp.build_app(assistant, settings), settings, "127.0.0.1", port, block=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(running.url, wait_until="domcontentloaded")
            page.locator("#rc-question textarea").wait_for(timeout=60000)
            running.close()  # the server stops
            page.locator("#rc-question textarea").fill("Was plant die Stadt am Wall?")
            page.locator("#rc-send").click()
            notice = page.locator("#rc-lost")
            notice.wait_for(timeout=30000)
            assert "Verbindung zum Server war unterbrochen" in notice.inner_text()
            assert "„Was plant die Stadt am Wall?“" in notice.inner_text()
            page.screenshot(path=str(ARTIFACTS / "verbindung-verloren.png"))
            running = webapp.launch(webapp.build_app(assistant, settings), settings, "127.0.0.1", port, block=False)
            page.locator("#rc-lost button").get_by_text("Erneut versuchen").wait_for(timeout=30000)  # after the reload
            answer = page.locator("#rc-chat").get_by_text("Fahrradstraße", exact=False).first
            for _ in range(15):  # as a person would: click „Erneut versuchen“ (again, if Gradio reloaded meanwhile)
                retry = page.locator("#rc-lost button")
                if retry.count() and retry.is_enabled():
                    retry.click()
                page.wait_for_timeout(1500)
                if answer.count():
                    break
            answer.wait_for(timeout=30000)
            assert page.locator("#rc-lost").count() == 0
            browser.close()
    finally:
        running.close()
