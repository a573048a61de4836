"""In a real browser (Debian's Chromium, Playwright) against `facturier run`: a key is created in the
settings, its secret shown once, used, then revoked; the API's docs page loads with no CSP refusal."""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from test_browser import ARGS, CHROMIUM, _watch, pytestmark, served, sign_in  # noqa: E402, F401


def _status(url: str, secret: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_key_is_created_shown_once_used_and_revoked_in_the_settings(served):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="en-GB")
        _watch(context, refused)
        page = context.new_page()
        sign_in(page, served)

        page.goto(served + "/settings/api-keys/")
        page.fill("#id_name", "ERP")
        page.check("input[name=scopes][value='documents:write']")
        page.click("#create button.primary")
        secret = page.locator("#new-key-secret").inner_text().strip()
        assert secret.startswith("fk_")
        expect(page.locator("#keys tbody")).to_contain_text("ERP")
        assert _status(served + "/api/v1/documents?limit=1", secret) == 200

        page.goto(served + "/settings/api-keys/")  # shown once: never again
        expect(page.locator("#new-key-secret")).to_have_count(0)
        assert secret not in page.content()
        page.locator("#keys tbody tr", has_text="ERP").locator("button.danger").click()
        expect(page.locator("#keys tbody tr", has_text="ERP")).to_contain_text(re.compile("revoked|révoquée"))
        assert _status(served + "/api/v1/documents?limit=1", secret) == 401

        page.goto(served + "/api/v1/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Facturier API", timeout=20000)
        expect(page.locator(".opblock").first).to_be_visible()
        browser.close()
    assert refused == [], refused
    schema = json.load(urllib.request.urlopen(served + "/api/v1/openapi.json", timeout=10))
    assert "bearerAuth" in json.dumps(schema["components"]) or "KeyBearer" in json.dumps(schema["components"])
