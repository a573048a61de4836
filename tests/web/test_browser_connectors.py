"""A newcomer's path, in a real browser against `facturier run`: configure an SFTP connector to a real
local SFTP server (asyncssh), test it step by step, make it a customer's channel, send one of the
customer's invoices, and see the file arrive and the document "exported via" the connector."""

from __future__ import annotations

import time

import asyncssh
import pytest
from test_browser import ARGS, CHROMIUM, _free_port, _serve, _stop, sign_in


@pytest.fixture
def sftp(tmp_path):
    from facturier.delivery.connectors.sftp_server import SftpServerThread

    key = asyncssh.generate_private_key("ssh-ed25519")
    server = SftpServerThread(tmp_path / "sftp", users={"demo": "demo-sftp"}, host_key=key).start()
    yield server
    server.stop()


@pytest.fixture
def served_outbound(tmp_path):
    process, url, _env = _serve(tmp_path, _free_port(), {"FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS": "true"})
    yield url
    _stop(process)


def add_sftp_connector(page, url: str, port: int) -> None:
    """Settings → Export connectors → an SFTP connector "Dépôt local" to the local server, saved and tested."""
    page.goto(url + "/settings/connectors/")
    page.get_by_role("link", name="Ajouter un connecteur SFTP").click()
    page.fill("#id_name", "Dépôt local")
    page.fill("#id_file_name", "{customer_code}_{number}.{ext}")
    page.fill("#id_host", "127.0.0.1")
    page.fill("#id_port", str(port))
    page.fill("#id_username", "demo")
    page.fill("#id_password", "demo-sftp")
    page.fill("#id_remote_folder", ".")
    page.click("button[name=action][value=test]")


def test_newcomer_configures_an_sftp_connector_tests_it_and_sends_an_invoice_through_it(served_outbound, sftp):
    from playwright.sync_api import expect, sync_playwright

    url = served_outbound
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)

        # Settings → Export connectors → add an SFTP connector, save and test.
        add_sftp_connector(page, url, sftp.port)
        report = page.locator("#test-report")
        expect(report).to_contain_text("Test de connexion réussi")
        expect(report.locator("li.ok")).to_have_count(6)
        expect(report.locator("li.failed")).to_have_count(0)
        expect(page.locator("#connector-state")).to_contain_text("activé")
        expect(page.locator("#host-key")).to_contain_text(sftp.host_key.get_fingerprint("sha256"))

        # The customer BOUL01 receives its invoices through the connector, in UBL (French CIUS).
        page.goto(url + "/customers/")
        page.get_by_role("link", name="BOUL01").click()
        customer_page = page.url
        page.goto(customer_page + "edit/")
        page.select_option("#id_preferred_channel", "connector")
        page.select_option("#id_preferred_connector_id", label="Dépôt local")
        page.select_option("#id_preferred_format", "ubl_fr")
        page.click("form.card button.primary")
        expect(page.locator(".messages")).to_contain_text("BOUL01")

        # Send one of its issued invoices from its page.
        page.goto(customer_page)
        page.locator("tr.s-issued a, tr.s-partially_paid a, tr.s-paid a").first.click()
        number = page.locator("h1").inner_text()
        page.locator("form[action$='/send/'] button").first.click()
        expect(page.locator(".messages")).to_be_visible()

        # The worker sends it: the file arrives, the document's history says "exported via".
        deadline = time.monotonic() + 60
        files = []
        while time.monotonic() < deadline and not files:
            files = [f for f in (sftp.root).iterdir() if f.name.startswith("BOUL01_")]
            time.sleep(0.5)
        assert files, f"nothing arrived for {number}"
        assert b"urn:cen.eu:en16931:2017" in files[0].read_bytes()
        page.get_by_role("link", name="Historique").click()
        expect(page.locator("main")).to_contain_text("Exporté via Dépôt local")
        page.goto(url + "/settings/connectors/")
        page.get_by_role("link", name="Dépôt local").click()
        expect(page.locator("#transfers tbody tr").first).to_contain_text("Envoyé")
        browser.close()
