"""Paper: consent letters for customers without e-mail, and the postal fallback of bounced
documents — a printable PDF per day, each document behind a cover page whose address sits in
the window of a DL or C5 envelope. The provider interface's default is "print it yourself"."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Protocol

import pikepdf
import typst
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from facturier.delivery.history import delivery_mark
from facturier.delivery.models import Delivery, DeliveryState, MailSettings, Notification
from facturier.engine.en16931.countries import address_country_line
from facturier.engine.pdf.render import format_date
from facturier.errors import localized
from facturier.parties.models import Customer
from facturier.parties.selectors import billing_address_at

TEMPLATES = Path(__file__).with_name("templates_typ")
_lock = threading.Lock()


def _compile(data: dict) -> bytes:
    """Compile letters.typ with `data` (its own scratch folder: letters are rare, no shared cache needed)."""
    with _lock:
        root = Path(tempfile.mkdtemp(prefix="facturier-letters-"))
        try:
            shutil.copyfile(TEMPLATES / "letters.typ", root / "letters.typ")
            (root / "data.json").write_text(json.dumps(data), encoding="utf-8")
            return typst.compile(str(root / "letters.typ"), root=str(root), format="pdf",
                                 ignore_system_fonts=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _seller_lines(organisation) -> list[str]:
    profile = organisation.legal_profiles.order_by("-effective_from").first()
    if profile is None:
        return [organisation.name]
    lines = [profile.legal_name, profile.address_line1, profile.address_line2,
             f"{profile.postcode} {profile.city}".strip(), profile.email]
    return [line for line in lines if line]


def _address_lines(customer: Customer, on: dt.date, language: str) -> list[str]:
    """The window's address; abroad, the country's name in capitals closes it (NF Z 10-011)."""
    address = billing_address_at(customer=customer, on=on)
    lines = [address.name or customer.name, address.line1, address.line2, f"{address.postcode} {address.city}",
             address_country_line(address.country, language)]
    return [line for line in lines if line]


def consent_letters_pdf(customers: list[Customer], ms: MailSettings | None, *, on: dt.date,
                        envelope: str = "DL") -> bytes:
    """One consent letter per page, addressed for a window envelope."""
    from facturier.delivery.consent import letter_text

    pages = []
    for customer in customers:
        language = customer.language or customer.organisation.default_language
        subject, body = letter_text(customer, ms)
        city = (customer.organisation.legal_profiles.order_by("-effective_from").values_list("city", flat=True)
                .first() or "")
        pages.append({
            "sender": _seller_lines(customer.organisation), "address": _address_lines(customer, on, language),
            "place_date": f"{city}, {'le ' if language == 'fr' else ''}{format_date(on, language)}".lstrip(", "),
            "subject": subject, "body": [p for p in body.split("\n\n") if p.strip()], "footer": "",
        })
    return _compile({"envelope": envelope, "pages": pages,
                     "lang": customers[0].language or customers[0].organisation.default_language if customers
                     else "fr"})


class PostalProvider(Protocol):
    """Where a day's postal batch goes: printed in the office, or handed to a mailing service."""

    def submit(self, *, organisation, day: dt.date, pdf: bytes, document_ids: list[int]) -> str: ...


class PrintYourself:
    """The default: the PDF is ready to print; the reference says so."""

    def submit(self, *, organisation, day: dt.date, pdf: bytes, document_ids: list[int]) -> str:
        return f"print:{day.isoformat()}:{len(document_ids)}"


provider: PostalProvider = PrintYourself()


def postal_fallback(*, organisation_id: int, today: dt.date | None = None) -> list[int]:
    """Bounced documents whose correction delay ran out join today's postal batch."""
    today = today or timezone.localdate()
    moved = []
    for delivery in (Delivery.objects.filter(organisation_id=organisation_id, state=DeliveryState.BOUNCED,
                                             correction_deadline__lt=today)
                     .select_related("document__organisation")):
        with transaction.atomic():
            delivery_mark(document=delivery.document, state=DeliveryState.POSTAL_PENDING, postal_date=today,
                          detail=str(_("No corrected address by %(date)s: joins the postal batch of %(today)s") % {
                              "date": localized(delivery.correction_deadline), "today": localized(today)}))
            Notification.objects.create(
                organisation_id=organisation_id, kind="delivery.postal", document=delivery.document,
                text=str(_("%(document)s goes by post (postal batch of %(day)s).") % {
                    "document": str(delivery.document), "day": localized(today)})[:500])
        moved.append(delivery.document_id)
    return moved


def postal_batch_pdf(*, organisation, day: dt.date, envelope: str = "DL", mark_sent: bool = True) -> bytes | None:
    """The day's printable batch: per document a cover page addressed for the window, then the document.
    Printing it marks the documents "sent by post" (through the postal provider)."""
    from facturier.documents.services import facturx_of

    deliveries = list(Delivery.objects.filter(organisation=organisation, postal_date=day,
                                              state__in=(DeliveryState.POSTAL_PENDING, DeliveryState.SENT_BY_POST))
                      .select_related("document__customer", "document__organisation").order_by("document_id"))
    if not deliveries:
        return None
    covers = []
    for delivery in deliveries:
        document = delivery.document
        language = document.language
        with translation.override(language):
            covers.append({
                "sender": _seller_lines(organisation),
                "address": _address_lines(document.customer, day, language),
                "place_date": format_date(day, language),
                "subject": str(_("%(document)s") % {"document": str(document)}),
                "body": [str(_("Please find enclosed %(document)s of %(date)s. We could not deliver it by e-mail.")
                             % {"document": str(document), "date": format_date(document.issue_date, language)})],
                "footer": "",
            })
    cover_pdf = pikepdf.open(io.BytesIO(_compile({"envelope": envelope, "pages": covers})))
    out = pikepdf.new()
    sources = [cover_pdf]  # QPDF copies stream data when writing: the sources stay open until then
    for i, delivery in enumerate(deliveries):
        out.pages.append(cover_pdf.pages[i])
        doc = pikepdf.open(io.BytesIO(facturx_of(delivery.document, signed=False).data))
        sources.append(doc)
        out.pages.extend(doc.pages)
        if len(out.pages) % 2:  # duplex printing: each letter starts on a new sheet
            out.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    out.save(buffer)
    for source in sources:
        source.close()
    pdf = buffer.getvalue()
    if mark_sent:
        reference = provider.submit(organisation=organisation, day=day, pdf=pdf,
                                    document_ids=[d.document_id for d in deliveries])
        for delivery in deliveries:
            if delivery.state != DeliveryState.SENT_BY_POST:
                delivery_mark(document=delivery.document, state=DeliveryState.SENT_BY_POST,
                              detail=str(_("Postal batch of %(day)s (%(reference)s)") % {
                                  "day": localized(day), "reference": reference}))
    return pdf
