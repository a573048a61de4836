"""The screens in a real browser: Debian's Chromium driven by Playwright against `facturier run`.

Signs in with the demo login, filters the dashboard, opens a document, writes and issues an
invoice in the editor, downloads its Factur-X and has the referee judge it. Then the whole
journey from the company to its customer: two-factor sign-in, a new customer, an invoice
written, issued, judged and sent through a real SMTP server on loopback, the customer invited
to the portal, following the links of the e-mails it received, and downloading the archived
Factur-X byte for byte. Screenshots of each main screen go to $FACTURIER_SCREENSHOTS (or the
test's temporary folder, `screenshots/`; the journey's in its `journey/` subfolder).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FACTURIER = Path(sys.executable).with_name("facturier")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which("chromium") is None,
                                reason="Debian's chromium is not installed (scripts/setup.sh installs it)")


def sign_in(page, url: str, email: str = "demo@facturier.test", password: str = "demo") -> None:
    """Sign in on the login page of the server at `url` and wait for the dashboard."""
    page.goto(url + "/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/$"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SEEDED: list[Path] = []


def _seeded_demo() -> Path:
    """A data folder with the demo seeded, made once per test process. `facturier run` seeds the demo
    only into an empty database, and seeding (a year of documents, sealed and archived, the accounting,
    the contracts, the operator and a terminated company) is most of a server's start: each served test
    starts from a copy of this folder instead of seeding again."""
    if not _SEEDED:
        data = Path(tempfile.mkdtemp(prefix="facturier-demo-")) / "data"
        env = {**os.environ, "FACTURIER_DATA_DIR": str(data), "FACTURIER_TASKS": "immediate"}
        env.pop("DATABASE_URL", None)
        for command in (["migrate", "--no-input", "-v0"], ["demo", "-v0"]):
            subprocess.run([str(FACTURIER), *command], env=env, check=True, timeout=900, capture_output=True)
        _SEEDED.append(data)
    return _SEEDED[0]


def _serve(tmp_path: Path, port: int, extra_env: dict | None = None):
    env = {**os.environ, "FACTURIER_DATA_DIR": str(tmp_path / "data"), "FACTURIER_TASKS": "database",
           **(extra_env or {})}
    env.pop("DATABASE_URL", None)
    shutil.copytree(_seeded_demo(), tmp_path / "data")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([str(FACTURIER), "run", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"facturier run stopped: {(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
    else:
        os.killpg(process.pid, 9)
        pytest.fail("facturier run did not answer within 120 s")
    return process, url, env


def _stop(process) -> None:
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)


def _watch(context, refused: list[str]) -> None:
    """Collect, for every page of a browser context, what the Content-Security-Policy refused (Chromium says
    so on the console) and every script error."""

    def attach(page):
        page.on("console", lambda m: refused.append(f"{page.url}: {m.text}")
                if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: refused.append(f"{page.url}: {e}"))

    context.on("page", attach)


@pytest.fixture
def served(tmp_path):
    process, url, _env = _serve(tmp_path, _free_port())
    yield url
    _stop(process)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("FACTURIER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_demo_user_writes_issues_and_downloads_an_invoice_in_the_browser(served, shots, referee, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      locale="fr-FR")
        refused: list[str] = []
        _watch(context, refused)
        page = context.new_page()
        page.goto(served + "/")
        expect(page).to_have_url(served + "/login/?next=/")
        page.screenshot(path=shots / "01-login.png")
        page.fill("#id_username", "demo@facturier.test")
        page.fill("#id_password", "demo")
        page.click("button[type=submit].primary")
        expect(page.locator("h1")).to_have_text("Factures et avoirs")
        page.screenshot(path=shots / "02-dashboard.png", full_page=True)

        # Filter: unpaid documents only (htmx swaps the results and pushes the URL).
        page.select_option("#id_status", "unpaid")
        expect(page).to_have_url(re.compile(r"status=unpaid"))
        states = page.locator("#results td .state").all_inner_texts()
        assert states and all(s in ("Émise", "Partiellement payée") for s in states)
        page.screenshot(path=shots / "03-dashboard-unpaid.png", full_page=True)
        page.locator("input[data-tick-all]").check()  # screens.js, not inline code, ticks every row
        assert all(page.locator("#results input[name=ids]").evaluate_all("boxes => boxes.map(b => b.checked)"))

        # Open a document from the list, then its next neighbour.
        page.locator("#results table.docs tbody a").first.click()
        expect(page.locator(".toolbar")).to_be_visible()
        page.screenshot(path=shots / "04-document.png", full_page=True)

        # Write a new invoice in the editor.
        page.goto(served + "/documents/new/")
        page.fill("#customer-q", "BOUL")
        page.locator("#customer-options button.option").first.click()
        expect(page.locator("#customer-chosen")).to_contain_text("BOUL01")
        first = page.locator("#lines tbody tr").first
        first.locator("input[name$='-name']").fill("Audit d'accessibilité")
        first.locator("input[name$='-quantity']").fill("2")
        first.locator("input[name$='-unit_price']").fill("650")
        expect(page.locator("#grand-total")).to_have_text("1 560,00")
        page.click("#add-line")
        second = page.locator("#lines tbody tr").nth(1)
        second.locator("input[name$='-name']").fill("Câble HDMI 2 m")
        second.locator("input[name$='-quantity']").fill("3")
        second.locator("input[name$='-unit_price']").fill("12,50")
        expect(page.locator("#grand-total")).to_have_text("1 605,00")
        page.click("#add-line")  # a third line, removed again: the totals follow
        third = page.locator("#lines tbody tr").nth(2)
        third.locator("input[name$='-name']").fill("Erreur")
        third.locator("input[name$='-quantity']").fill("1")
        third.locator("input[name$='-unit_price']").fill("1000")
        expect(page.locator("#grand-total")).to_have_text("2 805,00")
        third.locator("button[data-remove-line]").click()
        expect(page.locator("#grand-total")).to_have_text("1 605,00")
        page.screenshot(path=shots / "05-editor.png", full_page=True)
        page.click("button[name=then][value=issue]")

        # Confirmation shows the number, then issue.
        expect(page.locator("h1")).to_contain_text("Émettre")
        number = page.locator(".confirm strong.number").inner_text()
        assert number.startswith("FA-")
        page.screenshot(path=shots / "06-issue.png", full_page=True)
        page.locator(".confirm button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text(number)
        page.screenshot(path=shots / "07-issued.png", full_page=True)

        with page.expect_download() as download:
            page.locator(".toolbar a", has_text="Factur-X").click()
        path = tmp_path / "facturx.pdf"
        download.value.save_as(path)

        for url, name in (("/customers/", "08-customers"), ("/settings/", "09-settings"),
                          ("/2fa/setup/", "10-2fa")):
            page.goto(served + url)
            page.screenshot(path=shots / f"{name}.png", full_page=True)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
        small = phone.new_page()
        small.goto(served + "/")
        small.screenshot(path=shots / "11-phone-dashboard.png")
        browser.close()
    assert refused == []

    verdict = referee([path])[str(path)]
    assert verdict["passed"], verdict


# --- The journey from the company to its customer: e-mail, then the portal ----------------------------------------


def _mailservers():
    """The delivery tests' SMTP parts (tests/delivery/mailservers.py), whichever test folder runs first."""
    import importlib.util

    if "mailservers" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "mailservers", Path(__file__).resolve().parents[1] / "delivery" / "mailservers.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["mailservers"] = module
        spec.loader.exec_module(module)
    return sys.modules["mailservers"]


@pytest.fixture
def mailbox():
    """A real SMTP server (aiosmtpd) on loopback that needs AUTH and keeps what it receives."""
    from aiosmtpd.controller import Controller

    parts = _mailservers()
    state = parts.SmtpServer(host="127.0.0.1", port=parts.free_port())
    controller = Controller(parts._Handler(state), hostname=state.host, port=state.port,
                            authenticator=parts._authenticator, auth_require_tls=False, auth_required=True,
                            data_size_limit=50 * 1024 * 1024)
    controller.start()
    yield state
    controller.stop()


MAIL_SETTINGS = """
from facturier.accounts.models import Membership
from facturier.delivery.services import mail_settings_save
member = Membership.objects.get(user__email="demo@facturier.test", organisation__slug="demo")
mail_settings_save(by=member, host="127.0.0.1", port={port}, security="none", username="{user}", password="{password}",
                   sender_name="Atelier Lumière", sender_address="factures@atelier-lumiere.test",
                   reply_to="facturation@atelier-lumiere.test", bounce_address="bounce@atelier-lumiere.test")
"""

ARCHIVED_FILE = """
from facturier.accounts.models import Organisation
from facturier.archive.selectors import archived_document_file
name, content = archived_document_file(organisation=Organisation.objects.get(slug="demo"), document_id={pk})
open("{out}", "wb").write(content)
"""


@pytest.fixture
def served_with_mail(tmp_path, mailbox):
    """`facturier run` whose platform mail and demo organisation's mail server are the loopback SMTP server,
    its public address the one it serves (so e-mailed links lead back to it)."""
    parts = _mailservers()
    port = _free_port()
    process, url, env = _serve(tmp_path, port, {
        "FACTURIER_BASE_URL": f"http://127.0.0.1:{port}", "FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS": "true",
        "FACTURIER_MAIL_ALLOW_PLAIN_AUTH": "true",
        "FACTURIER_EMAIL_HOST": mailbox.host, "FACTURIER_EMAIL_PORT": str(mailbox.port),
        "FACTURIER_EMAIL_USER": parts.SMTP_USER, "FACTURIER_EMAIL_PASSWORD": parts.SMTP_PASSWORD,
        "FACTURIER_EMAIL_FROM": "Facturier <noreply@facturier.test>",
        "FACTURIER_MAIL_CATCHER": "off"})  # the test's own SMTP server receives everything

    def shell(code: str) -> str:
        run = subprocess.run([str(FACTURIER), "shell", "-c", code], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        return run.stdout

    shell(MAIL_SETTINGS.format(port=mailbox.port, user=parts.SMTP_USER, password=parts.SMTP_PASSWORD))
    yield url, shell, mailbox
    _stop(process)


def _totp(secret: str, *, ahead: int = 0) -> str:
    import base64

    from django_otp.oath import TOTP

    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * ahead
    return f"{totp.token():06d}"


def _received(mailbox, *, to: str, subject_start: str, timeout: float = 120):
    """The text of the first message to `to` whose subject starts so, waiting for the worker to send it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in list(mailbox.messages):
            message = received.message
            if to in received.rcpt_tos and str(message["Subject"]).strip().startswith(subject_start):
                return message.get_body(preferencelist=("plain",)).get_content()
        time.sleep(0.5)
    subjects = [m.message["Subject"] for m in mailbox.messages]
    pytest.fail(f"no message to {to} starting {subject_start!r}; got {subjects}")


def test_a_customer_follows_the_emailed_invoice_to_the_portal_and_downloads_the_archived_file(
        served_with_mail, shots, referee, tmp_path):
    import hashlib

    from playwright.sync_api import expect, sync_playwright

    url, shell, mailbox = served_with_mail
    shots = shots / "journey"
    shots.mkdir(exist_ok=True)
    customer_email = "compta@librairie-portail.test"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        company = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                      locale="fr-FR")
        refused: list[str] = []
        _watch(company, refused)
        page = company.new_page()

        # The company's user turns on two-factor authentication, then signs in with it.
        page.goto(url + "/login/")
        page.fill("#id_username", "demo@facturier.test")
        page.fill("#id_password", "demo")
        page.click("button[type=submit].primary")
        expect(page.locator("h1")).to_have_text("Factures et avoirs")
        page.goto(url + "/2fa/setup/")
        secret = page.locator("code.secret").text_content().strip()
        page.fill("#id_token", _totp(secret))
        page.screenshot(path=shots / "01-company-2fa-setup.png", full_page=True)
        page.click("main form button[type=submit].primary")
        expect(page.locator("h1")).to_have_text("Factures et avoirs")
        page.locator("form[action='/logout/'] button").click()
        expect(page).to_have_url(re.compile(r"/login/"))
        page.fill("#id_username", "demo@facturier.test")
        page.fill("#id_password", "demo")
        page.click("button[type=submit].primary")
        expect(page).to_have_url(re.compile(r"/2fa/"))
        page.fill("#id_token", _totp(secret, ahead=1))  # the enrolment's code is spent; the next one opens
        page.screenshot(path=shots / "02-company-2fa-code.png", full_page=True)
        page.click("main form button[type=submit].primary")
        expect(page.locator("h1")).to_have_text("Factures et avoirs")

        # A new customer, with the address its invoices go to.
        page.goto(url + "/customers/new/")
        for field, value in (("code", "PORT01"), ("name", "Librairie du Portail SARL"), ("siren", "412345670"),
                             ("siret", "41234567000019"), ("vat_number", "FR96412345670"),
                             ("line1", "5 place Bellecour"), ("postcode", "69002"), ("city", "Lyon"),
                             ("contact_email", customer_email), ("effective_from", "2020-01-01")):
            page.fill(f"#id_{field}", value)
        page.screenshot(path=shots / "03-customer-new.png", full_page=True)
        page.click("main form button[type=submit].primary")
        expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
        customer_id = int(re.search(r"/customers/(\d+)/$", page.url).group(1))

        # An invoice written in the editor and issued.
        page.goto(url + "/documents/new/")
        page.fill("#customer-q", "PORT01")
        page.locator("#customer-options button.option").first.click()
        expect(page.locator("#customer-chosen")).to_contain_text("PORT01")
        line = page.locator("#lines tbody tr").first
        line.locator("input[name$='-name']").fill("Formation équipe (journée)")
        line.locator("input[name$='-quantity']").fill("1")
        line.locator("input[name$='-unit_price']").fill("900")
        expect(page.locator("#grand-total")).to_have_text("1 080,00")
        page.screenshot(path=shots / "04-editor.png", full_page=True)
        page.click("button[name=then][value=issue]")
        number = page.locator(".confirm strong.number").inner_text()
        page.locator(".confirm button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text(number)
        document_id = int(re.search(r"/documents/(\d+)/", page.url).group(1))
        page.screenshot(path=shots / "05-issued.png", full_page=True)
        with page.expect_download() as download:
            page.locator(".toolbar a", has_text="Factur-X").click()
        company_pdf = tmp_path / "company-facturx.pdf"
        download.value.save_as(company_pdf)

        # Sent by e-mail: the worker hands it to the SMTP server.
        page.locator("form[action$='/send/'] button").click()
        expect(page.locator(".messages")).to_contain_text("1")
        page.screenshot(path=shots / "06-sent.png", full_page=True)
        invoice_mail = _received(mailbox, to=customer_email, subject_start=f"Facture {number}")
        portal_link = re.search(r"http://127\.0\.0\.1:\d+/portal/demo/documents/\d+/", invoice_mail).group(0)
        assert portal_link == f"{url}/portal/demo/documents/{document_id}/"

        # The company invites the customer's contact to its portal.
        page.goto(url + f"/portal-admin/customers/{customer_id}/")
        page.locator("form[action^='/portal-admin/invite/'] button").click()
        expect(page.locator(".portal-status")).to_contain_text("Invité")
        page.screenshot(path=shots / "07-portal-invite.png", full_page=True)
        invitation = _received(mailbox, to=customer_email, subject_start="Votre espace client")
        welcome_link = re.search(r"http://127\.0\.0\.1:\d+/portal/demo/welcome/\S+/", invitation).group(0)

        # The customer, in its own browser: the invoice's link asks it to sign in first…
        customer = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                       locale="fr-FR")
        _watch(customer, refused)
        cpage = customer.new_page()
        cpage.goto(portal_link)
        expect(cpage).to_have_url(re.compile(r"/portal/demo/login/\?next=/portal/demo/documents/"))
        expect(cpage.locator("h1")).to_have_text("Connexion à votre espace client")
        cpage.screenshot(path=shots / "08-portal-login.png", full_page=True)
        # …the invitation's link lets it choose a password…
        cpage.goto(welcome_link)
        cpage.screenshot(path=shots / "09-portal-welcome.png", full_page=True)
        cpage.fill("#id_new_password1", "Librairie-Bellecour-2026")
        cpage.fill("#id_new_password2", "Librairie-Bellecour-2026")
        cpage.click("main form button[type=submit].primary")
        expect(cpage.locator("h1")).to_have_text("Double authentification")
        cpage.screenshot(path=shots / "10-portal-2fa-offer.png", full_page=True)
        # It turns on its own authenticator too (the portal's, apart from the company's).
        cpage.fill("#id_code", _totp(cpage.locator("#totp-secret").text_content().strip()))
        cpage.click("main form button[type=submit].primary")
        expect(cpage.locator("table.docs")).to_contain_text(number)
        cpage.screenshot(path=shots / "11-portal-documents.png", full_page=True)

        # …and the invoice's link now opens the document, whose archived Factur-X it downloads.
        cpage.goto(portal_link)
        deadline = time.monotonic() + 120
        while not cpage.locator("a[data-kind=facturx]").count() and time.monotonic() < deadline:
            time.sleep(1)  # the worker archives the document after its issue
            cpage.reload()
        expect(cpage.locator("h1")).to_contain_text(number)
        cpage.screenshot(path=shots / "12-portal-document.png", full_page=True)
        fingerprint = cpage.locator("code[data-kind=facturx]").inner_text().strip()
        with cpage.expect_download() as download:
            cpage.locator("a[data-kind=facturx]").click()
        portal_pdf = tmp_path / "portal-facturx.pdf"
        download.value.save_as(portal_pdf)

        phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=customer.storage_state())
        small = phone.new_page()
        small.goto(url + "/portal/demo/")
        small.screenshot(path=shots / "13-portal-phone.png", full_page=True)
        browser.close()

    assert refused == []
    archived = tmp_path / "archived.pdf"
    shell(ARCHIVED_FILE.format(pk=document_id, out=archived))
    assert portal_pdf.read_bytes() == archived.read_bytes()
    assert hashlib.sha256(portal_pdf.read_bytes()).hexdigest() == fingerprint
    verdicts = referee([company_pdf, portal_pdf])
    for path in (company_pdf, portal_pdf):
        assert verdicts[str(path)]["passed"], referee.fatal_findings(verdicts[str(path)])
