"""The screens in a real browser: Debian's Chromium driven by Playwright against `facturier run`.

Signs in with the demo login, filters the dashboard, opens a document, writes and issues an
invoice in the editor, downloads its Factur-X and has the referee judge it. Screenshots of
each main screen go to $FACTURIER_SCREENSHOTS (or the test's temporary folder).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FACTURIER = Path(sys.executable).with_name("facturier")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which("chromium") is None,
                                reason="Debian's chromium is not installed (scripts/setup.sh installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {**os.environ, "FACTURIER_DATA_DIR": str(tmp_path / "data"), "FACTURIER_TASKS": "database"}
    env.pop("DATABASE_URL", None)
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([str(FACTURIER), "run", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"facturier run stopped: {(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
    else:
        os.killpg(process.pid, 9)
        pytest.fail("facturier run did not answer within 120 s")
    yield url
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("FACTURIER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_demo_user_writes_issues_and_downloads_an_invoice_in_the_browser(served, shots, referee, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      locale="fr-FR")
        page = context.new_page()
        page.goto(served + "/")
        expect(page).to_have_url(served + "/login/?next=/")
        page.screenshot(path=shots / "01-login.png")
        page.fill("#id_username", "demo@facturier.test")
        page.fill("#id_password", "demo")
        page.click("button[type=submit].primary")
        expect(page.locator("h1")).to_have_text("Factures et avoirs")
        page.screenshot(path=shots / "02-dashboard.png", full_page=True)

        # Filter: unpaid documents only (htmx swaps the results and pushes the URL).
        page.select_option("#id_status", "unpaid")
        expect(page).to_have_url(re.compile(r"status=unpaid"))
        states = page.locator("#results td .state").all_inner_texts()
        assert states and all(s in ("Émise", "Partiellement payée") for s in states)
        page.screenshot(path=shots / "03-dashboard-unpaid.png", full_page=True)

        # Open a document from the list, then its next neighbour.
        page.locator("#results table.docs tbody a").first.click()
        expect(page.locator(".toolbar")).to_be_visible()
        page.screenshot(path=shots / "04-document.png", full_page=True)

        # Write a new invoice in the editor.
        page.goto(served + "/documents/new/")
        page.fill("#customer-q", "BOUL")
        page.locator("#customer-options button.option").first.click()
        expect(page.locator("#customer-chosen")).to_contain_text("BOUL01")
        first = page.locator("#lines tbody tr").first
        first.locator("input[name$='-name']").fill("Audit d'accessibilité")
        first.locator("input[name$='-quantity']").fill("2")
        first.locator("input[name$='-unit_price']").fill("650")
        expect(page.locator("#grand-total")).to_have_text("1 560,00")
        page.click("#add-line")
        second = page.locator("#lines tbody tr").nth(1)
        second.locator("input[name$='-name']").fill("Câble HDMI 2 m")
        second.locator("input[name$='-quantity']").fill("3")
        second.locator("input[name$='-unit_price']").fill("12,50")
        expect(page.locator("#grand-total")).to_have_text("1 605,00")
        page.screenshot(path=shots / "05-editor.png", full_page=True)
        page.click("button[name=then][value=issue]")

        # Confirmation shows the number, then issue.
        expect(page.locator("h1")).to_contain_text("Émettre")
        number = page.locator(".confirm strong.number").inner_text()
        assert number.startswith("FA-")
        page.screenshot(path=shots / "06-issue.png", full_page=True)
        page.locator(".confirm button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text(number)
        page.screenshot(path=shots / "07-issued.png", full_page=True)

        with page.expect_download() as download:
            page.locator(".toolbar a", has_text="Factur-X").click()
        path = tmp_path / "facturx.pdf"
        download.value.save_as(path)

        for url, name in (("/customers/", "08-customers"), ("/settings/", "09-settings"),
                          ("/2fa/setup/", "10-2fa")):
            page.goto(served + url)
            page.screenshot(path=shots / f"{name}.png", full_page=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
        small = phone.new_page()
        small.goto(served + "/")
        small.screenshot(path=shots / "11-phone-dashboard.png")
        browser.close()

    verdict = referee([path])[str(path)]
    assert verdict["passed"], verdict
