"""In a real browser (Debian's Chromium, Playwright) against `facturier run` with the demo organisation:
upload a Factur-X from the dashboard, see it imported in the report, open the document and its Factur-X."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from import_helpers import CII_EXAMPLES, as_seller, facturx  # noqa: E402
from test_browser import ARGS, CHROMIUM, pytestmark, served, sign_in  # noqa: E402, F401  (the live server fixture)


def test_a_facturx_uploaded_on_the_dashboard_is_imported_and_opens(served, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    pdf = tmp_path / "EXT-BROWSER-1.pdf"
    pdf.write_bytes(facturx(as_seller(CII_EXAMPLES[1].read_bytes(), number="EXT-BROWSER-1")))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=en-GB"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="en-GB")
        sign_in(page, served)
        if page.locator("html").get_attribute("lang") != "en":
            page.locator("button[name=language][value=en]").click()
            page.wait_for_load_state()
        page.locator("details.import-panel summary").click()
        page.set_input_files("#import-files", [str(pdf), str(scan)])
        page.locator("form.import-upload button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
        expect(page.locator("h1")).to_have_text("Import report")
        expect(page.locator("#import-summary")).to_contain_text("1 imported")
        expect(page.locator("#import-summary")).to_contain_text("1 refused")
        imported = page.locator("tr.outcome-imported")
        expect(imported).to_contain_text("EXT-BROWSER-1.pdf")
        expect(page.locator("tr.outcome-refused")).to_contain_text("IMPORT-PDF-NO-XML")

        imported.get_by_role("link", name="EXT-BROWSER-1").click()
        expect(page).to_have_url(re.compile(r"/documents/\d+/$"))
        expect(page.locator("h1")).to_contain_text("EXT-BROWSER-1")
        document_id = re.search(r"/documents/(\d+)/", page.url).group(1)
        response = page.request.get(f"{served}/documents/{document_id}/facturx/")
        assert response.ok and response.body() == pdf.read_bytes()  # the file received, served as it came

        page.goto(served + "/imports/")
        expect(page.locator("table tbody tr").first).to_contain_text("Upload")
        browser.close()
