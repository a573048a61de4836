"""The demo in a real browser against `facturier run`: the demo connection subscribed its webhook at the PA
simulator when the run started, so the statuses of an invoice sent to the PA arrive by signed webhook — the
page is only reloaded, never asked to search — and Settings → Approved platform says the webhook is registered."""

from __future__ import annotations

import re
import time

from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401 — the fixture


def test_the_demo_statuses_arrive_by_webhook_without_asking_the_platform(served):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)
        page.goto(url + "/settings/platform/")
        expect(page.locator(".webhook-state")).to_contain_text("enregistré")
        expect(page.locator(".webhook-state")).not_to_contain_text("non enregistré")

        page.goto(url + "/?customer=PHAR09&status=unpaid")
        page.locator("table.docs tbody tr td:nth-child(2) a").first.click()
        page.wait_for_url(re.compile(r"/documents/\d+/"))
        page.locator("form[action$='/send/'] button").first.click()
        panel = page.locator("section.platform")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "205 Approuvée" not in panel.inner_text():
            time.sleep(1)
            page.reload()  # never the "ask the platform now" button: the statuses come to us
        history = page.locator("section.platform table.pa-history")
        for status in ("200 Déposée", "202 Reçue", "204 Prise en charge", "205 Approuvée"):
            expect(history).to_contain_text(status)
        expect(history).to_contain_text("Webhook")
        browser.close()
