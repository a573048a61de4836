"""In a real browser (Chromium, Playwright) against `facturier run` with the demo: a contract is made from an
issued invoice, the worker's generation runs (the job's function, in the server's database), and the invoice
it generated is marked on the dashboard as born from that contract."""

from __future__ import annotations

import re
import subprocess

import pytest
from test_browser import ARGS, CHROMIUM, FACTURIER, _free_port, _serve, _stop, sign_in


@pytest.fixture
def served_env(tmp_path):
    process, url, env = _serve(tmp_path, _free_port())
    yield url, env
    _stop(process)


def test_a_contract_made_from_an_invoice_generates_an_invoice_marked_on_the_dashboard(served_env):
    from playwright.sync_api import expect, sync_playwright

    url, env = served_env
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, url)
        if page.locator("html").get_attribute("lang") != "fr":
            page.locator("button[name=language][value=fr]").click()
            page.wait_for_load_state()
        page.goto(url + "/?status=unpaid")
        page.locator("#results tbody tr td:nth-child(2) a").first.click()
        page.get_by_role("link", name="Créer un contrat").click()
        expect(page.locator("h1")).to_contain_text("Nouveau contrat depuis")
        page.fill("#id_name", "Contrat navigateur")
        today = subprocess.run([str(FACTURIER), "shell", "-c", "from django.utils import timezone;"
                                "print(timezone.localdate().isoformat())"], env=env, capture_output=True, text=True,
                               timeout=120, check=True).stdout
        today = re.findall(r"\d{4}-\d{2}-\d{2}", today)[-1]  # the shell may print other lines first
        page.fill("#id_start_date", today)
        page.fill("#id_day_of_month", today[-2:].lstrip("0"))
        page.select_option("#id_action", "issue")
        invalid = page.evaluate("""() => [...document.querySelectorAll('form :invalid')]
            .map(e => `${e.name}=${JSON.stringify(e.value)}: ${e.validationMessage}`)""")
        assert not invalid, invalid
        page.get_by_role("button", name="Démarrer le contrat").click()
        page.wait_for_load_state()
        errors = page.locator(".error, .msg.error, [aria-invalid=true]").all_inner_texts()
        assert not errors, errors
        page.wait_for_url(re.compile(r"/contracts/\d+/$"), timeout=30_000)
        expect(page.locator("h1")).to_have_text("Contrat navigateur")
        expect(page.get_by_text("Rien n'a encore été généré.")).to_be_visible()

        run = subprocess.run([str(FACTURIER), "shell", "-c", "from facturier.contracts.services import generate_due;"
                              "print(generate_due())"], env=env, capture_output=True, text=True, timeout=120,
                             check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        page.reload()
        expect(page.get_by_text("Émise", exact=True)).to_be_visible()
        number = page.locator("table tbody tr td:nth-child(3) a").first.inner_text().split()[-1]

        page.goto(url + "/")
        row = page.locator("#results tbody tr", has=page.get_by_text(number, exact=True))
        expect(row.locator(".tag.contract")).to_have_attribute("title", "Générée par le contrat « Contrat navigateur »")
        browser.close()
