"""Bounces from a real IMAP mailbox (Dovecot): DSN, read receipts, non-standard bounces, correction, post."""

import datetime as dt
import io

import pikepdf
import pytest
from django.utils import timezone

from facturier.audit.models import Event
from facturier.delivery.bounces import bounces_fetch, parse
from facturier.delivery.models import Delivery, DeliveryState, Notification, OutboxMessage
from facturier.delivery.outbox import outbox_flush
from facturier.delivery.postal import postal_batch_pdf, postal_fallback
from facturier.delivery.selectors import delivery_history
from facturier.delivery.services import address_correct, mail_settings_save, send_documents

pytestmark = pytest.mark.django_db


def dsn(row: OutboxMessage, *, action="failed", status="5.1.1", n=1) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    recipient = row.recipients[0]
    return f"""Return-Path: <>
Delivered-To: bounce+{row.verp_token}@acme.test
From: MAILER-DAEMON@mx.client.test (Mail Delivery System)
To: bounce+{row.verp_token}@acme.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{n}-{row.verp_token}@mx.client.test>
Date: Wed, 25 Nov 2026 10:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN-BOUNDARY"

This is a MIME-encapsulated message.

--DSN-BOUNDARY
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--DSN-BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.client.test
X-Postfix-Queue-ID: 4XyZ1234
Arrival-Date: Wed, 25 Nov 2026 09:59:58 +0100

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.client.test
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--DSN-BOUNDARY
Content-Type: text/rfc822-headers

Message-ID: {row.message_id}
From: Acme Factures <factures@acme.test>
To: {recipient}
Subject: Facture

--DSN-BOUNDARY--
""".replace("\n", "\r\n").encode()


def mdn(row: OutboxMessage) -> bytes:
    """A read receipt (RFC 8098) sent back to the Disposition-Notification-To address."""
    return f"""From: compta@client.test
To: bounce+{row.verp_token}@acme.test
Subject: Read: Facture
Message-ID: <mdn-{row.verp_token}@client.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="MDN"

--MDN
Content-Type: text/plain

The message was displayed.

--MDN
Content-Type: message/disposition-notification

Reporting-UA: client.test; Thunderbird
Final-Recipient: rfc822;{row.recipients[0]}
Original-Message-ID: {row.message_id}
Disposition: manual-action/MDN-sent-manually; displayed

--MDN--
""".replace("\n", "\r\n").encode()


def qmail_bounce(row: OutboxMessage) -> bytes:
    """A bounce in no standard format (qmail's), recognised by flufl.bounce."""
    return f"""From: MAILER-DAEMON@mx.client.test
To: bounce+{row.verp_token}@acme.test
Subject: failure notice
Message-ID: <qmail-{row.verp_token}@mx.client.test>

Hi. This is the qmail-send program at mx.client.test.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{row.recipients[0]}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Subject: Facture
""".replace("\n", "\r\n").encode()


@pytest.fixture
def bounce_mailbox(owner, mail, dovecot):
    mail_settings_save(by=owner, imap_host=dovecot.host, imap_port=dovecot.port, imap_security="none",
                       imap_username=dovecot.user, imap_password=dovecot.password, correction_delay_days=8)
    return dovecot


def sent(org, owner, documents):
    send_documents(by=owner, document_ids=[d.pk for d in documents])
    assert outbox_flush(organisation_id=org.pk).sent == len(documents)
    return {d.pk: OutboxMessage.objects.get(document=d) for d in documents}


def test_a_dsn_is_parsed_and_matched_by_its_verp_token(org, owner, mail, smtp_server, issued):
    row = sent(org, owner, [issued])[issued.pk]
    report = parse(dsn(row))
    assert (report.kind, report.recipients, report.status, report.token) == (
        "failed", ("compta@client.test",), "5.1.1", row.verp_token)
    assert report.original_message_id == row.message_id
    assert "User unknown" in report.diagnostic
    assert parse(dsn(row, action="delayed", status="4.4.1")).kind == "delayed"
    assert parse(mdn(row)).kind == "read"
    qmail = parse(qmail_bounce(row))
    assert (qmail.kind, qmail.recipients) == ("failed", ("compta@client.test",))


def test_bounces_from_the_mailbox_end_corrected_and_resent_or_by_post(org, owner, mail, smtp_server, customers,
                                                                     issue, bounce_mailbox):
    corrected, by_post, delayed = issue(customers["C001"]), issue(customers["C002"]), issue(customers["X001"])
    rows = sent(org, owner, [corrected, by_post, delayed])
    bounce_mailbox.append(dsn(rows[corrected.pk]))
    bounce_mailbox.append(qmail_bounce(rows[by_post.pk]))
    bounce_mailbox.append(dsn(rows[delayed.pk], action="delayed", status="4.4.1"))

    result = bounces_fetch(organisation_id=org.pk)
    assert result.errors == [] and result.read == 3
    assert sorted(result.bounced) == sorted([corrected.pk, by_post.pk])
    deadline = timezone.localdate() + dt.timedelta(days=8)
    for document in (corrected, by_post):
        delivery = Delivery.objects.get(document=document)
        assert (delivery.state, delivery.correction_deadline) == (DeliveryState.BOUNCED, deadline)
        assert Notification.objects.filter(organisation=org, document=document, kind="delivery.bounce").exists()
        assert Event.objects.filter(action="delivery.bounced", subject_id=str(document.pk)).exists()
    assert Delivery.objects.get(document=delayed).state == DeliveryState.SENT  # a delay is not a bounce
    assert bounces_fetch(organisation_id=org.pk).read == 0  # read once

    # Correcting the address sends the document again, at once.
    address_correct(by=owner, document_id=corrected.pk, email="comptabilite@client.test")
    assert Delivery.objects.get(document=corrected).state == DeliveryState.QUEUED
    outbox_flush(organisation_id=org.pk)
    assert smtp_server.messages[-1].rcpt_tos == ["comptabilite@client.test"]
    assert [e.state for e in delivery_history(organisation=org, document_id=corrected.pk)] == [
        "queued", "sent", "bounced", "corrected", "queued", "sent"]

    # The other one is not corrected in time: it joins the postal batch of the day after the deadline.
    assert postal_fallback(organisation_id=org.pk, today=deadline) == []
    day = deadline + dt.timedelta(days=1)
    assert postal_fallback(organisation_id=org.pk, today=day) == [by_post.pk]
    pdf = postal_batch_pdf(organisation=org, day=day)
    with pikepdf.open(io.BytesIO(pdf)) as printed:
        assert len(printed.pages) >= 2  # the window-envelope cover, then the invoice
    delivery = Delivery.objects.get(document=by_post)
    assert (delivery.state, delivery.postal_date) == (DeliveryState.SENT_BY_POST, day)
    assert [e.state for e in delivery_history(organisation=org, document_id=by_post.pk)] == [
        "queued", "sent", "bounced", "postal", "by_post"]


def test_a_read_receipt_in_the_mailbox_marks_the_document_read(org, owner, mail, smtp_server, issued,
                                                              bounce_mailbox):
    mail_settings_save(by=owner, read_receipts=True)
    row = sent(org, owner, [issued])[issued.pk]
    bounce_mailbox.append(mdn(row))
    result = bounces_fetch(organisation_id=org.pk)
    assert result.receipts == [issued.pk]
    assert Delivery.objects.get(document=issued).state == DeliveryState.READ


def test_a_wrong_mailbox_password_is_reported(org, owner, mail, bounce_mailbox):
    mail_settings_save(by=owner, imap_password="wrong")
    result = bounces_fetch(organisation_id=org.pk)
    assert result.read == 0 and "could not be read" in result.errors[0]


def test_a_late_bounce_of_an_earlier_message_does_not_undo_a_later_send(org, owner, mail, smtp_server, issued):
    first = sent(org, owner, [issued])[issued.pk]
    send_documents(by=owner, document_ids=[issued.pk], allow_duplicates=True)
    outbox_flush(organisation_id=org.pk)
    from facturier.delivery.bounces import FetchResult, handle

    handle(org.pk, dsn(first), key="late", result=FetchResult())
    assert Delivery.objects.get(document=issued).state == DeliveryState.SENT
    assert Event.objects.filter(action="delivery.late_bounce", subject_id=str(issued.pk)).exists()
