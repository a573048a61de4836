"""The whole e-mail channel on one organisation, against a mail catcher started for the purpose:
a consent campaign, a batch of invoices, a bounce corrected and resent, a bounce gone by post.
Every caught message is written as an .eml file (with its attachments) next to the PDFs.

For newcomers and demonstrations (`facturier delivery showcase --org demo --out DIR`): it
points the organisation's mail settings at the catcher on loopback, so it is not for a
production organisation.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from facturier.accounts.models import Organisation, Role
from facturier.delivery.bounces import FetchResult, handle
from facturier.delivery.consent import CampaignFilter, campaign_customers, campaign_send
from facturier.delivery.models import OutboxMessage
from facturier.delivery.outbox import outbox_flush
from facturier.delivery.postal import postal_batch_pdf, postal_fallback
from facturier.delivery.selectors import delivery_history
from facturier.delivery.services import address_correct, mail_settings_save, send_documents


class _Catcher:
    """An aiosmtpd server on a free loopback port that writes each message to a folder."""

    def __init__(self, folder: Path):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every command at INFO

        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        catcher = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                catcher.count += 1
                (folder / f"{catcher.count:04d}.eml").write_bytes(envelope.content)
                return "250 2.0.0 Caught"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def dsn_for(message: OutboxMessage) -> bytes:
    """The delivery status notification a receiving server would send back for this message."""
    recipient = message.recipients[0]
    return (f"From: MAILER-DAEMON@mx.example\r\nTo: bounce+{message.verp_token}@example\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{message.verp_token}@mx.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown\r\n\r\n"
            "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {message.message_id}\r\n\r\n--B--\r\n").encode()


def showcase(*, organisation: Organisation, invoices: int, out: Path) -> Iterator[str]:
    from facturier.invoicing.services import document_issue, draft_create

    owner = organisation.memberships.filter(role=Role.OWNER, is_active=True).first()
    if owner is None:
        raise ValueError(f"{organisation} has no active owner")
    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = True  # the catcher is on loopback, in this process only
    with _Catcher(out / "messages") as catcher:
        mail_settings_save(by=owner, host="127.0.0.1", port=catcher.port, security="none", username="",
                           sender_name=organisation.name, sender_address=f"factures@{organisation.slug}.example",
                           bounce_address=f"bounce@{organisation.slug}.example", correction_delay_days=8)

        customers = campaign_customers(organisation=organisation, f=CampaignFilter(include_without_email=True,
                                                                                   include_already_sent=True))
        campaign = campaign_send(by=owner, customer_ids=[c.pk for c in customers])
        outbox_flush(organisation_id=organisation.pk)
        if campaign.pdf:
            (out / "consent-letters.pdf").write_bytes(campaign.pdf)
        yield (f"Consent campaign: {len(campaign.emailed)} e-mailed, {len(campaign.to_print)} to print "
               f"({catcher.count} messages caught)")

        senders = [c for c in customers if c.accepts_einvoices and c.contacts.filter(receives_invoices=True)
                   .exclude(email="").exists() and c.preferred_channel == "email"]
        ids = []
        for i in range(invoices):
            customer = senders[i % len(senders)]
            draft = draft_create(by=owner, customer_id=customer.pk, lines=[
                {"name": f"Prestation {i + 1}", "quantity": Decimal(1), "unit_price": Decimal(100 + i)}])
            ids.append(document_issue(by=owner, document_id=draft.pk).pk)
        before = catcher.count
        result = send_documents(by=owner, document_ids=ids, allow_duplicates=True)
        outbox_flush(organisation_id=organisation.pk)
        yield (f"Batch: {len(result.queued)} invoices queued, {catcher.count - before} sent, "
               f"{len(result.refused)} refused")

        corrected, by_post = ids[0], ids[1]
        for document_id in (corrected, by_post):
            message = OutboxMessage.objects.filter(document_id=document_id).latest("id")
            handle(organisation.pk, dsn_for(message), key=f"showcase-{message.verp_token}", result=FetchResult())
        address_correct(by=owner, document_id=corrected, email=f"factures-{corrected}@corrected.example")
        outbox_flush(organisation_id=organisation.pk)
        day = timezone.localdate() + dt.timedelta(days=9)
        postal_fallback(organisation_id=organisation.pk, today=day)
        pdf = postal_batch_pdf(organisation=organisation, day=day)
        if pdf:
            (out / f"postal-{day.isoformat()}.pdf").write_bytes(pdf)
        for label, document_id in (("Bounce corrected and resent", corrected), ("Bounce sent by post", by_post)):
            history = ", ".join(e.state for e in delivery_history(organisation=organisation, document_id=document_id))
            yield f"{label}: document #{document_id}: {history}"
        yield f"Messages caught: {catcher.count}, written to {out / 'messages'}"
