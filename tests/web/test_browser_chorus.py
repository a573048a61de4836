"""A newcomer's path, in a real browser against `facturier run` and its Chorus Pro simulator: set up the
Chorus Pro account in the settings (a wrong secret first: the test names the failing step), test it, send
the town hall's invoice and watch its Chorus Pro statuses arrive on the document's page and in the dashboard's
platform column, like the PA's."""

from __future__ import annotations

import time

import pytest
from test_browser import ARGS, CHROMIUM, _free_port, _serve, _stop, sign_in

from facturier.platforms.chorus import simulator as sim


@pytest.fixture
def served_with_chorus(tmp_path):
    port = _free_port()
    process, url, _env = _serve(tmp_path, _free_port(), {
        "FACTURIER_CHORUS_SIMULATOR_URL": f"http://127.0.0.1:{port}", "FACTURIER_CHORUS_SIMULATOR_STEP": "0.5"})
    yield url, f"http://127.0.0.1:{port}"
    _stop(process)


def test_newcomer_sets_up_chorus_pro_tests_it_and_follows_a_public_invoice(served_with_chorus):
    from playwright.sync_api import expect, sync_playwright

    url, chorus = served_with_chorus
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)

        # Settings → Chorus Pro: the simulator's addresses, a wrong secret first.
        page.goto(url + "/settings/")
        page.get_by_role("link", name="Chorus Pro").first.click()
        page.select_option("#id_environment", "custom")
        page.fill("#id_token_url", f"{chorus}/api/oauth/token")
        page.fill("#id_api_url", chorus)
        page.fill("#id_client_id", sim.CLIENT_ID)
        page.fill("#id_client_secret", "not-the-secret")
        page.fill("#id_login", sim.LOGIN)
        page.fill("#id_password", sim.PASSWORD)
        page.click("button[name=action][value=test]")
        report = page.locator("#test-report")
        expect(report).to_contain_text("Échec du test de connexion")
        expect(report.locator("li.failed[data-step=token]")).to_contain_text("identifiant client")
        expect(page.locator("#chorus-state")).to_contain_text("non testé")

        page.fill("#id_client_secret", sim.CLIENT_SECRET)
        page.click("button[name=action][value=test]")
        expect(report).to_contain_text("Test de connexion réussi")
        expect(report.locator("li.ok")).to_have_count(3)
        expect(page.locator("#chorus-state")).to_contain_text("activé")

        # The town hall's requirements are read from Chorus Pro's Structures API and shown with their date.
        row = page.locator("#chorus-buyers tr[data-customer=MAIR08]")
        row.locator("button.chorus-fetch").click()
        expect(page.locator(".messages")).to_contain_text("Mairie de Caluire-et-Cuire")
        row = page.locator("#chorus-buyers tr[data-customer=MAIR08]")
        expect(row.locator("input[name=service_code_required]")).to_be_checked()
        expect(row.locator(".chorus-structure")).to_contain_text("SERV-FIN-01")
        expect(row.locator(".chorus-structure [data-fetched]")).to_have_count(1)

        # The town hall's invoice goes to Chorus Pro.
        page.goto(url + "/customers/")
        page.get_by_role("link", name="MAIR08").click()
        page.locator("tr.s-issued a, tr.s-partially_paid a, tr.s-paid a").first.click()
        document_page = page.url
        expect(page.locator("#send-button")).to_contain_text("Chorus Pro")
        page.locator("#send-button").click()
        expect(page.locator(".messages")).to_be_visible()

        # The worker deposits it; its statuses are read from Chorus Pro.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.goto(document_page)
            if page.locator("#chorus-status [data-state=deposited]").count():
                break
            time.sleep(0.5)
        status = page.locator("#chorus-status")
        expect(status).to_contain_text("Déposée")
        time.sleep(2.5)  # the simulator moves a step every half second
        page.locator("#chorus-refresh").click()
        # Its statuses show like the PA's: on the document's platform section, with their history ...
        expect(page.locator("#platform-current")).to_have_attribute("data-status", "MISE_EN_PAIEMENT")
        expect(page.locator("#platform .pa-history .pa-event")).to_have_count(4)
        expect(page.locator("#platform .pa-history")).to_contain_text("Chorus Pro : Mise à disposition")
        # ... and in the dashboard's platform column and its filter.
        page.goto(url + "/?platform=MISE_EN_PAIEMENT")
        cell = page.locator("#results [data-status=MISE_EN_PAIEMENT]").first
        expect(cell).to_contain_text("Chorus Pro : Mise en paiement")
        page.goto(url + "/?platform=REJETEE")
        expect(page.locator("#results [data-status=MISE_EN_PAIEMENT]")).to_have_count(0)
        browser.close()
