"""The paths users take, in a real browser (Debian's Chromium, Playwright) against `facturier run`.

A saved draft is reopened, changed and issued; a credit note is made for some lines of an
issued invoice and its amounts checked on screen. Then every main screen is walked in French
and in English: its screenshot is kept (the folder is printed: $FACTURIER_SCREENSHOTS, else
tests/artefacts/screenshots, which git ignores) and the French pages must not show the English
of a few key labels.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401  (the live server fixture)

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts" / "screenshots"


def _amount(text: str) -> Decimal:
    """ "1 605,00 EUR" or "-1,605.00" → Decimal."""
    cleaned = re.sub(r"[^\d,.\-]", "", text.replace("\u2212", "-"))
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # English grouping
    return Decimal(cleaned.replace(",", "."))



def _language(page, language: str) -> None:
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f"button[name=language][value={language}]").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language


def _summary_value(page, label: str) -> Decimal:
    """An amount of the document's summary card, by its French label."""
    return _amount(page.locator(".summary div, dl div").filter(has=page.locator("dt", has_text=label))
                   .first.locator("dd").inner_text())


def test_a_saved_draft_is_reopened_changed_and_issued_then_credited_for_one_line(served, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=fr-FR"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        sign_in(page, served)
        _language(page, "fr")

        # Create a draft and save it.
        page.goto(served + "/documents/new/")
        page.fill("#customer-q", "BOUL")
        page.locator("#customer-options button.option").first.click()
        expect(page.locator("#customer-chosen")).to_contain_text("BOUL01")
        first = page.locator("#lines tbody tr").first
        first.locator("input[name$='-name']").fill("Audit d'accessibilité")
        first.locator("input[name$='-quantity']").fill("2")
        first.locator("input[name$='-unit_price']").fill("650")
        page.click("#add-line")
        second = page.locator("#lines tbody tr").nth(1)
        second.locator("input[name$='-name']").fill("Câble HDMI 2 m")
        second.locator("input[name$='-quantity']").fill("3")
        second.locator("input[name$='-unit_price']").fill("12,50")
        expect(page.locator("#grand-total")).to_have_text("1 605,00")
        page.click("#editor .actions button.primary")
        expect(page).to_have_url(re.compile(r"/documents/\d+/edit/$"))
        expect(page.locator(".messages")).to_contain_text("Brouillon enregistré")
        document_id = int(re.search(r"/documents/(\d+)/edit/", page.url).group(1))
        expect(page.locator("h1")).to_have_text(f"Modifier Facture (brouillon n° {document_id})")

        # Reopen it from its page, change a line, save: the locked kind is no obstacle.
        page.goto(f"{served}/documents/{document_id}/")
        page.locator(".toolbar a", has_text="Modifier").click()
        expect(page.locator("select[name=kind]")).to_be_disabled()
        page.locator("#lines tbody tr").nth(1).locator("input[name$='-quantity']").fill("4")
        expect(page.locator("#grand-total")).to_have_text("1 620,00")
        page.click("#editor .actions button.primary")
        expect(page.locator(".messages")).to_contain_text("Brouillon enregistré")
        assert "Ce champ est obligatoire" not in page.content()
        expect(page.locator("#grand-total")).to_have_text("1 620,00")

        # Change it again and save-and-issue: the confirmation, then the issued invoice.
        page.locator("#lines tbody tr").first.locator("input[name$='-quantity']").fill("3")
        expect(page.locator("#grand-total")).to_have_text("2 400,00")
        page.click("button[name=then][value=issue]")
        expect(page.locator("h1")).to_contain_text("Émettre")
        number = page.locator(".confirm strong.number").inner_text()
        page.locator(".confirm button[type=submit]").click()
        expect(page.locator("h1")).to_have_text(f"Facture {number}")
        assert _summary_value(page, "Total TTC") == Decimal("2400.00")
        assert _summary_value(page, "Reste dû") == Decimal("2400.00")
        page.screenshot(path=tmp_path / "issued.png", full_page=True)

        # A credit note for the cable only.
        page.locator(".toolbar a", has_text="Avoir").click()
        expect(page.locator("h1")).to_have_text(f"Avoir sur Facture {number}")
        page.locator("#credit-lines tbody tr", has_text="Audit").locator("input[type=checkbox]").uncheck()
        page.click("#credit-lines button.primary")
        expect(page).to_have_url(re.compile(r"/documents/\d+/edit/$"))
        expect(page.locator("h1")).to_contain_text("Avoir (brouillon n°")
        expect(page.locator("#lines tbody tr")).to_have_count(1)
        expect(page.locator("#grand-total")).to_have_text("60,00")  # 4 × 12,50 + 20 % VAT
        # Credit only three of the four cables: the edit of a draft credit note saves too.
        page.locator("#lines tbody tr").first.locator("input[name$='-quantity']").fill("3")
        expect(page.locator("#grand-total")).to_have_text("45,00")
        page.click("button[name=then][value=issue]")
        credit_number = page.locator(".confirm strong.number").inner_text()
        page.locator(".confirm button[type=submit]").click()
        expect(page.locator("h1")).to_have_text(f"Avoir {credit_number}")
        assert _summary_value(page, "Total TTC") == Decimal("-45.00")
        page.screenshot(path=tmp_path / "credit-note.png", full_page=True)

        # The invoice now owes what the credit note left.
        page.goto(f"{served}/documents/{document_id}/")
        assert _summary_value(page, "Reste dû") == Decimal("2355.00")
        page.goto(f"{served}/documents/{document_id}/history/")
        expect(page.locator("main")).to_contain_text(credit_number)
        browser.close()


# --- Every main screen, in French and in English ---------------------------------------------------------------

ENGLISH_IN_FRENCH = {
    "dashboard": ["Invoices and credit notes", "Apply the filters", "Ticked documents", "Printed list",
                  "by payment method", "Amount incl. VAT", "Draft no."],
    "document": ["Record a payment", "Total incl. VAT", "VAT breakdown", "History", "Net amount"],
    "history": ["Audit trail", "Document issued", "Derived documents", " UTC"],
    "payments": ["Record the payment", "Payment date", "Bank transfer"],
    "credit_note": ["Tick the lines", "Create the draft credit note"],
    "draft": ["Issue…", "Edit", "draft no."],
    "editor": ["Save the draft", "Add a line", "Unit price excl. VAT", "Customer and header"],
    "customers": ["New customer", "Search"],
    "customer": ["Addresses", "E-invoicing consent", "New invoice", "Foreign identifier"],
    "customer_form": ["Intra-EU VAT number", "Foreign identifier", "Preferred channel"],
    "settings": ["Legal data", "Numbering", "Users and rights", "Late-penalty rate"],
    "mail_settings": ["SMTP server", "Sender address", "Bounces"],
    "mailbox": ["Mailbox", "Subject"],
    "issue_first": ["Issue and print", "This document is a draft"],
}
HEADINGS = {"fr": {"dashboard": "Factures et avoirs", "settings": "Paramètres"},
            "en": {"dashboard": "Invoices and credit notes", "settings": "Settings"}}


def _screens(page, url: str) -> list[tuple[str, str]]:
    """(name, path) of the main screens, found from the dashboard of the demo."""
    page.goto(url + "/?status=issued&kind=invoice")
    issued = page.locator("#results table.docs tbody td:nth-child(2) a").first.get_attribute("href").split("?")[0]
    page.goto(url + "/?status=draft")
    draft = page.locator("#results table.docs tbody td:nth-child(2) a").first.get_attribute("href").split("?")[0]
    page.goto(url + "/customers/")
    customer = page.locator("main table tbody a").first.get_attribute("href")
    return [("dashboard", "/"), ("document", issued), ("history", issued + "history/"),
            ("payments", issued + "payments/"), ("credit_note", issued + "credit-note/"), ("draft", draft),
            ("editor", draft + "edit/"), ("issue_first", draft + "issue/?then=pdf"), ("customers", "/customers/"),
            ("customer", customer), ("customer_form", customer + "edit/"), ("settings", "/settings/"),
            ("mail_settings", "/settings/mail/"), ("mailbox", "/mail/")]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_main_screen_in_both_languages_is_kept_as_a_screenshot_and_speaks_its_language(served, language):  # noqa: F811
    from playwright.sync_api import sync_playwright

    folder = Path(os.environ.get("FACTURIER_SCREENSHOTS") or ARTEFACTS) / language
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots ({language}): {folder}")
    problems = []
    with sync_playwright() as p:
        locale = "fr-FR" if language == "fr" else "en-GB"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, f"--lang={locale}"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale=locale)
        sign_in(page, served)
        _language(page, language)
        for index, (name, path) in enumerate(_screens(page, served), start=1):
            response = page.goto(served + path)
            assert response is not None and response.status == 200, (name, path, response and response.status)
            assert page.locator("html").get_attribute("lang") == language
            page.screenshot(path=folder / f"{index:02d}-{name}.png", full_page=True)
            text = page.locator("body").inner_text()
            if name in HEADINGS[language]:
                assert HEADINGS[language][name] in page.locator("h1").inner_text(), name
            if language == "fr":
                problems.extend(f"{name}: {label!r}" for label in ENGLISH_IN_FRENCH[name] if label in text)
                if re.search(r"\b\d{4}-\d{2}-\d{2}\b", text):
                    problems.append(f"{name}: an ISO date {re.search(r'[0-9]{4}-[0-9]{2}-[0-9]{2}', text).group(0)}")
            # A favicon on every page.
            assert page.locator("link[rel=icon]").count() == 1, name
        icon = page.request.get(served + page.locator("link[rel=icon]").get_attribute("href"))
        assert icon.status == 200 and b"<svg" in icon.body()
        browser.close()
    assert problems == [], problems
