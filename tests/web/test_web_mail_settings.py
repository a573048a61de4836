"""Settings → E-mail: the mail server (password never shown back), its connection test, message templates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from facturier.delivery.models import MailSettings, MailTemplate

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SMTP_USER, SMTP_PASSWORD = "mailer@acme.test", "s3cret-smtp"  # what the smtp_server fixture accepts


def _server(smtp_server, **over):
    return {"host": smtp_server.host, "port": str(smtp_server.port), "security": "none", "username": SMTP_USER,
            "password": SMTP_PASSWORD, "sender_name": "Acme Factures", "sender_address": "factures@acme.test",
            "reply_to": "compta@acme.test", "action": "save", **over}


def test_mail_server_is_saved_and_its_password_never_shown_back(signed_in, org, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _server(smtp_server))
    assert response.status_code == 302
    ms = MailSettings.objects.get(organisation=org)
    assert ms.host == "127.0.0.1" and ms.sender_address == "factures@acme.test" and ms.password
    assert SMTP_PASSWORD.encode() not in bytes(ms.password)  # sealed at rest
    page = signed_in.get(reverse("web:settings_mail")).content.decode()
    assert SMTP_PASSWORD not in page and 'value="factures@acme.test"' in page
    assert "A password is stored" in page


def test_an_empty_password_keeps_the_stored_one_and_the_box_removes_it(signed_in, org, smtp_server):
    signed_in.post(reverse("web:settings_mail"), _server(smtp_server))
    stored = bytes(MailSettings.objects.get(organisation=org).password)
    signed_in.post(reverse("web:settings_mail"), _server(smtp_server, password="", sender_name="Renamed"))
    ms = MailSettings.objects.get(organisation=org)
    assert bytes(ms.password) == stored and ms.sender_name == "Renamed"
    signed_in.post(reverse("web:settings_mail"), _server(smtp_server, password="", forget_password="on"))
    assert bytes(MailSettings.objects.get(organisation=org).password) == b""


def test_bad_input_is_explained_inline_and_what_was_typed_stays(signed_in, org, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _server(
        smtp_server, host="smtp://mail.acme.test:587", sender_address="not an address", port="99999"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Type the server name only" in page and "Enter a valid email address." in page
    assert 'value="smtp://mail.acme.test:587"' in page and 'value="not an address"' in page
    assert SMTP_PASSWORD not in page  # not even the one just typed
    assert not MailSettings.objects.filter(organisation=org).exists()


def test_save_and_test_connects_and_signs_in(signed_in, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _server(smtp_server, action="test"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Connection test passed." in page and f"127.0.0.1:{smtp_server.port}" in page
    assert smtp_server.messages == []  # a test sends nothing


def test_connection_test_says_the_password_was_refused(signed_in, smtp_server):
    signed_in.post(reverse("web:settings_mail"), _server(smtp_server, password="wrong"))
    response = signed_in.post(reverse("web:settings_mail_test"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Connection test failed." in page
    assert "password" in page.lower() or "authentication" in page.lower()


def test_connection_test_says_nothing_listens_on_the_port(signed_in, smtp_server):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    signed_in.post(reverse("web:settings_mail"), _server(smtp_server, port=str(closed)))
    page = signed_in.post(reverse("web:settings_mail_test")).content.decode()
    assert "Connection test failed." in page and str(closed) in page


def test_connection_test_without_settings_says_to_enter_them(signed_in):
    response = signed_in.post(reverse("web:settings_mail_test"))
    assert response.status_code == 422 and "no mail server set up yet" in response.content.decode()


def test_template_preview_uses_a_real_document_and_saves_per_kind_and_language(signed_in, org, issued):
    page = signed_in.get(reverse("web:settings_mail"), {"kind": "invoice", "language": "en"}).content.decode()
    assert "default text" in page and issued.number in page  # the default, previewed on the issued invoice
    typed = {"kind": "invoice", "language": "en", "subject": "Our invoice {number}",
             "body": "Dear {customer}, {amount} by {due_date}.", "document": str(issued.pk)}
    preview = signed_in.post(reverse("web:settings_mail_template"), {**typed, "action": "preview"})
    text = preview.content.decode()
    assert preview.status_code == 200 and f"Our invoice {issued.number}" in text and "Client Un SARL" in text
    assert not MailTemplate.objects.filter(organisation=org).exists()  # a preview saves nothing
    saved = signed_in.post(reverse("web:settings_mail_template"), {**typed, "action": "save"})
    assert saved.status_code == 302
    template = MailTemplate.objects.get(organisation=org, kind="invoice", language="en")
    assert template.subject == "Our invoice {number}"
    assert not MailTemplate.objects.filter(organisation=org, language="fr").exists()
    assert "your own text" in signed_in.get(saved["Location"]).content.decode()


def test_template_errors_keep_the_typed_text(signed_in, org):
    response = signed_in.post(reverse("web:settings_mail_template"), {
        "kind": "reminder", "language": "fr", "subject": "", "body": "Mon texte à moi", "action": "save"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page and "Mon texte à moi" in page
    assert not MailTemplate.objects.filter(organisation=org).exists()


def test_preview_never_shows_another_organisations_document(signed_in, other_org):
    from facturier.invoicing.services import document_issue, draft_create

    theirs = draft_create(by=other_org.owner, customer_id=other_org.customer.pk, lines=[
        {"name": "Secret", "quantity": "1", "unit_price": "99"}])
    theirs = document_issue(by=other_org.owner, document_id=theirs.pk)
    response = signed_in.post(reverse("web:settings_mail_template"), {
        "kind": "invoice", "language": "en", "subject": "{number}", "body": "{customer}",
        "document": str(theirs.pk), "action": "preview"})
    assert theirs.number not in response.content.decode()
    assert other_org.customer.name not in response.content.decode()


def test_mail_settings_need_the_manage_settings_right(client_of, org):
    clerk = client_of(org.member("clerk"))
    assert clerk.get(reverse("web:settings_mail")).status_code == 403
    for name in ("web:settings_mail", "web:settings_mail_test", "web:settings_mail_template"):
        assert clerk.post(reverse(name), {}).status_code == 403
    assert not MailSettings.objects.filter(organisation=org).exists()
