"""Mail settings: the password sealed at rest, and a connection test that says precisely what failed."""

import socket

import pytest
from django.utils import translation

from facturier.accounts.services import RightMissing
from facturier.delivery import services
from facturier.delivery.models import MailSettings
from facturier.delivery.services import mail_settings_save, smtp_endpoint
from facturier.secrets import SecretUnreadable

pytestmark = pytest.mark.django_db


def refused_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_smtp_password_is_sealed_at_rest_and_bound_to_its_row(mail):
    stored = bytes(MailSettings.objects.get(pk=mail.pk).password)
    assert b"s3cret-smtp" not in stored
    assert smtp_endpoint(mail).password == "s3cret-smtp"
    other = MailSettings(pk=mail.pk + 1, password=stored)
    with pytest.raises(SecretUnreadable):
        smtp_endpoint(other)


def test_connection_test_signs_in_to_a_real_server(mail, owner):
    report = services.test_connection(by=owner)
    assert report.ok, report.message
    assert "signed in as mailer@acme.test" in report.message


def test_a_wrong_password_is_reported_as_such(mail, owner):
    mail_settings_save(by=owner, password="wrong")
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "auth")
    assert "refused the user name or password" in report.message


def test_an_unreachable_server_is_reported_as_refused(mail, owner):
    mail_settings_save(by=owner, port=refused_port())
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "refused")
    assert "refused the connection on port" in report.message


def test_an_unknown_host_is_reported_as_a_dns_failure(mail, owner):
    mail_settings_save(by=owner, host="no-such-host.invalid")
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "dns")
    assert "no-such-host.invalid cannot be found" in report.message


def test_implicit_tls_against_a_plain_server_is_reported_as_a_tls_failure(mail, owner):
    mail_settings_save(by=owner, security="tls")
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "tls")


def test_starttls_on_a_server_without_it_is_reported(mail, owner):
    mail_settings_save(by=owner, security="starttls")
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "tls")
    assert "does not offer STARTTLS" in report.message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]".strip("[]")])
def test_private_and_local_hosts_are_refused_unless_the_operator_allows_them(mail, owner, settings, host):
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = False
    mail_settings_save(by=owner, host=host)
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "private_host")


def test_the_failure_reads_in_french_for_a_french_user(mail, owner):
    mail_settings_save(by=owner, password="wrong")
    with translation.override("fr"):
        report = services.test_connection(by=owner)
    assert "a refusé l'identifiant ou le mot de passe" in report.message


def test_only_a_member_who_manages_settings_may_change_them(org, mail):
    clerk = org.member("clerk")
    with pytest.raises(RightMissing):
        mail_settings_save(by=clerk, host="smtp.example.com")


@pytest.mark.parametrize("change", [{"host": "localhost"}, {"port": 2525}, {"security": "starttls"}])
def test_changing_the_server_forgets_the_stored_password_unless_it_is_typed_again(mail, owner, change):
    """The stored password belongs to the server it was typed for: never sent to a new host."""
    saved = mail_settings_save(by=owner, **change)
    assert saved.forgotten_secrets == ["password"]
    assert smtp_endpoint(MailSettings.objects.get(pk=mail.pk)).password == ""

    mail_settings_save(by=owner, host="127.0.0.1", port=mail.port, security="none", password="typed-again")
    assert smtp_endpoint(MailSettings.objects.get(pk=mail.pk)).password == "typed-again"


def test_changing_anything_but_the_server_keeps_the_stored_password(mail, owner):
    saved = mail_settings_save(by=owner, sender_name="Acme Comptabilité", reply_to="autre@acme.test")
    assert saved.forgotten_secrets == []
    assert smtp_endpoint(MailSettings.objects.get(pk=mail.pk)).password == "s3cret-smtp"


def test_the_bounce_mailbox_password_is_forgotten_when_its_server_changes(mail, owner):
    mail_settings_save(by=owner, imap_host="127.0.0.1", imap_port=1143, imap_security="tls",
                       imap_username="bounce", imap_password="imap-secret")
    saved = mail_settings_save(by=owner, imap_host="localhost")
    assert saved.forgotten_secrets == ["imap_password"]
    assert services.imap_password_of(MailSettings.objects.get(pk=mail.pk)) == ""
    assert smtp_endpoint(MailSettings.objects.get(pk=mail.pk)).password == "s3cret-smtp"  # the SMTP one stays


def test_a_password_is_never_sent_over_an_unencrypted_connection_unless_the_operator_allows_it(
        mail, owner, settings, smtp_server):
    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = False
    report = services.test_connection(by=owner)
    assert (report.ok, report.code) == (False, "plain_auth")
    assert "not encrypted" in report.message
    assert smtp_server.messages == []

    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = True
    assert services.test_connection(by=owner).ok


def test_the_bounce_mailbox_refuses_to_sign_in_in_clear_too(mail, owner, settings):
    from facturier.delivery.imap import open_mailbox
    from facturier.delivery.smtp import PlainAuthRefused

    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = False
    ms = mail_settings_save(by=owner, imap_host="127.0.0.1", imap_port=refused_port(), imap_security="none",
                            imap_username="bounce", imap_password="imap-secret")
    with pytest.raises(PlainAuthRefused):
        open_mailbox(ms)
