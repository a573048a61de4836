"""The whole e-mail channel on one organisation, against the local mail catcher (the one
`facturier run` started, else one started for the purpose): a consent campaign, a batch of
invoices, a bounce corrected and resent, a bounce gone by post. Every caught message is in the
organisation's mailbox (/mail/) and copied as an .eml file (with its attachments) next to the PDFs.

For newcomers and demonstrations (`facturier delivery showcase --org demo --out DIR`): it
points the organisation's mail settings at the catcher, so it is not for a production organisation.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from facturier.accounts.models import Organisation, Role
from facturier.delivery.bounces import FetchResult, handle
from facturier.delivery.catcher import MailCatcher, address, catcher_point, folder_of
from facturier.delivery.consent import CampaignFilter, campaign_customers, campaign_send
from facturier.delivery.models import OutboxMessage
from facturier.delivery.outbox import outbox_flush
from facturier.delivery.postal import postal_batch_pdf, postal_fallback
from facturier.delivery.selectors import delivery_history
from facturier.delivery.services import address_correct, mail_settings_save, send_documents


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
    owner = organisation.memberships.filter(role=Role.OWNER, is_active=True).first()
    if owner is None:
        raise ValueError(f"{organisation} has no active owner")
    own = None if address() else MailCatcher().start()
    try:
        yield from _flow(organisation, owner, invoices, out, address())
    finally:
        if own is not None:
            own.stop()


def _flow(organisation, owner, invoices: int, out: Path, running: tuple[str, int]) -> Iterator[str]:
    from facturier.invoicing.services import document_issue, draft_create

    mailbox = folder_of(organisation.pk)
    mailbox.mkdir(parents=True, exist_ok=True)
    known = {p.name for p in mailbox.glob("*.eml")}
    (out / "messages").mkdir(parents=True, exist_ok=True)

    def caught() -> int:
        """Messages caught since the showcase started (each copied to OUT/messages)."""
        new = sorted(p for p in mailbox.glob("*.eml") if p.name not in known)
        for i, path in enumerate(new, 1):
            target = out / "messages" / f"{i:04d}.eml"
            if not target.exists():
                shutil.copyfile(path, target)
        return len(new)

    catcher_point(by=owner, host=running[0], port=running[1],
                  sender_address=f"factures@{organisation.slug}.example")
    mail_settings_save(by=owner, bounce_address=f"bounce@{organisation.slug}.example", correction_delay_days=8)

    customers = campaign_customers(organisation=organisation, f=CampaignFilter(include_without_email=True,
                                                                               include_already_sent=True))
    campaign = campaign_send(by=owner, customer_ids=[c.pk for c in customers])
    outbox_flush(organisation_id=organisation.pk)
    if campaign.pdf:
        (out / "consent-letters.pdf").write_bytes(campaign.pdf)
    yield (f"Consent campaign: {len(campaign.emailed)} e-mailed, {len(campaign.to_print)} to print "
           f"({caught()} messages caught)")

    senders = [c for c in customers if c.accepts_einvoices and c.contacts.filter(receives_invoices=True)
               .exclude(email="").exists() and c.preferred_channel == "email"]
    ids = []
    for i in range(invoices):
        customer = senders[i % len(senders)]
        draft = draft_create(by=owner, customer_id=customer.pk, lines=[
            {"name": f"Prestation {i + 1}", "quantity": Decimal(1), "unit_price": Decimal(100 + i)}])
        ids.append(document_issue(by=owner, document_id=draft.pk).pk)
    before = caught()
    result = send_documents(by=owner, document_ids=ids, allow_duplicates=True)
    outbox_flush(organisation_id=organisation.pk)
    yield (f"Batch: {len(result.queued)} invoices queued, {caught() - before} sent, "
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
    yield f"Messages caught: {caught()}, written to {out / 'messages'}"
