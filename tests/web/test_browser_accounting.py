"""A newcomer transfers to accounting, downloads the FEC and filters the dashboard, in a real browser."""

from __future__ import annotations

import re

from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401  (the live server fixture)

from facturier.accounting import fec_check


def test_newcomer_runs_a_transfer_downloads_the_fec_and_sees_the_accounted_filter(served, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      locale="fr-FR")
        page = context.new_page()
        sign_in(page, served)
        page.get_by_role("link", name="Comptabilité").first.click()
        expect(page.locator("h1")).to_have_text("Comptabilité")
        before = page.locator("#transfer-list tbody tr[data-state]").count()
        assert before >= 2  # the demo's history
        page.click("#run-transfer")
        expect(page.locator(".messages")).to_contain_text(re.compile(r"Transfert n° \d+ :|Rien à transférer"))
        with page.expect_download() as download:
            page.select_option("#id_format", "fec")
            page.click("#download-export")
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert re.fullmatch(r"\d{9}FEC\d{8}\.txt", path.name)
        assert fec_check.check(path.read_text().splitlines(keepends=True)) == []
        page.goto(served + "/?accounted=accounted")
        expect(page.locator("#id_accounted")).to_have_value("accounted")
        expect(page.locator("span.tag.accounted").first).to_contain_text("comptabilisé")
        page.goto(served + "/?accounted=not_accounted&status=issued")
        expect(page.locator("span.tag.accounted")).to_have_count(0)
        browser.close()
