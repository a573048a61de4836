"""Settings → Import by e-mail in a real browser (Debian's Chromium, Playwright) against `facturier run`, whose
worker runs the import SMTP listener: the address is shown and made anew, a sender is added (and a wrong one
refused in words), automatic delivery switched on; an invoice e-mailed to the address by SMTP appears among
the messages received, imported, while one sent to the old address is ignored. In French, then in English."""

from __future__ import annotations

import re
import smtplib
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, _free_port, _serve, _stop, sign_in

DOMAIN = "import.facturier.test"


def _facturx(number: str) -> bytes:
    """A Factur-X PDF of an official example whose seller is the demo organisation."""
    folder = str(Path(__file__).resolve().parents[1] / "imports")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from import_helpers import CII_EXAMPLES, as_seller, facturx

    return facturx(as_seller(CII_EXAMPLES[1].read_bytes(), number=number))


def _send(port: int, to: str, *, subject: str, files: dict[str, bytes]) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "erp@supplier.test", to, subject
    msg["Message-ID"] = make_msgid(domain="supplier.test")
    msg.set_content("Invoices attached.")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(msg, from_addr="erp@supplier.test", to_addrs=[to])


@pytest.fixture
def served_with_import(tmp_path):
    smtp_port = _free_port()
    process, url, _env = _serve(tmp_path, _free_port(), {"FACTURIER_IMPORT_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
                                                         "FACTURIER_IMPORT_MAIL_DOMAIN": DOMAIN})
    deadline = time.monotonic() + 60  # the worker starts the listener a moment after the web server answers
    while True:
        try:
            smtplib.SMTP("127.0.0.1", smtp_port, timeout=5).quit()
            break
        except OSError:
            if time.monotonic() > deadline:
                _stop(process)
                pytest.fail("the worker's import SMTP listener did not start")
            time.sleep(0.5)
    yield url, smtp_port
    _stop(process)


def test_the_import_address_senders_and_automatic_delivery_are_set_and_mail_to_the_address_is_imported(
        served_with_import, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, smtp_port = served_with_import
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, url)
        if page.locator("html").get_attribute("lang") != "fr":
            page.locator("button[name=language][value=fr]").click()
            page.wait_for_load_state()

        page.goto(url + "/settings/")
        page.get_by_role("link", name="Import par e-mail").click()
        expect(page.locator("h1")).to_contain_text("Import par e-mail")
        old = page.locator("#import-address").inner_text()
        assert re.fullmatch(rf"import\+[0-9a-f]{{32}}@{re.escape(DOMAIN)}", old), old

        page.get_by_role("button", name="Créer une nouvelle adresse").click()
        expect(page.locator(".messages")).to_contain_text("ancienne ne fonctionne plus")
        new = page.locator("#import-address").inner_text()
        assert new != old and new.endswith(f"@{DOMAIN}")

        page.fill("#sender-email", "pas une adresse")
        page.get_by_role("button", name="Ajouter l’expéditeur").click()
        expect(page.locator("#senders [role=alert]")).to_contain_text("n’est pas une adresse e-mail")
        page.fill("#sender-email", "ERP@Supplier.test")
        page.get_by_role("button", name="Ajouter l’expéditeur").click()
        expect(page.locator("#senders table")).to_contain_text("erp@supplier.test")

        page.check("#auto-deliver-on")
        page.locator("#auto-deliver button[type=submit]").click()
        expect(page.locator("#auto-deliver")).to_contain_text("Activé : les documents sont envoyés au nom de")
        page.screenshot(path=tmp_path / "import-mail-fr.png", full_page=True)

        # Mail to the old address is ignored; mail to the new one is imported by the worker.
        _send(smtp_port, old, subject="Ancienne adresse", files={"EXT-OLD.pdf": _facturx("EXT-OLD")})
        _send(smtp_port, new, subject="Factures de mars", files={"EXT-B1.pdf": _facturx("EXT-B1")})
        deadline = time.monotonic() + 180  # read, validated and archived by the worker ("being read" meanwhile)
        while time.monotonic() < deadline:
            page.goto(url + "/settings/import-mail/")
            if "Reçu, en cours de lecture" not in (text := page.locator("#received").inner_text()) \
                    and "Factures de mars" in text and "envoyé à" in text:  # read, and its report sent
                break
            time.sleep(1)
        received = page.locator("#received tbody tr")
        expect(received).to_have_count(1)
        expect(received.first).to_contain_text("Factures de mars")
        expect(received.first).to_contain_text("Lu, fichiers importés")
        expect(received.first).to_contain_text("envoyé à erp@supplier.test")
        assert "Ancienne adresse" not in page.locator("#received").inner_text()
        received.first.get_by_role("link", name="rapport d’import").click()
        expect(page.locator("main")).to_contain_text("EXT-B1")
        page.go_back()

        page.locator("button[name=language][value=en]").click()
        page.wait_for_load_state()
        expect(page.locator("h1")).to_contain_text("Import by e-mail")
        expect(page.locator("#received")).to_contain_text("Read, files imported")
        page.screenshot(path=tmp_path / "import-mail-en.png", full_page=True)
        assert refused == []
        browser.close()
