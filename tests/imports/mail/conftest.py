"""Fixtures of the import-by-e-mail tests: the delivery tests' real mail servers (Dovecot IMAP, aiosmtpd),
the platform's mail catcher for the senders' reports, the import SMTP listener, and messages to send.

The helpers (messages, sending, reading the catcher) are in `mail_helpers.py`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from mail_helpers import AUTHSERV, DOMAIN

_TESTS = Path(__file__).resolve().parents[2]
_DELIVERY = _TESTS / "delivery"
if str(_TESTS / "imports") not in sys.path:
    sys.path.insert(0, str(_TESTS / "imports"))  # import_helpers: the import tests' third-party invoices


def _delivery_module(name: str, file: str):
    if name not in sys.modules:
        if str(_DELIVERY) not in sys.path:
            sys.path.insert(0, str(_DELIVERY))  # the delivery conftest imports `mailservers`
        spec = importlib.util.spec_from_file_location(name, _DELIVERY / file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


mailservers = _delivery_module("mailservers", "mailservers.py")
_delivery = _delivery_module("facturier_tests_delivery_conftest", "conftest.py")
dovecot = _delivery.dovecot
smtp_server = _delivery.smtp_server
allow_loopback = _delivery.allow_loopback
mail = _delivery.mail
free_port = mailservers.free_port


@pytest.fixture
def import_domain(settings):
    settings.FACTURIER_IMPORT_MAIL_DOMAIN = DOMAIN
    settings.FACTURIER_IMPORT_AUTHSERV_ID = AUTHSERV
    return DOMAIN


@pytest.fixture
def catcher(settings, tmp_path):
    """The platform's mail in the embedded setup: into the mail catcher, per organisation."""
    from facturier.delivery.catcher import MailCatcher

    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.FACTURIER_EMAIL_HOST_CONFIGURED = False
    with MailCatcher() as running:
        yield running


@pytest.fixture
def import_mailbox(settings, dovecot, import_domain):
    """The operator's import mailbox: Dovecot on loopback (plain IMAP, allowed for the test only)."""
    settings.FACTURIER_IMPORT_IMAP_HOST = dovecot.host
    settings.FACTURIER_IMPORT_IMAP_PORT = dovecot.port
    settings.FACTURIER_IMPORT_IMAP_SECURITY = "none"
    settings.FACTURIER_IMPORT_IMAP_USER = dovecot.user
    settings.FACTURIER_IMPORT_IMAP_PASSWORD = dovecot.password
    settings.FACTURIER_IMPORT_IMAP_FOLDER = "INBOX"
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = True
    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = True
    return dovecot


@pytest.fixture
def listener(settings, import_domain):
    """The worker's import SMTP listener on a loopback port; the test reads its spool itself
    (`mail_helpers.deliver`), in the test's database transaction."""
    from facturier.imports.mail_intake import SmtpListener

    with SmtpListener("127.0.0.1", free_port(), drain=False) as running:
        yield running
