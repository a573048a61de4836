"""The owner terminates the organisation and downloads its archive export, in a real browser (Chromium,
Playwright) against `facturier run` (its worker produces the export); the download verifies offline."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401  (the live server fixture)


def test_the_owner_terminates_and_downloads_the_export_which_verifies_offline(served, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR", accept_downloads=True)
        page = context.new_page()
        sign_in(page, served)

        page.goto(served + "/settings/")
        page.locator("nav.tabs a", has_text="Résiliation").click()
        expect(page.locator("h1")).to_contain_text("Résiliation")
        page.fill("#id_confirm_name", "Atelier Lumiere")
        page.fill("#id_reason", "Nous cessons notre activité")
        page.click("#terminate")
        expect(page.locator(".msg.error")).to_contain_text("Saisissez exactement le nom de l'organisation")
        page.fill("#id_confirm_name", "Atelier Lumière (démo)")
        page.fill("#id_reason", "Nous cessons notre activité")
        page.click("#terminate")
        expect(page.locator(".messages")).to_contain_text("est résiliée")
        expect(page.locator("#read-only-banner")).to_contain_text("lecture seule")

        for _ in range(120):  # the worker of `facturier run` produces the export
            if page.locator("#export-download").count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        expected = page.locator("#export-sha256").inner_text().strip()
        with page.expect_download() as info:
            page.click("#export-download")
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        browser.close()

    assert hashlib.sha256(path.read_bytes()).hexdigest() == expected
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    run = subprocess.run([str(venv / "bin" / "python"), "-I", "-c",
                          "import sys, zipfile; exec(zipfile.ZipFile(sys.argv[1]).read('verify.py'))", str(path)],
                         capture_output=True, text=True, check=False, timeout=600, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "l'export est complet et intact" in run.stdout
