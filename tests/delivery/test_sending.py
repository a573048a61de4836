"""Sending issued documents through a real SMTP server, exactly once, with every refusal explained."""

import datetime as dt

import pytest
from django.utils import timezone

from facturier.delivery import outbox as outbox_module
from facturier.delivery.models import Delivery, DeliveryState, OutboxMessage, OutboxState
from facturier.delivery.outbox import outbox_flush
from facturier.delivery.selectors import delivery_history
from facturier.delivery.services import mail_settings_save, send_documents
from facturier.parties.models import ConsentOrigin, Contact
from facturier.parties.services import consent_refuse

pytestmark = pytest.mark.django_db


def fatal_findings(verdict: dict) -> list[str]:
    return [f"{r['artefact']}: {f['id']} {f['text'][:160]}" for r in verdict["results"] for f in r["findings"]
            if f.get("flag", "fatal") not in ("warning", "information")]


def flush(org, **kwargs):
    return outbox_flush(organisation_id=org.pk, **kwargs)


def test_an_issued_invoice_goes_out_with_its_factur_x_and_a_verp_return_path(org, owner, mail, smtp_server,
                                                                           issued, referee, tmp_path):
    result = send_documents(by=owner, document_ids=[issued.pk])
    assert result.queued == [issued.pk] and result.refused == []
    assert Delivery.objects.get(document=issued).state == DeliveryState.QUEUED
    assert smtp_server.messages == []  # nothing leaves before the worker runs

    report = flush(org)
    assert report.sent == 1 and report.errors == []
    [received] = smtp_server.messages
    message = received.message
    row = OutboxMessage.objects.get(document=issued)
    assert received.rcpt_tos == ["compta@client.test"]
    assert received.mail_from == f"bounce+{row.verp_token}@acme.test"
    assert message["Message-ID"] == row.message_id
    assert message["From"] == "Acme Factures <factures@acme.test>"
    assert message["Reply-To"] == "compta@acme.test"
    assert message["Subject"] == f"Facture {issued.number} — Acme SAS"
    assert "Disposition-Notification-To" not in message
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{issued.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    pdf = tmp_path / attachment.get_filename()
    pdf.write_bytes(attachment.get_content())
    verdict = referee([pdf])[str(pdf)]
    assert verdict["passed"], fatal_findings(verdict)

    delivery = Delivery.objects.get(document=issued)
    assert (delivery.state, delivery.recipient) == (DeliveryState.SENT, "compta@client.test")
    assert [e.state for e in delivery_history(organisation=org, document_id=issued.pk)] == ["queued", "sent"]
    assert row.state == OutboxState.SENT and row.sent_at is not None


def test_read_receipts_and_the_xml_are_added_when_the_organisation_asks(org, owner, mail, smtp_server, issued):
    mail_settings_save(by=owner, read_receipts=True, attach_xml="cii")
    send_documents(by=owner, document_ids=[issued.pk])
    flush(org)
    message = smtp_server.messages[0].message
    row = OutboxMessage.objects.get(document=issued)
    assert message["Disposition-Notification-To"] == f"bounce+{row.verp_token}@acme.test"
    names = [a.get_filename() for a in message.iter_attachments()]
    assert names == [f"{issued.number}.pdf", f"{issued.number}.cii.xml"]
    assert b"CrossIndustryInvoice" in list(message.iter_attachments())[1].get_content()


def test_every_refusal_comes_back_with_its_reason_and_nothing_is_queued_for_it(org, owner, mail, customers, issue,
                                                                              draft):
    ok = issue(customers["C002"])
    without_email = issue(customers["C003"])
    refused_customer = issue(customers["X001"])
    consent_refuse(by=owner, customer_id=customers["X001"].pk, organisation_id=org.pk, on=dt.date(2026, 1, 5),
                   origin=ConsentOrigin.MANUAL)
    result = send_documents(by=owner, document_ids=[ok.pk, draft.pk, without_email.pk, refused_customer.pk, 999999])
    assert result.queued == [ok.pk]
    reasons = {r.document_id: (r.code, r.reason) for r in result.refused}
    assert reasons[draft.pk] == ("draft", "This document is a draft: issue it first, then send it.")
    assert result.drafts == [draft.pk]
    assert reasons[without_email.pk][0] == "no_email"
    assert "Trois sans mail has no valid e-mail address" in reasons[without_email.pk][1]
    assert reasons[refused_customer.pk] == ("refused", "Autre refused e-invoices on 5 Jan 2026: send it by post.")
    assert reasons[999999][0] == "not_found"
    assert OutboxMessage.objects.filter(organisation=org).count() == 1
    assert not Delivery.objects.filter(document__in=[draft, without_email, refused_customer]).exists()


def test_a_batch_goes_to_every_contact_over_one_connection(org, owner, mail, smtp_server, customers, issue):
    documents = [issue(customers["C002"]) for _ in range(5)]
    send_documents(by=owner, document_ids=[d.pk for d in documents])
    assert flush(org).sent == 5
    assert len(smtp_server.messages) == 5
    assert all(r.rcpt_tos == ["a@deux.test", "b@deux.test"] for r in smtp_server.messages)


def test_a_worker_killed_in_the_middle_of_a_batch_sends_every_document_exactly_once(org, owner, mail, smtp_server,
                                                                                   customers, issue, monkeypatch):
    documents = [issue(customers["C002"]) for _ in range(8)]
    result = send_documents(by=owner, document_ids=[d.pk for d in documents])
    sent = []

    def crash_after_three(message):
        sent.append(message.pk)
        if len(sent) == 3:
            raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(outbox_module, "_after_sent", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        flush(org, batch=result.batch)
    assert len(smtp_server.messages) == 3
    monkeypatch.undo()

    assert flush(org, batch=result.batch).sent == 5
    assert flush(org, batch=result.batch).sent == 0  # a third run finds nothing to do
    counts = smtp_server.by_message_id()
    assert len(counts) == 8 and set(counts.values()) == {1}
    assert set(Delivery.objects.filter(document__in=documents).values_list("state", flat=True)) == {"sent"}


def test_a_wrong_smtp_password_sends_nothing_marks_nothing_and_says_why(org, owner, mail, smtp_server, issued):
    mail_settings_save(by=owner, password="wrong")
    send_documents(by=owner, document_ids=[issued.pk])
    report = flush(org)
    assert report.sent == 0
    assert report.errors == ["The server 127.0.0.1 refused the user name or password "
                             "(535 5.7.8 Authentication credentials invalid)."]
    row = OutboxMessage.objects.get(document=issued)
    assert (row.state, row.sent_at) == (OutboxState.PENDING, None)
    assert "refused the user name or password" in row.last_error
    assert Delivery.objects.get(document=issued).state == DeliveryState.QUEUED
    assert smtp_server.messages == []

    mail_settings_save(by=owner, password="s3cret-smtp")  # fixed: the same message goes out, once
    assert flush(org).sent == 1
    assert len(smtp_server.messages) == 1


def test_an_unreachable_server_sends_nothing_and_says_why(org, owner, mail, smtp_server, issued):
    mail_settings_save(by=owner, port=1)
    send_documents(by=owner, document_ids=[issued.pk])
    report = flush(org)
    assert report.sent == 0 and "refused the connection on port 1" in report.errors[0]
    assert OutboxMessage.objects.get(document=issued).state == OutboxState.PENDING
    assert Delivery.objects.get(document=issued).state == DeliveryState.QUEUED


def test_an_address_the_server_rejects_fails_with_the_servers_reason_and_opens_the_correction_delay(
        org, owner, mail, smtp_server, issued):
    Contact.objects.filter(customer=issued.customer).update(email="invalid@client.test")
    send_documents(by=owner, document_ids=[issued.pk])
    report = flush(org)
    assert (report.sent, report.failed) == (0, 1)
    row = OutboxMessage.objects.get(document=issued)
    assert row.state == OutboxState.FAILED and row.sent_at is None
    assert "550 5.1.1 <invalid@client.test>: Recipient address rejected" in row.last_error
    delivery = Delivery.objects.get(document=issued)
    assert delivery.state == DeliveryState.BOUNCED and "Recipient address rejected" in delivery.events.last().detail
    assert delivery.correction_deadline == timezone.localdate() + dt.timedelta(days=8)
    assert smtp_server.messages == []


def test_a_temporary_refusal_is_retried_with_backoff_then_given_up(org, owner, mail, smtp_server, issued):
    Contact.objects.filter(customer=issued.customer).update(email="busy@client.test")
    send_documents(by=owner, document_ids=[issued.pk])
    now = timezone.now()
    assert flush(org, now=now).rescheduled == 1
    row = OutboxMessage.objects.get(document=issued)
    assert row.state == OutboxState.PENDING and row.next_attempt_at == now + dt.timedelta(minutes=1)
    assert flush(org, now=now).sent == 0  # not due yet
    for _attempt in range(outbox_module.MAX_ATTEMPTS - 1):
        now += dt.timedelta(days=1)
        flush(org, now=now)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.FAILED, outbox_module.MAX_ATTEMPTS)
    assert "451 4.2.1 Mailbox busy" in row.last_error


def test_a_document_sent_twice_is_a_duplicate_warned_or_blocked_per_setting(org, owner, mail, smtp_server, issued):
    send_documents(by=owner, document_ids=[issued.pk])
    flush(org)
    again = send_documents(by=owner, document_ids=[issued.pk])
    assert again.queued == [issued.pk]
    assert "was already sent to this customer" in again.warnings[0].reason
    flush(org)
    mail_settings_save(by=owner, duplicate_policy="block")
    blocked = send_documents(by=owner, document_ids=[issued.pk])
    assert blocked.queued == [] and blocked.refused[0].code == "duplicate"


def test_another_invoice_with_the_same_amount_and_date_is_a_possible_duplicate(org, owner, mail, smtp_server,
                                                                              issue, customers):
    first = issue(customers["C002"])
    send_documents(by=owner, document_ids=[first.pk])
    flush(org)
    mail_settings_save(by=owner, duplicate_policy="block")
    twin = issue(customers["C002"])
    result = send_documents(by=owner, document_ids=[twin.pk])
    assert result.refused[0].code == "duplicate"
    assert f"{first.number}, already sent to this customer, has the same amount and date." == result.refused[0].reason
    assert send_documents(by=owner, document_ids=[twin.pk], allow_duplicates=True).queued == [twin.pk]


def test_a_member_without_the_send_right_cannot_send(org, mail, issued):
    from facturier.accounts.services import RightMissing

    viewer = org.member("viewer")
    with pytest.raises(RightMissing):
        send_documents(by=viewer, document_ids=[issued.pk])


def test_drafts_can_be_issued_then_sent_in_the_same_action(org, owner, mail, smtp_server, draft):
    result = send_documents(by=owner, document_ids=[draft.pk], issue_drafts=True)
    assert result.queued == [draft.pk]
    draft.refresh_from_db()
    assert draft.state == "issued" and draft.number
    assert flush(org).sent == 1


def test_a_batch_with_bad_input_marks_sent_only_what_the_server_took_and_says_why_for_the_rest(
        org, owner, mail, smtp_server, customers, issue):
    """Invalid addresses (malformed, or rejected by the server) and a customer who refused: each has its
    reason, and nothing is marked sent that the server did not take."""
    good = issue(customers["C002"])
    rejected = issue(customers["C001"])
    Contact.objects.filter(customer=customers["C001"]).update(email="invalid@client.test")
    malformed = issue(customers["C003"])
    Contact.objects.create(customer=customers["C003"], email="compta@@trois", receives_invoices=True)
    refusing = issue(customers["X001"])
    consent_refuse(by=owner, customer_id=customers["X001"].pk, organisation_id=org.pk, on=dt.date(2026, 1, 5),
                   origin=ConsentOrigin.LINK)

    result = send_documents(by=owner, document_ids=[good.pk, rejected.pk, malformed.pk, refusing.pk])
    assert result.queued == [good.pk, rejected.pk]
    reasons = {r.document_id: r for r in result.refused}
    assert reasons[malformed.pk].code == "no_email" and "no valid e-mail address" in reasons[malformed.pk].reason
    assert reasons[refusing.pk].code == "refused" and "refused e-invoices on 5 Jan 2026" in reasons[refusing.pk].reason

    report = flush(org)
    assert (report.sent, report.failed) == (1, 1)
    assert "Recipient address rejected" in report.errors[0]
    assert [r.rcpt_tos for r in smtp_server.messages] == [["a@deux.test", "b@deux.test"]]
    states = dict(Delivery.objects.filter(document__in=[good, rejected, malformed, refusing])
                  .values_list("document_id", "state"))
    assert states == {good.pk: DeliveryState.SENT, rejected.pk: DeliveryState.BOUNCED}
    assert OutboxMessage.objects.get(document=rejected).sent_at is None
    assert not OutboxMessage.objects.filter(document__in=[malformed, refusing]).exists()


def test_a_line_starting_with_a_dot_arrives_intact_and_the_message_is_crlf_only(org, owner, mail, smtp_server,
                                                                              issued):
    from facturier.delivery.services import mail_template_save

    for language in ("fr", "en"):
        mail_template_save(by=owner, kind="invoice", language=language, subject="Facture {number}",
                           body=".\n.Signé : la comptabilité\nFin.")
    send_documents(by=owner, document_ids=[issued.pk])
    assert flush(org).sent == 1
    [received] = smtp_server.messages
    assert received.message.get_body(preferencelist=("plain",)).get_content().splitlines() == [
        ".", ".Signé : la comptabilité", "Fin."]
    assert b"\n" not in received.data.replace(b"\r\n", b"")


def test_a_blocked_duplicate_is_explained_on_its_page_and_sent_once_a_member_confirms(
        client, org, owner, mail, smtp_server, issued):
    from django.urls import reverse

    from facturier.audit.models import Event

    send_documents(by=owner, document_ids=[issued.pk])
    flush(org)
    mail_settings_save(by=owner, duplicate_policy="block")
    client.force_login(owner.user)
    page = reverse("web:document", args=[issued.pk])

    shown = client.get(page).content.decode()
    assert f"{issued.number} a déjà été envoyé à ce client" in shown and 'name="allow_duplicates"' in shown
    assert ">heure</td>" in shown  # and, on the way, units read as words
    refused = client.post(reverse("web:document_send", args=[issued.pk]), follow=True)  # the plain button
    assert OutboxMessage.objects.filter(document=issued).count() == 1
    assert f"Facture {issued.number} : {issued.number} a déjà été envoyé" in refused.content.decode()

    sent = client.post(reverse("web:document_send", args=[issued.pk]), {"allow_duplicates": "1"}, follow=True)

    assert "1 document en file d&#x27;envoi par e-mail." in sent.content.decode()
    assert OutboxMessage.objects.filter(document=issued).count() == 2
    assert flush(org).sent == 1
    confirmed = Event.objects.get(action="delivery.duplicate_confirmed")
    assert confirmed.after["reasons"] and confirmed.actor_id == owner.user_id
    viewer = org.member("viewer")  # no "send" right: no reasons, no button
    client.force_login(viewer.user)
    assert 'name="allow_duplicates"' not in client.get(page).content.decode()


def test_control_characters_in_a_subject_or_sender_name_cannot_inject_a_header(org, owner, mail, smtp_server,
                                                                               issued):
    from facturier.delivery.services import mail_template_save

    mail_template_save(by=owner, kind="invoice", language="fr",
                       subject="Facture {number}\rBcc: evil@attacker.test\x0b\x85\u2028X-Evil: 1\x1b", body="Bonjour")
    MailSettings = type(mail)
    MailSettings.objects.filter(pk=mail.pk).update(sender_name="Acme\r\nCc: evil@attacker.test")
    send_documents(by=owner, document_ids=[issued.pk])
    assert flush(org).sent == 1

    [received] = smtp_server.messages
    message = received.message
    assert received.rcpt_tos == ["compta@client.test"]
    assert message["Bcc"] is None and message["Cc"] is None and message["X-Evil"] is None
    assert message["Subject"] == f"Facture {issued.number} Bcc: evil@attacker.test X-Evil: 1"
    assert not any(ord(c) < 32 for c in str(message["From"]))
def test_send_issuing_drafts_first_goes_through_the_rule_gate(org, owner, mail, smtp_server):
    """A draft breaking BR-O-02 is neither issued nor sent by "send, issuing drafts first"."""
    from decimal import Decimal

    from facturier.delivery.models import OutboxMessage
    from facturier.invoicing.gate import RulesRefused
    from facturier.invoicing.services import draft_create

    bad = draft_create(by=owner, customer_id=org.customer.pk, lines=[
        {"name": "Débours", "quantity": Decimal("1"), "unit_price": Decimal("50.00"), "vat_category": "O",
         "vat_rate": None, "exemption_reason": "Hors champ"}])
    with pytest.raises(RulesRefused) as refused:
        send_documents(by=owner, document_ids=[bad.pk], issue_drafts=True)
    assert "BR-O-02" in refused.value.rule_ids
    bad.refresh_from_db()
    assert bad.state == "draft" and not bad.number
    assert not OutboxMessage.objects.filter(document=bad).exists()
