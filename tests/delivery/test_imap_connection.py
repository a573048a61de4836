"""The bounce mailbox test: a real Dovecot is opened read-only and counted, and each failure is named."""

import imaplib

import pytest
from mailservers import free_port

from facturier.delivery.services import imap_test_connection, mail_settings_save

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

RAW = b"From: a@client.test\r\nTo: retours@acme.test\r\nSubject: hello\r\nMessage-ID: <m-%d@client.test>\r\n\r\nHi\r\n"


@pytest.fixture
def bounce_mailbox(owner, mail, dovecot):
    mail_settings_save(by=owner, imap_host=dovecot.host, imap_port=dovecot.port, imap_security="none",
                       imap_username=dovecot.user, imap_password=dovecot.password, imap_folder="INBOX")
    return dovecot


def _unseen(dovecot) -> int:
    client = imaplib.IMAP4(dovecot.host, dovecot.port, timeout=5)
    client.login(dovecot.user, dovecot.password)
    client.select("INBOX", readonly=True)
    _typ, data = client.search(None, "UNSEEN")
    client.logout()
    return len(data[0].split())


def test_the_mailbox_is_counted_and_left_untouched(owner, bounce_mailbox):
    for n in range(3):
        bounce_mailbox.append(RAW % n)
    report = imap_test_connection(by=owner)
    assert report.ok and report.code == "ok"
    assert "“INBOX” read-only. Messages in it: 3." in report.message
    assert f"127.0.0.1:{bounce_mailbox.port}" in report.message
    assert _unseen(bounce_mailbox) == 3  # nothing was fetched or marked seen


def test_a_wrong_mailbox_password_is_named(owner, bounce_mailbox):
    mail_settings_save(by=owner, imap_password="wrong")
    report = imap_test_connection(by=owner)
    assert not report.ok and report.code == "auth"
    assert "refused the user name or password" in report.message


def test_a_missing_folder_is_named(owner, bounce_mailbox):
    mail_settings_save(by=owner, imap_folder="Retours")
    report = imap_test_connection(by=owner)
    assert not report.ok and report.code == "folder"
    assert "“Retours”" in report.message


def test_a_closed_port_is_named(owner, mail):
    port = free_port()  # nothing listens there
    mail_settings_save(by=owner, imap_host="127.0.0.1", imap_port=port, imap_security="none",
                       imap_username="retours@acme.test", imap_password="x")
    report = imap_test_connection(by=owner)
    assert not report.ok and report.code == "refused"
    assert f"refused the connection on port {port}" in report.message


def test_without_a_bounce_mailbox_the_test_says_so(owner, mail):
    report = imap_test_connection(by=owner)
    assert not report.ok and report.code == "no_mailbox"
    assert "No bounce mailbox is set up" in report.message


def test_a_private_address_is_refused_unless_the_operator_allows_it(owner, mail, settings):
    mail_settings_save(by=owner, imap_host="127.0.0.1", imap_port=free_port(), imap_security="none",
                       imap_username="retours@acme.test", imap_password="x")
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = False
    report = imap_test_connection(by=owner)
    assert not report.ok and report.code == "private_host"


def test_the_failure_is_told_in_the_user_language(owner, bounce_mailbox):
    from django.utils import translation

    mail_settings_save(by=owner, imap_password="wrong")
    with translation.override("fr"):
        report = imap_test_connection(by=owner)
    assert "refusé" in report.message


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_security_setting_the_server_does_not_speak_is_named_as_tls(owner, bounce_mailbox, security):
    mail_settings_save(by=owner, imap_security=security)  # the test Dovecot speaks plain text only
    report = imap_test_connection(by=owner)
    assert not report.ok and report.code == "tls"
