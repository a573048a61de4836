"""Reads of the screens: the dashboard's keyset pages, built on the invoicing selectors.

Pages are cut with a keyset (the last row's sort value and id), never OFFSET, so page 2,000
costs what page 1 costs. Each sort is on a column indexed with the organisation; NULLs (a
draft has no number or date yet) sit where the database's index puts them, so the index
order is used as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import Case, DecimalField, F, Q, QuerySet, When
from django.utils import timezone

from facturier.accounts.models import Organisation
from facturier.invoicing.models import Document, Kind, State
from facturier.invoicing.selectors import DocumentFilter, document_list

PAGE_SIZE = 50
# sort key → (field, parser of a cursor value, nullable)
SORT_FIELDS = {
    "date": ("issue_date", dt.date.fromisoformat, True),
    "number": ("number_value", int, True),
    "customer": ("customer__code", str, False),
    "amount": ("signed_payable", Decimal, False),  # as shown: a credit note counts negative
    "due": ("due_date", dt.date.fromisoformat, True),
}
STATUS_FILTERS = {
    "draft": {"states": (State.DRAFT,)},
    "issued": {"states": tuple(s for s in State.values if s != State.DRAFT)},
    "unpaid": {"unpaid": True},
    "paid": {"unpaid": False},
    "bad_debt": {"states": (State.BAD_DEBT, State.BAD_DEBT_PARTIAL)},
}


def _nulls_high() -> bool:
    """Whether the database's indexes put NULL after every value (PostgreSQL) or before (SQLite)."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True, slots=True)
class Sort:
    key: str
    descending: bool

    @classmethod
    def parse(cls, text: str | None) -> Sort:
        text = text or "-date"
        key = text.lstrip("-")
        if key not in SORT_FIELDS:
            return cls("date", True)
        return cls(key, text.startswith("-"))

    @property
    def field(self) -> str:
        return SORT_FIELDS[self.key][0]

    def order_by(self, reverse: bool = False) -> list:
        desc = self.descending != reverse
        return [F(self.field).desc() if desc else F(self.field).asc(), "-id" if desc else "id"]

    def nulls_first(self, reverse: bool = False) -> bool:
        desc = self.descending != reverse
        return desc == _nulls_high()

    def value_of(self, document: Document):
        if self.key == "amount":
            return signed_amount(document)
        value = document
        for step in self.field.split("__"):
            value = getattr(value, step)
        return value

    def cursor_of(self, document: Document) -> str:
        value = self.value_of(document)
        return f"{'' if value is None else value}~{document.pk}"

    def parse_cursor(self, cursor: str | None):
        if not cursor or "~" not in cursor:
            return None
        raw, _sep, pk = cursor.rpartition("~")
        try:
            return (None if raw == "" else SORT_FIELDS[self.key][1](raw)), int(pk)
        except (ValueError, InvalidOperation):
            return None

    def after(self, value, pk: int, reverse: bool = False, *, issued_only: bool = False) -> Q:
        """The rows that come after (value, pk) in this order (or in the reversed order).

        `issued_only`: the filter leaves drafts out, so the date and the number have no NULLs to
        reach; leaving out the OR that would fetch them keeps the page an index range scan."""
        desc = self.descending != reverse
        cmp, cmp_eq = ("lt", "lte") if desc else ("gt", "gte")
        field = self.field
        nullable = SORT_FIELDS[self.key][2] and not (issued_only and field in ("issue_date", "number_value"))
        if self.nulls_first(reverse):
            if value is None:
                return Q(**{f"{field}__isnull": True, f"id__{cmp}": pk}) | Q(**{f"{field}__isnull": False})
            return Q(**{f"{field}__{cmp_eq}": value}) & (Q(**{f"{field}__{cmp}": value}) | Q(**{f"id__{cmp}": pk}))
        if value is None:
            return Q(**{f"{field}__isnull": True, f"id__{cmp}": pk})
        rows = Q(**{f"{field}__{cmp_eq}": value}) & (Q(**{f"{field}__{cmp}": value}) | Q(**{f"id__{cmp}": pk}))
        return rows | Q(**{f"{field}__isnull": True}) if nullable else rows


SIGNED_PAYABLE = Case(When(kind=Kind.CREDIT_NOTE, then=-F("payable")), default=F("payable"),
                      output_field=DecimalField(max_digits=18, decimal_places=2))
"""The amount as the dashboard shows and sorts it: a credit note's (stored positive) counts negative."""


def dashboard_filter(*, period=None, status: str = "", kind: str = "", customer: str = "",
                     amount_min: Decimal | None = None, amount_max: Decimal | None = None) -> DocumentFilter:
    """The dashboard's filter. Amounts are signed as shown: a negative amount finds credit notes, a
    positive one the other kinds (the stored amount of a credit note is positive)."""
    extra = STATUS_FILTERS.get(status, {})
    kinds = (kind,) if kind in Kind.values else tuple(Kind.values)
    bounds = [b for b in (amount_min, amount_max) if b is not None]
    if bounds and all(b < 0 for b in bounds):
        kinds = tuple(k for k in kinds if k == Kind.CREDIT_NOTE)
        amount_min, amount_max = (-amount_max if amount_max is not None else None,
                                  -amount_min if amount_min is not None else None)
    elif bounds and all(b >= 0 for b in bounds):
        kinds = tuple(k for k in kinds if k != Kind.CREDIT_NOTE)
    if set(kinds) == set(Kind.values):
        kinds = ()
    elif not kinds:
        kinds = ("-",)  # nothing matches
    return DocumentFilter(period=period, kinds=kinds, customer_code_prefix=customer.strip(), amount_min=amount_min,
                          amount_max=amount_max, **extra)


@dataclass
class Page:
    rows: list[Document]
    next_cursor: str | None
    prev_cursor: str | None


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """The invoicing filter plus what only the dashboard asks: the archive state."""

    documents: DocumentFilter
    archive: str = ""  # "", "not_archived", "purged"
    accounted: str = ""  # "", "accounted", "not_accounted"
    platform: str = ""  # "", "waiting", "problem" or a life-cycle status code

    @classmethod
    def of(cls, f: DocumentFilter, *, archive: str = "", accounted: str = "", platform: str = "") -> DashboardFilter:
        return cls(f, archive, accounted, platform)


def _documents_filter(f: DocumentFilter | DashboardFilter) -> DocumentFilter:
    return f.documents if isinstance(f, DashboardFilter) else f


def dashboard_queryset(*, organisation: Organisation, f: DocumentFilter | DashboardFilter) -> QuerySet[Document]:
    from facturier.web import extensions

    archive = accounted = platform = ""
    if isinstance(f, DashboardFilter):
        f, archive, accounted, platform = f.documents, f.archive, f.accounted, f.platform
    qs = document_list(organisation=organisation, f=f)
    if archive:
        qs = extensions.archive_filter(qs, organisation, archive)
    if accounted:
        qs = extensions.accounting_filter(qs, organisation, accounted)
    if platform:
        qs = extensions.platform_filter(qs, organisation, platform)
    return qs.annotate(signed_payable=SIGNED_PAYABLE).only(
        "id", "kind", "state", "number", "number_value", "issue_date", "due_date", "payable", "amount_due",
        "currency", "customer__id", "customer__code", "customer__name", "customer__consent_refused_on")


def dashboard_page(*, organisation: Organisation, f: DocumentFilter | DashboardFilter, sort: Sort,
                   after: str | None = None, before: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the dashboard, after (or before) a cursor."""
    qs = dashboard_queryset(organisation=organisation, f=f)
    issued_only = _documents_filter(f).issued_only
    if before and (key := sort.parse_cursor(before)) is not None:
        rows = list(qs.filter(sort.after(*key, reverse=True, issued_only=issued_only))
                    .order_by(*sort.order_by(reverse=True))[:size + 1])
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(rows, sort.cursor_of(rows[-1]) if rows else None,
                    sort.cursor_of(rows[0]) if rows and has_more_before else None)
    key = sort.parse_cursor(after)
    if key is not None:
        qs = qs.filter(sort.after(*key, issued_only=issued_only))
    rows = list(qs.order_by(*sort.order_by())[:size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(rows, sort.cursor_of(rows[-1]) if rows and has_more else None,
                sort.cursor_of(rows[0]) if rows and key is not None else None)


def neighbours(*, organisation: Organisation, f: DocumentFilter | DashboardFilter, sort: Sort, document: Document) \
        -> tuple[int | None, int | None]:
    """The previous and next document ids around `document` in the dashboard's order."""
    qs = dashboard_queryset(organisation=organisation, f=f)
    issued_only = _documents_filter(f).issued_only
    value = sort.value_of(document)
    prev = qs.filter(sort.after(value, document.pk, reverse=True, issued_only=issued_only)).order_by(
        *sort.order_by(reverse=True)).values_list("id", flat=True).first()
    nxt = qs.filter(sort.after(value, document.pk, issued_only=issued_only)).order_by(
        *sort.order_by()).values_list("id", flat=True).first()
    return prev, nxt


def signed_amount(document: Document) -> Decimal:
    """What the dashboard shows: a credit note counts against the customer."""
    return -document.payable if document.kind == Kind.CREDIT_NOTE else document.payable


def time_zone_of(organisation_id: int) -> str:
    """The organisation's time zone (the platform's default until it chooses one)."""
    from facturier.web.models import DEFAULT_TIME_ZONE, OrganisationPreferences

    chosen = OrganisationPreferences.objects.filter(organisation_id=organisation_id).values_list(
        "time_zone", flat=True).first()
    return chosen or DEFAULT_TIME_ZONE


# --- operator -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationUsage:
    organisation: Organisation
    members: int
    period_start: dt.date | None
    period_end: dt.date | None
    issued_in_period: int
    issued_total: int
    archived_in_period: int | None
    archived_total: int | None
    archive_files: int | None
    archive_bytes: int | None


def operator_usage(*, search: str = "", limit: int = 200) -> list[OrganisationUsage]:
    """Every organisation's use of the platform in its current subscription period (platform operators only:
    this is the one read that spans tenants, and it returns counters, never documents)."""
    from django.apps import apps
    from django.db.models import Count

    from facturier.accounts.models import Membership

    qs = Organisation.objects.order_by("name", "id")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    organisations = list(qs[:limit])
    ids = [o.pk for o in organisations]
    members = dict(Membership.objects.filter(organisation_id__in=ids, is_active=True).values("organisation_id")
                   .annotate(n=Count("id")).values_list("organisation_id", "n"))
    issued = dict(Document.objects.filter(organisation_id__in=ids).exclude(state=State.DRAFT)
                  .values("organisation_id").annotate(n=Count("id")).values_list("organisation_id", "n"))
    archive = apps.is_installed("facturier.archive")
    if archive:
        from facturier.archive.selectors import archive_counters
    rows = []
    for organisation in organisations:
        counters = archive_counters(organisation=organisation) if archive else None
        start = counters.period_start if counters else None
        end = counters.period_end if counters else None
        in_period = 0
        if counters:  # counted when issued (like the archive counts when archived), whatever the document's date
            since = timezone.make_aware(dt.datetime.combine(start, dt.time()))
            until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
            in_period = Document.objects.filter(organisation=organisation, issued_at__gte=since,
                                                issued_at__lt=until).count()
        rows.append(OrganisationUsage(
            organisation=organisation, members=members.get(organisation.pk, 0), period_start=start, period_end=end,
            issued_in_period=in_period, issued_total=issued.get(organisation.pk, 0),
            archived_in_period=counters.period if counters else None,
            archived_total=counters.total if counters else None,
            archive_files=counters.files if counters else None, archive_bytes=counters.bytes if counters else None))
    return rows
