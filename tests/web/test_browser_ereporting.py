"""In a real browser (Chromium, Playwright) against `facturier run` with the demo: the dashboard shows the
e-reporting due dates; the e-reporting page builds last month's period of the demo's sales to an individual,
which comes out checked, with its file to download; submitted, it is handed to the simulated PA that
`facturier run` starts, whose statuses (deposited, then passed on) show it accepted."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_browser import ARGS, CHROMIUM, _free_port, _serve, _stop, sign_in


@pytest.fixture
def served_env(tmp_path):
    process, url, env = _serve(tmp_path, _free_port())
    yield url, env
    _stop(process)


def test_the_demo_builds_its_b2c_period_sees_it_checked_and_submits_it(served_env):
    from playwright.sync_api import expect, sync_playwright

    url, _env = served_env
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)
        if page.locator("html").get_attribute("lang") != "fr":
            page.locator("button[name=language][value=fr]").click()
            page.wait_for_load_state()
        calendar = page.locator("section.ereporting-calendar")
        expect(calendar.get_by_role("heading", name="Échéances d'e-reporting")).to_be_visible()
        expect(calendar).to_contain_text("Non construit")
        page.get_by_role("link", name="E-reporting", exact=True).first.click()
        page.wait_for_url(re.compile(r"/ereporting/$"))
        row = page.locator(f'tr[data-flow="transactions"][data-start="{last_month.isoformat()}"]')
        expect(row).to_have_count(1)
        row.get_by_role("button", name="Construire maintenant").click()
        page.wait_for_url(re.compile(r"/ereporting/$"))
        expect(page.get_by_text("construit et contrôlé")).to_be_visible()
        expect(row.locator(".ereport-state")).to_contain_text("Contrôlé")
        with page.expect_download() as download:
            row.get_by_role("link", name="Télécharger").click()
        data = Path(download.value.path()).read_bytes()
        assert b"<AggregatedTransactions" in data and b"<Category>TLB1</Category>" in data
        row.get_by_role("button", name="Transmettre maintenant").click()
        page.wait_for_url(re.compile(r"/ereporting/$"))
        expect(page.get_by_text("remis à la plateforme")).to_be_visible()
        expect(row.locator(".ereport-state")).to_contain_text("Transmis")
        # the worker hands it to the simulated PA, which deposits it (200) then passes it on (203): its statuses
        # come back by the demo's webhook and the page shows the report accepted
        for _ in range(90):
            if "203 Mise à disposition" in row.locator(".ereport-state").inner_text():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(row.locator(".ereport-state")).to_contain_text("203 Mise à disposition")
        expect(row.locator(".ereport-state")).to_contain_text("Accepté")
        browser.close()
