"""The reform's path in a real browser against `facturier run` (PA simulator started, demo connected): a
customer set to receive through the approved platform, one of its invoices sent, and its life-cycle statuses
arriving on the document's page (200 → 202 → 204 → 205) and in the dashboard's platform column; a customer
missing from the PA directory is refused with the reason."""

from __future__ import annotations

import re
import time

from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401 — the fixture


def _through_the_pa(page, url: str, code: str) -> None:
    page.goto(url + f"/customers/?q={code}")
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    page.goto(page.url + "edit/")
    page.select_option("#id_preferred_channel", "platform")
    page.click("form.card button[type=submit].primary")
    page.wait_for_url(re.compile(r"/customers/\d+/$"))


def _first_issued(page, url: str, code: str) -> None:
    page.goto(url + f"/?customer={code}&status=issued")
    page.locator("table.docs tbody tr td:nth-child(2) a").first.click()
    page.wait_for_url(re.compile(r"/documents/\d+/"))


def test_an_invoice_goes_to_the_pa_and_its_statuses_arrive_on_its_page(served):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)
        _through_the_pa(page, url, "BOUL01")
        _first_issued(page, url, "BOUL01")
        send = page.locator("form[action$='/send/'] button").first
        expect(send).to_have_text("Envoyer à la plateforme agréée")
        send.click()
        panel = page.locator("section.platform")
        expect(panel).to_contain_text("Entreprise française présente dans l'annuaire")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the worker submits; the platform's statuses are searched
            if "205 Approuvée" in panel.inner_text():
                break
            if page.locator("#platform-poll").count():
                page.locator("#platform-poll").click()
            else:
                page.reload()
            time.sleep(1)
        history = page.locator("section.platform table.pa-history").inner_text()
        for status in ("200 Déposée", "202 Reçue", "204 Prise en charge", "205 Approuvée"):
            assert status in history, history
        # the PA has it: the button no longer offers to send it again, and says why
        again = page.locator("#send-button")
        expect(again).to_be_disabled()
        assert "avoir ou une facture rectificative" in again.get_attribute("title")
        page.goto(url + "/?platform=205")
        expect(page.locator("table.docs")).to_contain_text("205 Approuvée")

        # RECY10 has no line in the PA directory: refused, saying so.
        _through_the_pa(page, url, "RECY10")
        _first_issued(page, url, "RECY10")
        page.locator("form[action$='/send/'] button").first.click()
        expect(page.locator("body")).to_contain_text("n'a aucune ligne pour le SIREN 800123457")
        browser.close()


def test_the_demo_pharmacy_receives_through_the_pa_and_a_payment_sends_212(served):  # noqa: F811
    """The demo's own path (no setting changed): PHAR09's channel is the platform; its invoice is approved, then
    a payment is recorded and the seller's status 212 "Encaissée" leaves for the PA (VAT due on receipts)."""
    from playwright.sync_api import expect, sync_playwright

    url = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)
        page.goto(url + "/?customer=PHAR09&status=unpaid")
        page.locator("table.docs tbody tr td:nth-child(2) a").first.click()
        page.wait_for_url(re.compile(r"/documents/\d+/"))
        document_url = page.url.split("?")[0]  # the dashboard's filters ride along for Previous/Next
        send = page.locator("form[action$='/send/'] button").first
        expect(send).to_have_text("Envoyer à la plateforme agréée")
        send.click()
        panel = page.locator("section.platform")

        def wait_for(text: str) -> str:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if text in panel.inner_text():
                    break
                if page.locator("#platform-poll").count():
                    page.locator("#platform-poll").click()
                else:
                    page.reload()
                time.sleep(1)
            return panel.inner_text()

        assert "205 Approuvée" in wait_for("205 Approuvée")
        page.goto(document_url + "payments/")
        page.get_by_role("button", name="Enregistrer le règlement").click()
        expect(page.locator("body")).to_contain_text("Règlements enregistrés")
        page.goto(document_url)
        assert "-212-" in wait_for("-212-")  # the 212's flow handed to the PA (tracking id <document>-212-<payment>)
        browser.close()
