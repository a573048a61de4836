"""Dates on the screens, in a real browser (Debian's Chromium, Playwright) against `facturier run`.

A French business user who switches to English must not meet the American 12/06/2026: English
screens write "6 Dec 2026" (as the English documents do), French ones 06/12/2026, and neither
shows an ISO date. Every screen that shows a date is walked in both languages; a payment is
recorded through the date picker in each, and its date read back from the list.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_browser import ARGS, CHROMIUM, served, sign_in  # noqa: F401  (the live server fixture)
from test_browser_paths import _language, _screens

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
SHAPES = {
    "en": re.compile(rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b"),  # 6 Dec 2026
    "fr": re.compile(r"\b\d{2}/\d{2}/\d{4}\b"),  # 06/12/2026
}
WRONG = {
    "en": [re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"), re.compile(r"\b\d{4}-\d{2}-\d{2}\b")],
    "fr": [re.compile(rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b"), re.compile(r"\b\d{4}-\d{2}-\d{2}\b")],
}
DATED = {"dashboard", "document", "history", "payments", "customer", "settings"}
"""The main screens (see test_browser_paths._screens) that show at least one date in the demo."""
TIMED = {"history"}
"""Screens that show moments: the date, then the time in 24 hours."""


def shown(day: dt.date, language: str) -> str:
    return f"{day.day} {day:%b} {day.year}" if language == "en" else f"{day:%d/%m/%Y}"


def _main_text(page) -> str:
    """The screen's text, without the preview of an e-mail: that one is in the e-mail's own
    language, which may not be the screen's (a French template previewed on an English screen)."""
    text = page.locator("main").inner_text()
    for preview in page.locator("main .preview").all_inner_texts():
        text = text.replace(preview, "")
    return text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_screen_with_a_date_shows_it_unambiguously_in_the_users_language(served, language):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        # an American browser: what it prefers must not decide the shape of the dates
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=en-US"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="en-US")
        sign_in(page, served)
        _language(page, "fr")
        _language(page, language)  # switched on the screen, as a user does
        screens = dict(_screens(page, served))

        for name, path in screens.items():
            page.goto(served + path)
            text = _main_text(page)
            if name in DATED and not SHAPES[language].search(text):
                problems.append(f"{name}: no date written {shown(dt.date(2026, 12, 6), language)!r}")
            problems.extend(f"{name}: {m.group(0)!r}" for wrong in WRONG[language] for m in wrong.finditer(text))
            if name in TIMED:
                moment = re.compile(SHAPES[language].pattern + (r", \d{2}:\d{2}\b" if language == "en" else
                                                                r" \d{2}:\d{2}\b"))
                if not moment.search(text):
                    problems.append(f"{name}: no moment with a 24-hour time")

        # The dashboard's date columns, cell by cell.
        page.goto(served + "/?status=issued")
        cells = page.locator("#results table.docs tbody tr td:nth-child(3)").all_inner_texts()
        assert cells, "the demo has issued documents"
        assert all(SHAPES[language].fullmatch(c.strip()) for c in cells), cells

        # A payment through the date picker (it sends ISO); the list writes it the user's way.
        today = dt.date.today()
        page.goto(served + screens["payments"])
        page.fill("input[name=date]", today.isoformat())
        page.fill("input[name=amount]", "10.00" if language == "en" else "10,00")
        page.locator("form.card button.primary").click()
        expect(page.locator("#list + .tablewrap tbody")).to_contain_text(shown(today, language))
        first = page.locator("#list + .tablewrap tbody tr").first.locator("td").first.inner_text().strip()
        assert SHAPES[language].fullmatch(first), first
        assert "Ce champ" not in page.content() and "This field" not in page.content()

        # A dashboard filter by date: the picker's value is accepted and kept.
        page.goto(served + f"/?date_from={today.replace(month=1, day=1).isoformat()}")
        assert page.locator("input[name=date_from]").input_value() == today.replace(month=1, day=1).isoformat()
        browser.close()
    assert problems == [], problems
