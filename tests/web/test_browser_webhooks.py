"""Webhooks in a real browser (Debian's Chromium, Playwright) against `facturier run` and its worker: a
member adds an endpoint pointing at a real receiver on loopback, copies its secret, sends a test event,
and sees it delivered in the endpoint's log; the receiver verified the signature with that secret."""

from __future__ import annotations

import pytest
from test_browser import ARGS, CHROMIUM, _free_port, _serve, _stop, sign_in  # noqa: F401
from webhook_receiver import Receiver


@pytest.fixture
def served_with_receiver(tmp_path):
    receiver = Receiver()
    process, url, _env = _serve(tmp_path, _free_port(), {"FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS": "true"})
    yield url, receiver
    _stop(process)
    receiver.close()


def test_a_member_adds_an_endpoint_and_sees_the_test_event_delivered_in_its_log(served_with_receiver, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    served, receiver = served_with_receiver
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, served)

        page.goto(served + "/settings/")
        page.get_by_role("link", name="Webhooks").click()
        expect(page.locator("h1")).to_contain_text("Webhooks")
        expect(page.locator("#endpoint-list")).to_contain_text("Aucun point de réception")
        page.fill("#id_url", receiver.url)
        page.fill("#id_description", "ERP comptable")
        page.check("input[name=events][value='document.issued']")
        page.check("input[name=events][value='document.paid']")
        page.click("#add button.primary")
        expect(page.locator(".messages")).to_contain_text("Point de réception ajouté")
        secret = page.locator("#signing-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        page.screenshot(path=tmp_path / "webhook-added.png", full_page=True)

        page.click("#send-test")
        expect(page.locator(".messages")).to_contain_text("Événement de test mis en file")
        for _attempt in range(60):  # the worker of `facturier run` sends it
            if page.locator("#delivery-log tr[data-state=delivered]").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        row = page.locator("#delivery-log tbody tr").first
        expect(row).to_contain_text("webhook.test")
        expect(row.locator(".state")).to_have_text("Remis")
        expect(row).to_contain_text("200")
        assert len(receiver.requests) == 1 and receiver.requests[0].signed
        assert receiver.requests[0].json["type"] == "webhook.test"
        assert row.inner_text().count(receiver.requests[0].json["id"]) == 1

        page.goto(served + "/settings/webhooks/")
        expect(page.locator("#endpoint-list")).to_contain_text("Document émis, Document payé")
        expect(page.locator("#endpoint-list")).to_contain_text("ERP comptable")
        browser.close()
