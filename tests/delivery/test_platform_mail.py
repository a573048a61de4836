"""The platform's own mail (portal invitations and password links, company password resets):
through a real SMTP server, into the mail catcher in the embedded setup, and — when the server
does not answer — a failure told in words to the person asking and logged, never a raw
"[Errno 111]" nor a "sent" page."""

import email
import email.policy
import logging

import pytest
from django.urls import reverse
from mailservers import SMTP_PASSWORD, SMTP_USER, free_port

from facturier.delivery import catcher as catcher_module
from facturier.delivery.catcher import MailCatcher
from facturier.portal.models import PortalAccount
from facturier.portal.services import LinkNotSent, portal_invite

pytestmark = pytest.mark.django_db

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def platform_server(settings, smtp_server):
    """The platform's mail settings (FACTURIER_EMAIL_*) pointing at a real SMTP server."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = SMTP_USER, SMTP_PASSWORD
    settings.FACTURIER_EMAIL_HOST_CONFIGURED = True
    settings.FACTURIER_BASE_URL = "https://factures.example"
    return smtp_server


@pytest.fixture
def dead_server(settings):
    """The platform's mail server configured on a port where nothing listens."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.FACTURIER_EMAIL_HOST_CONFIGURED = True
    return f"127.0.0.1:{settings.EMAIL_PORT}"


@pytest.fixture
def embedded(settings, tmp_path):
    """`facturier run` as a newcomer starts it: no FACTURIER_EMAIL_HOST (so localhost:25), the catcher running."""
    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # as dead as localhost:25 here
    settings.FACTURIER_EMAIL_HOST_CONFIGURED = False
    with MailCatcher() as running:
        yield running


def caught(organisation) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(catcher_module.folder_of(organisation.pk).glob("*.eml"))]


def contact_of(org):
    return org.customer.contacts.get()


def test_a_portal_invitation_goes_through_the_platforms_smtp_server(org, owner, platform_server):
    invitation = portal_invite(by=owner, contact_id=contact_of(org).pk)
    [received] = platform_server.messages
    assert received.rcpt_tos == ["compta@client.test"]
    assert invitation.link in received.message.get_content()


def test_an_invitation_the_server_refuses_is_told_in_words_logged_and_not_recorded(org, owner, dead_server, caplog):
    with caplog.at_level(logging.ERROR, logger="facturier.delivery.platform_mail"), \
            pytest.raises(LinkNotSent) as caught_error:
        portal_invite(by=owner, contact_id=contact_of(org).pk)
    message = caught_error.value.message
    assert "compta@client.test" in message and dead_server in message and "Errno" not in message
    [record] = caplog.records
    assert record.exc_info is not None and dead_server in record.getMessage()
    assert not PortalAccount.objects.filter(organisation=org).exists()


def test_the_refusal_reads_in_french(org, owner, dead_server):
    from django.utils import translation

    with pytest.raises(LinkNotSent) as caught_error:
        portal_invite(by=owner, contact_id=contact_of(org).pk)
    with translation.override("fr"):
        assert "n'a pas pu être envoyé" in caught_error.value.message


def test_the_portals_password_link_form_says_the_server_failed_whoever_asks(org, owner, platform_server, client,
                                                                             settings):
    portal_invite(by=owner, contact_id=contact_of(org).pk)
    settings.EMAIL_PORT = free_port()
    url = reverse("portal:password_request", args=[org.slug])
    for address in ("compta@client.test", "nobody@nowhere.test"):
        response = client.post(url, {"email": address})
        assert response.status_code == 503
        page = response.content.decode()  # the portal speaks the organisation's language, French here
        assert "pas pu être envoyé" in page and "Errno" not in page
        assert "un lien vient de lui être" not in page


def test_the_company_password_reset_goes_through_the_server_or_says_it_failed(owner, platform_server, client,
                                                                              settings):
    response = client.post(reverse("web:password_reset"), {"email": owner.user.email})
    assert response.status_code == 302
    [received] = platform_server.messages
    assert "/password/reset/" in received.message.get_content()
    settings.EMAIL_PORT = free_port()
    response = client.post(reverse("web:password_reset"), {"email": owner.user.email})
    assert response.status_code == 503
    page = response.content.decode()
    assert "votre adresse n&#x27;a pas pu être envoyé" in page and "Errno" not in page


def test_in_the_embedded_setup_invitations_and_resets_go_to_the_mail_catcher(org, owner, embedded, client):
    invitation = portal_invite(by=owner, contact_id=contact_of(org).pk)
    response = client.post(reverse("portal:password_request", args=[org.slug]), {"email": "compta@client.test"})
    assert response.status_code == 200 and "un lien vient de lui être" in response.content.decode()
    response = client.post(reverse("web:password_reset"), {"email": owner.user.email})
    assert response.status_code == 302
    messages = caught(org)
    assert len(messages) == 3
    assert invitation.link in messages[0].get_content()
    assert {m["To"] for m in messages} == {"compta@client.test", owner.user.email}
