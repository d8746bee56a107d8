"""A real headless Chromium (Debian's, driven by Playwright): ask, see the answer and a source,
see the cited passage highlighted in the document viewer; a screenshot goes to tests/artifacts/."""

from __future__ import annotations

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
        page.locator("#rc-chat").get_by_text("Bis zu 45 Mitarbeitende", exact=False).first.wait_for(timeout=30000)
        page.locator("#rc-sources").get_by_text("OB Kalouti im Sondereinsatz", exact=False).first.wait_for(timeout=10000)
        mark = page.locator("#rc-viewer mark#rc-cited")
        mark.wait_for(timeout=15000)
        assert "45 Mitarbeitende" in mark.inner_text()
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        assert "automatisch" in page.locator("#rc-notice").inner_text()
        browser.close()
