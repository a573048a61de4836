"""The operator's metering in a real browser against `facturier run` (its demo operator): the subscriptions
with plan, period, count, tranche, renewal and state, a filter, the CSV export; then a subscriber on the free
plan sees what its plan lacks, offered rather than hidden."""

from __future__ import annotations

from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401  (the live server fixture)


def test_the_operator_filters_and_exports_the_metering_and_a_free_subscriber_sees_what_to_upgrade(
        served, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      locale="fr-FR")
        page = context.new_page()
        sign_in(page, served, "operateur@facturier.test")
        page.goto(served + "/operator/")
        page.get_by_role("link", name="Abonnements et comptage").first.click()
        table = page.locator("#subscriptions")
        growth = table.locator("tr", has_text="Croissance Industrie")
        expect(growth).to_contain_text("Essentiel")
        cells = growth.locator("td")
        expect(cells.nth(2)).to_have_text("950")  # documents counted in the current period
        expect(cells.nth(3)).to_have_text("2")    # 900 → 1,800: the second tranche
        expect(cells.nth(6)).to_have_text("Actif")
        expect(table.locator("tr", has_text="Boutique Gratuite").locator("td").nth(3)).to_have_text("0")

        # the free plan also holds the demo's terminated company: the active ones only
        page.select_option("#id_plan", label="Découverte")
        page.select_option("#id_state", "active")
        page.click("#filter-apply")
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text("Boutique Gratuite")
        with page.expect_download() as download:
            page.click("#csv-export")
        exported = (tmp_path / "usage.csv")
        download.value.save_as(exported)
        lines = exported.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2 and "demo-gratuit" in lines[1] and "Découverte" in lines[1]

        # The subscriber on the free plan: its plan page offers what the plan lacks.
        subscriber = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
        sign_in(subscriber, served, "gratuit@facturier.test")
        subscriber.goto(served + "/settings/plan/")
        expect(subscriber.locator("#plan-count")).to_have_text("7")
        api = subscriber.locator('[data-capability="api"]')
        expect(api).to_contain_text("non incluse dans votre offre")
        expect(api).to_contain_text("Intégral")
        expect(subscriber.locator('[data-capability="archive"]')).to_contain_text("incluse dans votre offre")
        browser.close()
