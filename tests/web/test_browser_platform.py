"""A newcomer's path, in a real browser against `facturier run` (which starts the PA simulator and connects
the demo to it): Settings → Approved platform, configure the connection, test it step by step, then a wrong
secret, named at the sign-in step in French."""

from __future__ import annotations

from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401 — the fixture


def test_configure_the_approved_platform_test_it_then_a_wrong_secret_is_named(served):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)

        # The demo is connected out of the box; its connection is removed to configure one from scratch.
        page.goto(url + "/settings/")
        page.get_by_role("link", name="Plateforme agréée").click()
        expect(page.locator("article h2")).to_contain_text("PA simulator (demo)")
        page.get_by_role("button", name="Enlever").click()
        expect(page.locator("#no-connection")).to_be_visible()

        page.get_by_role("link", name="Ajouter une connexion").click()
        page.select_option("#id_platform_id", label="PA simulator (demo)")
        page.fill("#id_client_id", "demo")
        page.fill("#id_client_secret", "demo-secret")
        page.fill("#id_organization_id", "demo")
        page.select_option("#id_flow_syntax", "Factur-X")
        page.click("button[name=action][value=test]")
        report = page.locator(".test-report")
        expect(report).to_contain_text("Test de connexion réussi")
        expect(report.locator("li.ok")).to_have_count(5)
        expect(report.locator("li.failed")).to_have_count(0)
        expect(report).to_contain_text("L'annuaire a 1 ligne(s) pour votre SIREN 884123456")
        expect(page.locator(".connection-state")).to_contain_text("testée")

        # A wrong secret: the test stops at the sign-in step and says so in French.
        page.get_by_role("link", name="Modifier").click()
        page.fill("#id_client_secret", "pas-le-bon")
        page.click("button[name=action][value=test]")
        failed = page.locator(".test-report li.failed")
        expect(failed).to_have_count(1)
        expect(failed).to_have_attribute("data-step", "token")
        expect(failed).to_contain_text("Connexion (jeton d'accès)")
        expect(failed).to_contain_text("La plateforme a refusé l'identifiant client ou le secret")
        expect(page.locator(".messages")).to_contain_text("Échec du test de connexion")
        expect(page.locator(".connection-state")).to_contain_text("dernier test en échec")
        assert "pas-le-bon" not in page.content()
        browser.close()
