"""In a real browser against `facturier run` (demo data, French): the send button and the message after
sending name the customer's channel — by post (no button that pretends to send), through an export
connector (and the file arrives) — and the editor asks for the buyer reference of a customer who receives
XRechnung, proposing its default Leitweg-ID."""

from __future__ import annotations

import re
import time

from test_browser import ARGS, CHROMIUM, sign_in
from test_browser_connectors import add_sftp_connector, served_outbound, sftp  # noqa: F401 — the fixtures


def _edit_customer(page, url, code, **choices):
    page.goto(url + "/customers/")
    page.get_by_role("link", name=code).click()
    customer_page = page.url
    page.goto(customer_page + "edit/")
    for selector, value in choices.items():
        if selector.startswith("fill:"):
            page.fill(selector[5:], value)
        elif selector.startswith("label:"):
            page.select_option(selector[6:], label=value)
        else:
            page.select_option(selector, value)
    page.click("form.card button.primary")
    page.wait_for_url(customer_page)
    return customer_page


def test_the_send_button_and_message_name_the_channel_and_the_editor_asks_for_the_leitweg_id(served_outbound, sftp):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url = served_outbound
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)

        # An SFTP connector to the local server, tested (so enabled).
        add_sftp_connector(page, url, sftp.port)
        expect(page.locator("#connector-state")).to_contain_text("activé")

        # BOUL01 receives its invoices by post: its invoice's page offers no sending, and says why.
        customer_page = _edit_customer(page, url, "BOUL01", **{"#id_preferred_channel": "post"})
        page.locator("tr.s-issued a, tr.s-partially_paid a, tr.s-paid a").first.click()
        invoice_page = page.url
        number = page.locator("h1").inner_text()
        button = page.locator("#send-button")
        expect(button).to_have_text("Envoyer par courrier")
        expect(button).to_be_disabled()
        expect(button).to_have_attribute("title", re.compile("par courrier : imprimez le PDF"))

        # Through the connector: the button and the message name it, and the file arrives.
        _edit_customer(page, url, "BOUL01", **{"#id_preferred_channel": "connector",
                                                "label:#id_preferred_connector_id": "Dépôt local"})
        page.goto(invoice_page)
        expect(page.locator("#send-button")).to_have_text("Envoyer via Dépôt local")
        page.locator("#send-button").click()
        expect(page.locator(".messages")).to_contain_text("1 document en file d'export via Dépôt local.")
        expect(page.locator(".messages")).not_to_contain_text("par e-mail")
        deadline = time.monotonic() + 60
        files = []
        while time.monotonic() < deadline and not files:
            files = [f for f in sftp.root.iterdir() if f.name.startswith("BOUL01_")]
            time.sleep(0.5)
        assert files, f"nothing arrived for {number}"
        assert customer_page

        # BERL12 needs XRechnung: a new invoice proposes its Leitweg-ID and marks the field required.
        berlin = _edit_customer(page, url, "BERL12", **{"#id_preferred_format": "xrechnung_ubl",
                                                         "fill:#id_buyer_reference": "04011000-12345-03"})
        customer_id = re.search(r"/customers/(\d+)/", berlin).group(1)
        page.goto(url + f"/documents/new/?customer={customer_id}")
        field = page.locator("#id_buyer_reference")
        expect(field).to_have_value("04011000-12345-03")
        expect(field).to_have_attribute("required", "")
        expect(page.locator("#id_buyer_reference_help")).to_contain_text(
            "Obligatoire : Berliner Design GmbH reçoit ses factures au format XRechnung")
        browser.close()
