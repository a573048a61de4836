"""Settings → Import by e-mail: the import address (shown, made anew), the allowed senders, the automatic
delivery switch, and the messages received, with the right each needs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def _setup(org):
    from facturier.imports.models import MailImportSettings

    return MailImportSettings.objects.get(organisation=org)


def test_the_screen_shows_the_organisations_import_address_on_the_configured_domain(signed_in, org, settings):
    settings.FACTURIER_IMPORT_MAIL_DOMAIN = "import.factures.example"
    page = signed_in.get(reverse("web:settings_mail_import")).content.decode()
    token = _setup(org).token
    assert len(token) == 32 and f"import+{token}@import.factures.example" in page


def test_the_screen_says_when_the_platform_receives_no_import_mail(signed_in, settings):
    settings.FACTURIER_IMPORT_IMAP_HOST = settings.FACTURIER_IMPORT_SMTP_LISTEN = ""
    assert 'id="no-intake"' in signed_in.get(reverse("web:settings_mail_import")).content.decode()
    settings.FACTURIER_IMPORT_SMTP_LISTEN = "127.0.0.1:2525"
    assert 'id="no-intake"' not in signed_in.get(reverse("web:settings_mail_import")).content.decode()


def test_a_new_address_replaces_the_old_one_and_is_recorded(signed_in, org):
    from facturier.audit.models import Event

    signed_in.get(reverse("web:settings_mail_import"))
    old = _setup(org).token
    response = signed_in.post(reverse("web:settings_mail_import_regenerate"))
    assert response.status_code == 302
    new = _setup(org).token
    assert new != old
    page = signed_in.get(reverse("web:settings_mail_import")).content.decode()
    assert new in page and old not in page
    assert Event.objects.filter(organisation=org, action="mail_import.address_regenerate").count() == 1


def test_allowed_senders_are_added_checked_and_removed(signed_in, org, settings):
    from facturier.imports.models import MailImportSender

    settings.FACTURIER_IMPORT_MAIL_DOMAIN = "import.factures.example"
    url = reverse("web:settings_mail_import_sender")
    assert signed_in.post(url, {"action": "add", "email": " Billing@Supplier.TEST "}).status_code == 302
    assert list(MailImportSender.objects.filter(organisation=org).values_list("email", flat=True)) == [
        "billing@supplier.test"]
    for bad, said in (("not an address", "is not an e-mail address"),
                      ("billing@supplier.test", "already an allowed sender"),
                      ("x@import.factures.example", "cannot be an allowed sender")):
        response = signed_in.post(url, {"action": "add", "email": bad})
        assert response.status_code == 422 and said in response.content.decode(), bad
    sender = MailImportSender.objects.get(organisation=org)
    signed_in.post(url, {"action": "remove", "sender": sender.pk})
    assert not MailImportSender.objects.filter(organisation=org).exists()


def test_another_organisations_sender_cannot_be_removed(signed_in, other_org):
    from facturier.imports.mail_services import mail_import_sender_add
    from facturier.imports.models import MailImportSender

    theirs = mail_import_sender_add(by=other_org.owner, email="erp@globex.test")
    signed_in.post(reverse("web:settings_mail_import_sender"), {"action": "remove", "sender": theirs.pk})
    assert MailImportSender.objects.filter(pk=theirs.pk).exists()


def test_automatic_delivery_is_off_by_default_and_switched_in_the_members_name(signed_in, org, owner):
    signed_in.get(reverse("web:settings_mail_import"))
    assert _setup(org).auto_deliver is False
    signed_in.post(reverse("web:settings_mail_import_auto_deliver"), {"auto_deliver": "on"})
    setup = _setup(org)
    assert setup.auto_deliver and setup.auto_deliver_by == owner
    assert str(owner.user) in signed_in.get(reverse("web:settings_mail_import")).content.decode()
    signed_in.post(reverse("web:settings_mail_import_auto_deliver"), {})
    assert _setup(org).auto_deliver is False and _setup(org).auto_deliver_by is None


def test_a_settings_manager_who_may_not_send_cannot_switch_automatic_delivery_on(org, client_of):
    member = org.member("viewer", can_manage_settings=True)
    client = client_of(member)
    response = client.post(reverse("web:settings_mail_import_auto_deliver"), {"auto_deliver": "on"}, follow=True)
    assert "Send documents" in response.content.decode()
    assert _setup(org).auto_deliver is False


def test_members_without_the_settings_right_see_nothing(org, client_of):
    client = client_of(org.member("clerk"))
    assert client.get(reverse("web:settings_mail_import")).status_code == 403
    assert client.post(reverse("web:settings_mail_import_regenerate")).status_code == 403


def test_the_messages_received_are_listed_with_their_outcome(signed_in, org):
    from facturier.imports.models import ImportBatch, MailImportMessage

    batch = ImportBatch.objects.create(organisation=org, source="email", sender="erp@x.test")
    MailImportMessage.objects.create(organisation=org, key="mid:<1@x>", channel="smtp", from_address="erp@x.test",
                                     subject="Factures de mars", outcome="no_files", report_to="erp@x.test")
    MailImportMessage.objects.create(organisation=org, key="mid:<3@x>", channel="imap", from_address="erp@x.test",
                                     subject="Factures d'avril", outcome="imported", batch=batch)
    MailImportMessage.objects.create(organisation=None, key="mid:<2@x>", channel="smtp", from_address="spam@x.test",
                                     outcome="ignored")
    page = signed_in.get(reverse("web:settings_mail_import")).content.decode()
    assert "Factures de mars" in page and "No invoice file attached" in page
    assert reverse("imports:report", args=[batch.pk]) in page
    assert "spam@x.test" not in page  # ignored messages belong to no organisation


def test_the_screen_reads_in_french(signed_in, org, owner):
    owner.user.language = "fr"
    owner.user.save()
    with translation.override("fr"):
        page = signed_in.get(reverse("web:settings_mail_import")).content.decode()
    assert "Adresse d’import" in page and "Expéditeurs autorisés" in page and "Envoi automatique" in page
