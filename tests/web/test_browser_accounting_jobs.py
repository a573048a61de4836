"""A big transfer to accounting runs in the worker: the screen shows its progress bar, then its outcome."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_browser import ARGS, CHROMIUM, _free_port, _serve, _stop, sign_in


@pytest.fixture
def served_jobs(tmp_path):
    # Every transfer counts as big: the worker runs it and the screen polls its progress.
    process, url, _env = _serve(tmp_path, _free_port(), {"FACTURIER_ACCOUNTING_SYNC_MAX": "0"})
    yield url
    _stop(process)


def test_big_transfer_shows_a_progress_bar_then_its_result(served_jobs):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, served_jobs)
        page.goto(served_jobs + "/accounting/")
        # The demo's latest transfer is cancelled, so that its documents are there to transfer again.
        latest = page.locator("#transfer-list tbody tr[data-state=open]").first
        latest.get_by_role("button", name="Annuler").click()
        expect(page.locator(".messages")).to_contain_text("annulé")
        page.fill("#id_start", (dt.date.today() - dt.timedelta(days=800)).isoformat())
        page.fill("#id_end", dt.date.today().isoformat())
        page.click("#run-transfer")
        page.wait_for_url(re.compile(r"/accounting/jobs/\d+/$"))
        expect(page.locator("h1")).to_have_text("Transfert en comptabilité")
        expect(page.locator("#transfer-progress")).to_be_visible()
        # The screen polls the worker's progress until the transfer is written, then shows its outcome.
        expect(page.locator("#transfer-job")).to_have_attribute("data-state", "done", timeout=60_000)
        expect(page.locator("#transfer-progress")).to_have_attribute("value", "100")
        expect(page.locator("#transfer-job [role=status]")).to_contain_text(re.compile(r"Transfert n° \d+ :"))
        page.click("text=Voir les transferts")
        expect(page.locator("#transfer-list tbody tr").first).to_have_attribute("data-state", "open")
        browser.close()


def test_settings_screen_maps_item_families_to_revenue_accounts(served_jobs):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, served_jobs)
        page.goto(served_jobs + "/accounting/settings/")
        expect(page.get_by_label("Compte de produits par famille d’articles")).to_be_visible()
        page.fill("#id_family_accounts_text", "FORMATION 706300")  # no “=”: refused, said in French
        page.click("#save-accounting")
        expect(page.locator("#id_family_accounts_text_error")).to_contain_text("FORMATION 706300")
        page.fill("#id_family_accounts_text", "FORMATION = 706300\nLIVRES = 707100")
        page.click("#save-accounting")
        page.wait_for_url(re.compile(r"/accounting/$"))
        expect(page.locator(".messages")).to_contain_text("Paramètres comptables enregistrés")
        page.goto(served_jobs + "/accounting/settings/")
        expect(page.locator("#id_family_accounts_text")).to_have_value("FORMATION = 706300\nLIVRES = 707100")
        browser.close()
