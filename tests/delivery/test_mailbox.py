"""The local mail catcher: real SMTP from the outbox to it, and its mailbox screens, per organisation."""

import email
import email.policy

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from facturier.delivery import catcher as catcher_module
from facturier.delivery import smtp
from facturier.delivery.catcher import MailCatcher, catcher_adopt, catcher_point, credentials
from facturier.delivery.models import Delivery, DeliveryState, OutboxMessage, OutboxState
from facturier.delivery.outbox import outbox_flush
from facturier.delivery.services import mail_settings_save, send_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = False  # the catcher is allowed by itself, not by this
    return tmp_path


@pytest.fixture
def catcher(data_dir):
    with MailCatcher() as running:
        yield running


@pytest.fixture
def sent(org, owner, issued, catcher):
    """The issued invoice sent by the outbox to the catcher, over real SMTP."""
    catcher_point(by=owner, host=catcher.host, port=catcher.port)
    assert send_documents(by=owner, document_ids=[issued.pk]).queued == [issued.pk]
    report = outbox_flush(organisation_id=org.pk)
    assert (report.sent, report.errors) == (1, [])
    return issued


def keys(org) -> list[str]:
    return sorted(p.stem for p in catcher_module.folder_of(org.pk).glob("*.eml"))


def test_a_document_sent_to_the_catcher_is_kept_for_its_organisation_with_its_attachment(org, sent, catcher):
    [key] = keys(org)
    raw = (catcher_module.folder_of(org.pk) / f"{key}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    row = OutboxMessage.objects.get(document=sent)
    assert message["Message-ID"] == row.message_id
    assert message["X-Original-To"] == "compta@client.test"
    [attachment] = message.iter_attachments()
    assert attachment.get_content().startswith(b"%PDF")
    assert Delivery.objects.get(document=sent).state == DeliveryState.SENT


def test_the_mailbox_lists_and_shows_the_message_and_its_attachment_downloads(client, org, owner, sent):
    owner.user.language = "en"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    listing = client.get(reverse("delivery:mailbox"))
    assert listing.status_code == 200
    page = listing.content.decode()
    [key] = keys(org)
    assert f"Facture {sent.number}" in page  # the message is in the invoice's language
    assert "compta@client.test" in page and "factures@acme.example" in page
    assert reverse("delivery:mailbox_message", args=[key]) in page
    assert "your mail settings send to it" in page

    shown = client.get(reverse("delivery:mailbox_message", args=[key]))
    assert shown.status_code == 200
    text = shown.content.decode()
    assert f"{sent.number}.pdf" in text and "application/pdf" in text
    assert "Please find attached our invoice" in text or "Veuillez trouver ci-joint" in text
    assert OutboxMessage.objects.get(document=sent).message_id.strip("<>") in text

    download = client.get(reverse("delivery:mailbox_attachment", args=[key, 0]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{sent.number}.pdf"'
    assert download.content.startswith(b"%PDF")
    raw = client.get(reverse("delivery:mailbox_raw", args=[key]))
    assert raw.status_code == 200 and b"Message-ID:" in raw.content
    assert client.get(reverse("delivery:mailbox_attachment", args=[key, 5])).status_code == 404


def test_another_organisations_member_sees_nothing_and_gets_404(client, org, other_org, sent):
    [key] = keys(org)
    client.force_login(other_org.owner.user)
    listing = client.get(reverse("delivery:mailbox")).content.decode()
    assert key not in listing and sent.number not in listing
    for url in (reverse("delivery:mailbox_message", args=[key]),
                reverse("delivery:mailbox_attachment", args=[key, 0]),
                reverse("delivery:mailbox_raw", args=[key]),
                reverse("delivery:mailbox_message", args=["..%2F..%2Fsecret_key"])):
        assert client.get(url).status_code == 404, url


def test_only_members_who_may_send_read_the_mailbox(client, org, sent):
    """It holds what was sent in the organisation's name, consent letters with live answer links too."""
    [key] = keys(org)
    urls = (reverse("delivery:mailbox"), reverse("delivery:mailbox_message", args=[key]),
            reverse("delivery:mailbox_attachment", args=[key, 0]), reverse("delivery:mailbox_raw", args=[key]))
    viewer = org.member("viewer")
    client.force_login(viewer.user)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert reverse("delivery:mailbox") not in client.get(reverse("web:dashboard")).content.decode()

    clerk = org.member("clerk")  # a clerk sends documents: it reads what was sent
    client.force_login(clerk.user)
    assert reverse("delivery:mailbox") in client.get(reverse("web:dashboard")).content.decode()
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_mailbox_needs_a_signed_in_member(client, sent, org):
    [key] = keys(org)
    answer = client.get(reverse("delivery:mailbox_message", args=[key]))
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_only_the_running_catcher_passes_the_private_host_guard(catcher):
    assert smtp.resolve_checked("127.0.0.1", catcher.port).address == "127.0.0.1"
    with pytest.raises(smtp.HostRefused):
        smtp.resolve_checked("127.0.0.1", catcher.port + 1)
    catcher.stop()
    with pytest.raises(smtp.HostRefused):
        smtp.resolve_checked("127.0.0.1", catcher.port)


def test_an_organisation_cannot_drop_mail_into_the_catcher_without_its_own_credentials(
        org, owner, other_org, issued, catcher):
    # Globex's credentials are not Acme's: pointing Acme at the catcher with them is refused by the catcher.
    user, password = credentials(other_org.pk)
    mail_settings_save(by=owner, host=catcher.host, port=catcher.port, security="none", username=user,
                       password=password + "x", sender_address="factures@acme.test")
    send_documents(by=owner, document_ids=[issued.pk])
    report = outbox_flush(organisation_id=org.pk)
    assert report.sent == 0 and "refused the user name or password" in report.errors[0]
    assert OutboxMessage.objects.get(document=issued).state == OutboxState.PENDING
    assert keys(org) == [] and keys(other_org) == []


def test_a_real_server_set_by_the_organisation_is_not_replaced_by_the_catcher(org, owner, catcher):
    mail_settings_save(by=owner, host="smtp.example.com", port=587, security="starttls",
                       sender_address="factures@acme.test")
    assert catcher_adopt(slugs=("acme",), host=catcher.host, port=catcher.port) == []
    assert org.mail_settings.host == "smtp.example.com"


@pytest.mark.parametrize(("value", "database", "base_url", "expected"), [
    (None, "sqlite3", "http://127.0.0.1:8000", True),
    (None, "sqlite3", "https://factures.example.fr", False),
    (None, "postgresql", "http://127.0.0.1:8000", False),
    ("off", "sqlite3", "http://127.0.0.1:8000", False),
    ("on", "postgresql", "https://factures.example.fr", True),
])
def test_the_catcher_is_on_by_default_only_for_the_local_embedded_setup(settings, monkeypatch, value, database,
                                                                          base_url, expected):
    if value is None:
        monkeypatch.delenv("FACTURIER_MAIL_CATCHER", raising=False)
    else:
        monkeypatch.setenv("FACTURIER_MAIL_CATCHER", value)
    monkeypatch.setattr(catcher_module, "_embedded_database", lambda: database == "sqlite3")
    settings.FACTURIER_BASE_URL = base_url
    assert catcher_module.wanted() is expected


def test_a_wrong_catcher_setting_stops_with_the_variables_name(monkeypatch):
    monkeypatch.setenv("FACTURIER_MAIL_CATCHER", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FACTURIER_MAIL_CATCHER must be on or off"):
        catcher_module.wanted()


def test_the_mailbox_speaks_the_members_language(client, owner, sent):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    page = client.get(reverse("delivery:mailbox")).content.decode()
    assert "Messages envoyés" in page and "vos réglages de messagerie envoient vers lui" in page


def test_the_french_mailbox_names_the_headers_in_french_and_dates_them_in_paris_time(client, org, owner, sent):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    [key] = keys(org)
    text = client.get(reverse("delivery:mailbox_message", args=[key])).content.decode()
    for name, label in (("From", "De"), ("To", "À"), ("Subject", "Objet"), ("Date", "Date"),
                        ("Message-ID", "Identifiant du message")):
        assert f'<dt title="{name}">{label}</dt>' in text, name
    date = text.split('<dt title="Date">Date</dt><dd>')[1].split("</dd>")[0]
    assert "+0000" not in date and date[2] == "/" and date[5] == "/"  # 06/12/2026 12:25, not an RFC 2822 date
