"""Reads on sales documents, always within one organisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from facturier.accounts.models import Organisation
from facturier.invoicing.content import LineData, line_data_from
from facturier.invoicing.models import Document, DocumentLink, Payment, State


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    period: tuple[dt.date, dt.date] | None = None
    kinds: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    customer_code_prefix: str = ""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    unpaid: bool | None = None
    ordering: tuple[str, ...] = ("-issue_date", "-number_value", "-id")

    @property
    def issued_only(self) -> bool:
        """Whether the filter leaves drafts out: then every row has an issue date and a number."""
        return self.unpaid is not None or (bool(self.states) and State.DRAFT not in self.states)


def document_list(*, organisation: Organisation, f: DocumentFilter = DocumentFilter()) -> QuerySet[Document]:
    qs = Document.objects.filter(organisation=organisation).select_related("customer")
    if f.period:
        qs = qs.filter(issue_date__range=f.period)
    if f.kinds:
        qs = qs.filter(kind__in=f.kinds)
    if f.states:
        qs = qs.filter(state__in=f.states)
    if f.customer_code_prefix:
        qs = qs.filter(customer__code__startswith=f.customer_code_prefix)
    if f.amount_min is not None:
        qs = qs.filter(payable__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(payable__lte=f.amount_max)
    if f.unpaid is True:
        qs = qs.filter(state__in=(State.ISSUED, State.PARTIALLY_PAID))
    elif f.unpaid is False:
        qs = qs.filter(state=State.PAID)
    if f.issued_only:
        # Said again for the planner: only drafts lack a date and a number, and their NULLs lead a
        # descending index scan; naming them lets the scan start past them instead of reading them.
        qs = qs.filter(issue_date__isnull=False, number_value__isnull=False)
    return qs.order_by(*f.ordering)


def document_get(*, organisation: Organisation, pk: int, for_update: bool = False) -> Document:
    """The document if it belongs to the organisation; Document.DoesNotExist otherwise."""
    qs = Document.objects.filter(organisation=organisation)
    if for_update:
        # The document's row only: a plain FOR UPDATE would also lock the joined customer and
        # organisation rows, and serialise every issue, payment and edit of the organisation.
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("customer", "organisation", "series").get(pk=pk)


def line_data_of(document: Document) -> list[LineData]:
    return [line_data_from(line) for line in document.lines.order_by("position")]


def payments_of(*, organisation: Organisation, document_id: int, include_cancelled: bool = True) -> QuerySet[Payment]:
    qs = Payment.objects.filter(organisation=organisation, document_id=document_id)
    if not include_cancelled:
        qs = qs.filter(cancelled_at__isnull=True)
    return qs.order_by("date", "id")


def history_of(*, organisation: Organisation, document: Document) -> dict[str, QuerySet[DocumentLink]]:
    """Where the document came from and what came from it."""
    links = DocumentLink.objects.filter(Q(source__organisation=organisation) & Q(target__organisation=organisation))
    return {
        "origins": links.filter(target=document).select_related("source"),
        "derived": links.filter(source=document).select_related("target"),
    }
