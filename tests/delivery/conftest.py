"""Real mail servers for the delivery tests: aiosmtpd on a loopback port, Debian's Dovecot for IMAP."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from mailservers import (
    IMAP_PASSWORD,
    IMAP_USER,
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    _authenticator,
    _Handler,
    free_port,
)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback that needs AUTH and records what it receives."""
    from aiosmtpd.controller import Controller

    state = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(_Handler(state), hostname=state.host, port=state.port, authenticator=_authenticator,
                            auth_require_tls=False, auth_required=True, data_size_limit=50 * 1024 * 1024)
    controller.start()
    yield state
    controller.stop()


@pytest.fixture
def allow_loopback(settings):
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = True
    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = True  # the test servers listen in clear on loopback
    settings.FACTURIER_BASE_URL = "https://factures.example"


@pytest.fixture
def mail(owner, smtp_server, allow_loopback):
    """The organisation's mail settings, pointing at the test SMTP server."""
    from facturier.delivery.services import mail_settings_save

    return mail_settings_save(by=owner, host=smtp_server.host, port=smtp_server.port, security="none",
                              username=SMTP_USER, password=SMTP_PASSWORD, sender_name="Acme Factures",
                              sender_address="factures@acme.test", reply_to="compta@acme.test",
                              bounce_address="bounce@acme.test")


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        import imaplib

        client = imaplib.IMAP4(self.host, self.port)
        client.login(self.user, self.password)
        client.append(folder, "", None, raw)
        client.logout()


@pytest.fixture
def dovecot():
    """Debian's Dovecot on a loopback port, its config, state and maildir in a fresh folder."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip("Dovecot is not installed (Debian package dovecot-imapd; run scripts/setup.sh as root)")
    if os.geteuid() != 0:
        pytest.skip("the test Dovecot starts as root (it switches to the dovecot and dovenull users)")
    try:
        mail_user = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError:
        pytest.skip("the dovecot and dovenull users are missing (reinstall dovecot-core)")
    root = Path(tempfile.mkdtemp(prefix="facturier-dovecot-"))
    root.chmod(0o755)  # the unprivileged login process must reach its sockets
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    port = free_port()
    (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    (root / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = 0
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    server = Dovecot("127.0.0.1", port, IMAP_USER, IMAP_PASSWORD)
    deadline = time.monotonic() + 20
    import imaplib

    while True:
        try:
            client = imaplib.IMAP4(server.host, port, timeout=5)
            client.login(IMAP_USER, IMAP_PASSWORD)
            client.logout()
            break
        except (OSError, imaplib.IMAP4.error):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                pytest.fail(f"Dovecot did not start: {log[-2000:]}")
            time.sleep(0.2)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def customers(owner, org):
    """A few more customers: one with two contacts, one without e-mail, one whose address bounces."""
    import datetime as dt

    from facturier.parties.services import customer_create

    def make(code, name, emails, **fields):
        return customer_create(by=owner, code=code, name=name, effective_from=dt.date(2020, 1, 1),
                               billing_address={"line1": f"{code} rue du Client", "postcode": "69002",
                                                "city": "Lyon"},
                               contacts=[{"name": "Compta", "email": e} for e in emails], **fields)

    # C003 has no e-mail but a SIREN: its invoices carry a buyer electronic address (BT-49, BR-FR-12),
    # so they can be issued, and sending them by e-mail is what is refused.
    return {"C001": org.customer, "C002": make("C002", "Deux SAS", ["a@deux.test", "b@deux.test"]),
            "C003": make("C003", "Trois sans mail", [], siren="552100554"),
            "X001": make("X001", "Autre", ["x@autre.test"])}


@pytest.fixture
def issue(owner, lines):
    """Issue an invoice for a customer (issue date and amounts may vary)."""
    import datetime as dt

    from facturier.invoicing.services import document_issue, draft_create

    def make(customer, *, on=dt.date(2026, 3, 2), lines_=None):
        draft = draft_create(by=owner, customer_id=customer.pk, lines=lines_ or lines)
        return document_issue(by=owner, document_id=draft.pk, issue_date=on)

    return make
