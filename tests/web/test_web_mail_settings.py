"""Settings → E-mail: the mail server (password never shown back), its connection test, message templates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from facturier.delivery.models import MailSettings, MailTemplate
from facturier.delivery.services import imap_password_of

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SMTP_USER, SMTP_PASSWORD = "mailer@acme.test", "s3cret-smtp"  # what the smtp_server fixture accepts


def _server(smtp_server, **over):
    return {"host": smtp_server.host, "port": str(smtp_server.port), "security": "none", "username": SMTP_USER,
            "password": SMTP_PASSWORD, "sender_name": "Acme Factures", "sender_address": "factures@acme.test",
            "reply_to": "compta@acme.test", "imap_port": "993", "imap_security": "tls", "imap_folder": "INBOX",
            "correction_delay_days": "8", "duplicate_policy": "warn", "attach_xml": "", "action": "save", **over}


IMAP_PASSWORD = "s3cret-imap"


def _bounces(smtp_server, **over):
    return _server(smtp_server, **{
        "bounce_address": "retours@acme.test", "imap_host": "imap.acme.test", "imap_port": "143",
        "imap_security": "starttls", "imap_username": "retours@acme.test", "imap_password": IMAP_PASSWORD,
        "imap_folder": "Retours", "correction_delay_days": "15", "duplicate_policy": "block", "attach_xml": "ubl",
        "read_receipts": "on", **over})


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


def test_bounce_mailbox_and_options_are_saved(signed_in, org, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server))
    assert response.status_code == 302
    ms = MailSettings.objects.get(organisation=org)
    assert (ms.bounce_address, ms.imap_host, ms.imap_port, ms.imap_security, ms.imap_username, ms.imap_folder) == (
        "retours@acme.test", "imap.acme.test", 143, "starttls", "retours@acme.test", "Retours")
    assert (ms.correction_delay_days, ms.duplicate_policy, ms.attach_xml, ms.read_receipts) == (
        15, "block", "ubl", True)
    assert ms.return_path_domain == ("retours", "acme.test")
    page = signed_in.get(reverse("web:settings_mail")).content.decode()
    for legend in ("Sending", "Bounces", "Options"):
        assert f"<legend>{legend}</legend>" in page
    assert 'value="imap.acme.test"' in page and 'value="Retours"' in page and 'value="15"' in page
    assert '<option value="ubl" selected>' in page and '<option value="block" selected>' in page


def test_the_imap_password_is_sealed_never_shown_back_kept_when_empty_and_removed_by_its_box(signed_in, org,
                                                                                            smtp_server):
    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server))
    ms = MailSettings.objects.get(organisation=org)
    assert ms.imap_password and IMAP_PASSWORD.encode() not in bytes(ms.imap_password)
    assert imap_password_of(ms) == IMAP_PASSWORD and bytes(ms.password) != bytes(ms.imap_password)
    page = signed_in.get(reverse("web:settings_mail")).content.decode()
    assert IMAP_PASSWORD not in page and SMTP_PASSWORD not in page
    assert "Remove the stored IMAP password" in page
    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server, imap_password="", password=""))
    ms = MailSettings.objects.get(organisation=org)
    assert imap_password_of(ms) == IMAP_PASSWORD and ms.password  # both kept
    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server, imap_password="", password="",
                                                          forget_imap_password="on"))
    ms = MailSettings.objects.get(organisation=org)
    assert bytes(ms.imap_password) == b"" and ms.password  # only the IMAP one removed
    assert "Remove the stored IMAP password" not in signed_in.get(reverse("web:settings_mail")).content.decode()


def test_no_bounce_mailbox_is_fine_and_stores_no_imap_password(signed_in, org, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _server(smtp_server, imap_folder=""))
    assert response.status_code == 302
    ms = MailSettings.objects.get(organisation=org)
    assert ms.imap_host == "" and bytes(ms.imap_password) == b"" and ms.imap_folder == "INBOX"


def test_bad_bounce_settings_are_explained_inline_and_what_was_typed_stays(signed_in, org, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _bounces(
        smtp_server, imap_port="70000", bounce_address="retours chez acme", imap_host="imaps://imap.acme.test",
        correction_delay_days="-1"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 65535." in page
    assert "Enter a valid email address." in page and "Type the server name only" in page
    assert "Ensure this value is greater than or equal to 0." in page
    assert 'value="70000"' in page and 'value="retours chez acme"' in page and 'value="imaps://imap.acme.test"' in page
    assert 'value="Retours"' in page and '<option value="ubl" selected>' in page  # the rest stays too
    assert IMAP_PASSWORD not in page and SMTP_PASSWORD not in page  # not even the ones just typed
    assert not MailSettings.objects.filter(organisation=org).exists()


def test_an_imap_server_needs_its_user(signed_in, org, smtp_server):
    response = signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server, imap_username=""))
    assert response.status_code == 422
    assert "Type the user of the bounce mailbox" in response.content.decode()
    assert not MailSettings.objects.filter(organisation=org).exists()


def test_bounce_errors_keep_the_stored_settings(signed_in, org, smtp_server):
    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server))
    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server, imap_port="0", imap_password="other"))
    ms = MailSettings.objects.get(organisation=org)
    assert ms.imap_port == 143 and imap_password_of(ms) == IMAP_PASSWORD


def test_bounce_settings_need_the_manage_settings_right(client_of, org, smtp_server):
    clerk = client_of(org.member("clerk"))
    assert clerk.post(reverse("web:settings_mail"), _bounces(smtp_server)).status_code == 403
    assert not MailSettings.objects.filter(organisation=org).exists()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_bounce_mailbox_button_shows_what_failed_next_to_the_bounces(signed_in, org, smtp_server):
    port = _closed_port()
    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server, imap_host="127.0.0.1", imap_port=str(port),
                                                          imap_security="none"))
    page = signed_in.get(reverse("web:settings_mail")).content.decode()
    assert "Test the bounce mailbox" in page and reverse("web:settings_mail_bounce_test") in page
    response = signed_in.post(reverse("web:settings_mail_bounce_test"))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="bounce-test-report"' in page and "Bounce mailbox test failed." in page
    assert f"refused the connection on port {port}" in page
    assert page.index('id="mail-bounces"') < page.index('id="bounce-test-report"') < page.index('id="mail-options"')
    assert 'id="test-report"' not in page  # the SMTP report stays out of it


def test_the_bounce_mailbox_button_shows_the_message_count(signed_in, org, smtp_server, monkeypatch):
    from facturier.delivery import imap

    signed_in.post(reverse("web:settings_mail"), _bounces(smtp_server))
    monkeypatch.setattr(imap, "examine", lambda ms, password: 4 if password == IMAP_PASSWORD else 0)
    response = signed_in.post(reverse("web:settings_mail_bounce_test"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bounce mailbox test passed." in page and "the folder “Retours” read-only. Messages in it: 4." in page


def test_the_bounce_mailbox_button_says_when_none_is_set_up(signed_in, org, smtp_server):
    signed_in.post(reverse("web:settings_mail"), _server(smtp_server))
    page = signed_in.get(reverse("web:settings_mail")).content.decode()
    assert "Save a bounce mailbox first." in page
    response = signed_in.post(reverse("web:settings_mail_bounce_test"))
    assert response.status_code == 422 and "No bounce mailbox is set up" in response.content.decode()


def test_the_bounce_mailbox_test_needs_the_manage_settings_right(client_of, org):
    clerk = client_of(org.member("clerk"))
    assert clerk.post(reverse("web:settings_mail_bounce_test")).status_code == 403
