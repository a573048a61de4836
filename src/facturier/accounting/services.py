"""Transfers to accounting: generate, check, number and write the entries of a period or a selection.

The whole transfer is computed in memory first (the mapping is checked, every entry is balanced,
no entry falls in a closed period); only then is anything written, in one transaction that also
verifies in the database that each entry of the transfer balances before it commits.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import Abs
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounting import entries as E
from facturier.accounting import writer
from facturier.accounting.mapping import (
    DEFAULT_BANK_ACCOUNTS,
    DEFAULT_VAT_ACCOUNTS,
    ZERO,
    AccountingRefused,
    Mapping,
    rate_key,
)
from facturier.accounting.models import (
    AccountingSettings,
    ClosedPeriod,
    EntryLine,
    JournalCounter,
    JournalEntry,
    LetteringCounter,
    Origin,
    Transfer,
    TransferState,
)
from facturier.accounts.models import Membership, Organisation, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.invoicing.models import Document, DocumentLink, Line, Payment, Relation, State, WriteOff

CHUNK = 2000
DOC_FIELDS = ("id", "kind", "number", "issue_date", "currency", "tax_exchange_rate", "operation_category",
              "vat_on_debits", "vat_breakdown", "tax_inclusive", "customer__code", "customer__name")


class AccountingNotConfigured(AccountingRefused):
    code = "accounting_not_configured"


def default_settings(organisation: Organisation) -> AccountingSettings:
    return AccountingSettings(organisation=organisation, vat_accounts=dict(DEFAULT_VAT_ACCOUNTS),
                              bank_accounts=dict(DEFAULT_BANK_ACCOUNTS))


def settings_save(*, by: Membership, values: dict) -> AccountingSettings:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        current = (AccountingSettings.objects.select_for_update().filter(organisation=by.organisation).first()
                   or default_settings(by.organisation))
        before = {k: getattr(current, k) for k in values} if current.pk else None
        for key, value in values.items():
            setattr(current, key, value)
        current.full_clean(exclude=["organisation"])
        current.save()
        audit_record(actor=by, subject=current, action="accounting.settings", before=before,
                     after={k: getattr(current, k) for k in values})
    return current


def closed_period_add(*, by: Membership, start: dt.date, end: dt.date) -> ClosedPeriod:
    require_right(by, Right.MANAGE_SETTINGS)
    if end < start:
        raise AccountingRefused(_("The end of the period is before its start."))
    period = ClosedPeriod.objects.create(organisation=by.organisation, start=start, end=end)
    audit_record(actor=by, subject=period, action="accounting.close_period",
                 after={"start": start.isoformat(), "end": end.isoformat()})
    return period


def fiscal_year_of(day: dt.date, start_month: int) -> dt.date:
    year = day.year if day.month >= start_month else day.year - 1
    return dt.date(year, start_month, 1)


def fiscal_year_end(start: dt.date) -> dt.date:
    return dt.date(start.year + 1, start.month, 1) - dt.timedelta(days=1)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _having(qs, column: str, ids: Iterable[int], *, lookup: str = "") -> Iterable:
    """The rows of `qs` whose `column` is one of `ids`: one query with an array parameter on PostgreSQL (no
    statement with a hundred thousand bound values to build and parse), chunks of IN lists elsewhere."""
    ids = sorted(set(ids))
    if not ids:
        return
    if connection.vendor == "postgresql":
        table, _sep, name = column.rpartition(".")
        yield from qs.extra(where=[f'"{table or qs.model._meta.db_table}"."{name}" IN (SELECT unnest(%s::bigint[]))'],
                            params=[ids])
        return
    for chunk in _chunks(ids):
        yield from qs.filter(**{f"{lookup or column}__in": chunk})


def _docs(org: Organisation, ids: Iterable[int]) -> dict[int, dict]:
    out = {}
    for row in _having(Document.objects.filter(organisation=org).order_by().values(*DOC_FIELDS), "id", ids):
        row["customer_code"], row["customer_name"] = row.pop("customer__code"), row.pop("customer__name")
        out[row["id"]] = row
    return out


def _candidates(org: Organisation, *, start=None, end=None, document_ids=None) -> tuple:
    """The documents, payments, payment cancellations and write-offs of a period or a selection not accounted
    yet (querysets)."""
    accounted = JournalEntry.objects.filter(document=OuterRef("pk"), origin=Origin.DOCUMENT)
    docs = Document.objects.filter(organisation=org).exclude(state=State.DRAFT).exclude(Exists(accounted))
    pays = Payment.objects.filter(organisation=org, cancelled_at__isnull=True).exclude(
        Exists(JournalEntry.objects.filter(payment=OuterRef("pk"), origin=Origin.PAYMENT)))
    cancels = Payment.objects.filter(organisation=org, cancelled_at__isnull=False).filter(
        Exists(JournalEntry.objects.filter(payment=OuterRef("pk"), origin=Origin.PAYMENT))).exclude(
        Exists(JournalEntry.objects.filter(payment=OuterRef("pk"), origin=Origin.PAYMENT_CANCEL)))
    wos = WriteOff.objects.filter(organisation=org).exclude(
        Exists(JournalEntry.objects.filter(write_off=OuterRef("pk"))))
    if document_ids is not None:
        docs = docs.filter(pk__in=document_ids)
        pays, cancels, wos = (q.filter(document_id__in=document_ids) for q in (pays, cancels, wos))
    else:
        docs = docs.filter(issue_date__gte=start, issue_date__lte=end)
        pays, wos = pays.filter(date__gte=start, date__lte=end), wos.filter(date__gte=start, date__lte=end)
        cancels = cancels.filter(cancelled_at__date__gte=start, cancelled_at__date__lte=end)
    return docs, pays, cancels, wos


def pending_count(org: Organisation, *, start=None, end=None, document_ids=None) -> int:
    """How many documents and payments a transfer of this period or selection would account now."""
    docs, pays, _cancels, _wos = _candidates(org, start=start, end=end, document_ids=document_ids)
    return docs.count() + pays.count()


class _Plan:
    """What one transfer will write, computed before any write."""

    def __init__(self, org: Organisation, m: Mapping, *, start=None, end=None, document_ids=None, progress=None):
        self.org, self.m, self.start, self.end = org, m, start, end
        report = progress or (lambda phase, done, total: None)
        self.selection = document_ids is not None
        self.entries: list[E.EntryDraft] = []
        self.documents = self.payments = 0
        docs, pays, cancels, wos = _candidates(org, start=start, end=end, document_ids=document_ids)
        doc_ids = list(docs.order_by("issue_date", "number_value", "id").values_list("id", flat=True))
        pay_rows = list(pays.order_by("date", "id").values("id", "document_id", "date", "amount", "method",
                                                            "reference"))
        cancel_rows = list(cancels.order_by("cancelled_at", "id").values("id", "document_id", "cancelled_at"))
        wo_rows = list(wos.order_by("date", "id").values("id", "document_id", "date", "amount"))
        involved = {*doc_ids, *(p["document_id"] for p in pay_rows), *(w["document_id"] for w in wo_rows),
                    *(c["document_id"] for c in cancel_rows)}
        self.docs = _docs(org, involved)
        self._groups(involved)
        self._families(doc_ids)
        deposits = self._deposits(doc_ids)
        items = len(doc_ids) + len(pay_rows) + len(cancel_rows) + len(wo_rows)
        report("build", 0, items)
        for i, doc_id in enumerate(doc_ids, 1):
            self.entries.append(E.document_entry(self.docs[doc_id], m, deposits.get(doc_id, ())))
            if not i % CHUNK:
                report("build", i, items)
        self.documents = len(doc_ids)
        report("build", len(doc_ids), items)
        self._payments(pay_rows)
        self._cancellations(cancel_rows)
        for wo in wo_rows:
            self.entries.append(E.write_off_entry(self.docs[wo["document_id"]], wo, m))

    def _groups(self, doc_ids: set[int]) -> None:
        for doc in self.docs.values():
            doc["group"] = doc["id"]
        credit_notes = [d["id"] for d in self.docs.values() if d["kind"] == "credit_note"]
        for chunk in _chunks(credit_notes):
            for source, target in DocumentLink.objects.filter(target_id__in=chunk, relation=Relation.CREDIT_NOTE
                                                              ).values_list("source_id", "target_id"):
                self.docs[target]["group"] = source

    def _families(self, doc_ids: list[int]) -> None:
        """The net amount of the lines of each mapped item family, per document and VAT rate (only when the
        settings map families: otherwise no line is read)."""
        if not self.m.families:
            return
        sums: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
        for doc_id, family, category, rate, net in _having(
                Line.objects.filter(family__in=list(self.m.families)).order_by().values_list(
                    "document_id", "family", "vat_category", "vat_rate", "net_amount"), "document_id", doc_ids):
            sums[(doc_id, rate_key(category, rate), family)] += net
        for (doc_id, key, family), net in sorted(sums.items()):
            if net:
                self.docs[doc_id].setdefault("families", {}).setdefault(key, []).append(
                    (self.m.families[family], net))

    def _deposits(self, doc_ids: list[int]) -> dict[int, list[dict]]:
        finals = [i for i in doc_ids if self.docs[i]["kind"] == "final"]
        out: dict[int, list[dict]] = defaultdict(list)
        for chunk in _chunks(finals):
            for target, breakdown in DocumentLink.objects.filter(
                    target_id__in=chunk, relation=Relation.DEPOSIT_DEDUCTION).values_list(
                    "target_id", "source__vat_breakdown"):
                out[target].append({"vat_breakdown": breakdown})
        return out

    def _payments(self, pay_rows: list[dict]) -> None:
        earlier: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        # What was paid before each payment matters only where VAT is due on receipts.
        receipts = {p["document_id"] for p in pay_rows if E.on_receipts(self.docs[p["document_id"]])}
        for doc_id, pk, amount in _having(Payment.objects.filter(cancelled_at__isnull=True).order_by().values_list(
                "document_id", "id", "amount"), "document_id", receipts):
            earlier[doc_id].append((pk, amount))
        for pay in pay_rows:
            before = sum((a for pk, a in earlier[pay["document_id"]] if pk < pay["id"]), ZERO)
            self.entries.append(E.payment_entry(self.docs[pay["document_id"]], pay, self.m, before))
        self.payments = len(pay_rows)

    def _cancellations(self, cancel_rows: list[dict]) -> None:
        if not cancel_rows:
            return
        originals = {e.payment_id: e for e in JournalEntry.objects.filter(
            payment_id__in=[c["id"] for c in cancel_rows], origin=Origin.PAYMENT).prefetch_related("lines")}
        for c in cancel_rows:
            stored = originals[c["id"]]
            draft = E.EntryDraft(journal="bank", date=stored.date, piece_ref=stored.piece_ref,
                                 piece_date=stored.piece_date, label=stored.label, origin=Origin.PAYMENT,
                                 document_id=stored.document_id, payment_id=stored.payment_id,
                                 group=stored.lettering_group)
            draft.lines = [E.LineDraft(account=li.account, amount=li.debit - li.credit, aux=li.aux_account,
                                       aux_label=li.aux_label, currency_amount=li.currency_amount,
                                       currency=li.currency) for li in stored.lines.all()]
            c["cancel_date"] = timezone.localdate(c["cancelled_at"])
            self.entries.append(E.cancellation_entry(draft, c))
        self.payments += len(cancel_rows)

    def check(self) -> None:
        """Closed periods, then the balance of every entry (already checked at generation: checked again here,
        on what is about to be written)."""
        periods = list(ClosedPeriod.objects.filter(organisation=self.org).values_list("start", "end"))
        for entry in self.entries:
            for start, end in periods:
                if start <= entry.date <= end:
                    raise AccountingRefused(
                        _("The period from %(start)s to %(end)s is closed: %(piece)s is dated %(date)s, inside "
                          "it. Nothing was transferred."), start=start, end=end, piece=entry.piece_ref,
                        date=entry.date)
            E.check_balanced(entry)


def _lettering_code(n: int) -> str:
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters = chr(65 + r) + letters
        if n == 0:
            break
    return letters.rjust(3, "A")


def _letter(plan: _Plan, transfer: Transfer, customer_account: str) -> dict[int, list[int]]:
    """Letter the customer lines of each group (a document, its payments, its credit notes) that now balance.
    Returns the stored lines of earlier transfers to letter, by code."""
    groups: dict[int, list[E.LineDraft]] = defaultdict(list)
    dates: dict[int, dt.date] = {}
    for entry in plan.entries:
        for line in entry.lines:
            if line.account == customer_account:
                groups[entry.group].append(line)
                dates[entry.group] = max(dates.get(entry.group, entry.date), entry.date)
    stored: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for pk, group, debit, credit, date in _having(EntryLine.objects.filter(
            entry__organisation=plan.org, account=customer_account, lettering="").values_list(
            "id", "entry__lettering_group", "debit", "credit", "entry__date"),
            "accounting_journalentry.lettering_group", groups, lookup="entry__lettering_group"):
        stored[group].append((pk, debit - credit))
        dates[group] = max(dates[group], date)
    counter, _created = LetteringCounter.objects.select_for_update().get_or_create(organisation=plan.org)
    to_update: dict[tuple[str, dt.date], list[int]] = {}
    for group, lines in groups.items():
        balance = sum((li.amount for li in lines), ZERO) + sum((a for _pk, a in stored[group]), ZERO)
        if balance or len(lines) + len(stored[group]) < 2:
            continue
        code = _lettering_code(counter.last)
        counter.last += 1
        for line in lines:
            line.lettering, line.lettering_date = code, dates[group]
        if stored[group]:
            to_update[(code, dates[group])] = [pk for pk, _a in stored[group]]
    counter.save(update_fields=["last"])
    for (code, date), pks in to_update.items():
        EntryLine.objects.filter(pk__in=pks).update(lettering=code, lettering_date=date, lettered_by=transfer)
    return to_update


def _number(plan: _Plan, start_month: int) -> None:
    order = {Origin.DOCUMENT: 0, Origin.PAYMENT: 1, Origin.PAYMENT_CANCEL: 2, Origin.WRITE_OFF: 3}
    plan.entries.sort(key=lambda e: (e.journal, e.date, order[e.origin], e.piece_ref, e.payment_id or 0))
    counters: dict[tuple[str, dt.date], JournalCounter] = {}
    for entry in plan.entries:
        code = plan.m.journals[entry.journal][0]
        key = (code, fiscal_year_of(entry.date, start_month))
        if key not in counters:
            counters[key], _c = JournalCounter.objects.select_for_update().get_or_create(
                organisation=plan.org, journal=key[0], fiscal_year=key[1])
        counters[key].last_number += 1
        entry.fiscal_year, entry.number = key[1], counters[key].last_number
    for counter in counters.values():
        counter.save(update_fields=["last_number"])


def transfer_run(*, by: Membership, start: dt.date | None = None, end: dt.date | None = None,
                 document_ids: list[int] | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> Transfer:
    """Transfer a period (`start`–`end`) or a selection of documents (with their payments, cancellations and
    write-offs) to accounting. All or nothing: a missing mapping, a closed period or anything unbalanced stops
    it before a single row is written. `progress(phase, done, total)` hears of each chunk (phases: read, build,
    write, verify)."""
    require_right(by, Right.RECORD_PAYMENTS)
    if document_ids is None and (start is None or end is None or end < start):
        raise AccountingRefused(_("Give a period: a start date and an end date after it."))
    # A transfer builds millions of small objects that hold no reference cycle: the cyclic collector would
    # only rescan them again and again (a quarter of the time of a 100,000-document transfer).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _transfer(by, start, end, document_ids, progress)
    finally:
        if collecting:
            gc.enable()


def _transfer(by: Membership, start, end, document_ids, progress) -> Transfer:
    org = by.organisation
    with transaction.atomic():
        settings = AccountingSettings.objects.select_for_update().filter(organisation=org).first()
        if settings is None:
            raise AccountingNotConfigured(_("Set up the accounting (journals and accounts) before the first "
                                            "transfer."))
        m = Mapping(settings)
        report = progress or (lambda phase, done, total: None)
        report("read", 0, 1)
        plan = _Plan(org, m, start=start, end=end, document_ids=document_ids, progress=report)
        plan.check()
        if not plan.entries:
            raise AccountingRefused(_("Nothing to transfer: every document and payment of the period is already "
                                      "accounted."))
        transfer = Transfer.objects.create(organisation=org, created_by=by.user, period_start=start,
                                           period_end=end, selection=document_ids is not None)
        _number(plan, settings.fiscal_year_start_month)
        lettered = _letter(plan, transfer, settings.customer_account)
        total = writer.write(plan.entries, organisation_id=org.pk, transfer_id=transfer.pk,
                             journals=m.journals, progress=lambda done, total: report("write", done, total))
        report("verify", 0, 1)
        _verify(transfer)
        transfer.documents_count, transfer.payments_count = plan.documents, plan.payments
        transfer.entries_count, transfer.total_debit, transfer.total_credit = len(plan.entries), total, total
        transfer.save(update_fields=["documents_count", "payments_count", "entries_count", "total_debit",
                                     "total_credit"])
        audit_record(actor=by, subject=transfer, action="accounting.transfer",
                     after={"start": start and start.isoformat(), "end": end and end.isoformat(),
                            "documents": plan.documents, "payments": plan.payments, "entries": len(plan.entries),
                            "total": str(total), "relettered": sum(len(v) for v in lettered.values())})
    return transfer


def _verify(transfer: Transfer) -> None:
    """The database's word, inside the transaction: every entry of the transfer balances and matches its total."""
    # Compared within half a cent: SQLite sums decimals as floating point; PostgreSQL's numeric is exact.
    half_cent = Decimal("0.005")
    wrong = (JournalEntry.objects.filter(transfer=transfer)
             .annotate(d=Sum("lines__debit"), c=Sum("lines__credit"))
             .annotate(gap=Abs(F("d") - F("c")), off=Abs(F("d") - F("total")))
             .filter(Q(gap__gt=half_cent) | Q(off__gt=half_cent) | Q(d__isnull=True))
             .values_list("piece_ref", flat=True)[:1])
    if wrong:
        raise E.Unbalanced(_("The entry of %(piece)s does not balance in the database; nothing was transferred."),
                           piece=wrong[0])


def transfer_cancel(*, by: Membership, transfer_id: int) -> Transfer:
    """Cancel a whole transfer while it is open, when it is the latest one (so numbering stays continuous)."""
    require_right(by, Right.RECORD_PAYMENTS)
    with transaction.atomic():
        AccountingSettings.objects.select_for_update().filter(organisation=by.organisation).first()
        transfer = Transfer.objects.select_for_update().get(pk=transfer_id, organisation=by.organisation)
        if transfer.state != TransferState.OPEN:
            raise AccountingRefused(_("%(transfer)s is %(state)s: only an open transfer can be cancelled."),
                                    transfer=str(transfer), state=TransferState(transfer.state).label)
        if Transfer.objects.filter(organisation=by.organisation, pk__gt=transfer.pk).exclude(
                state=TransferState.CANCELLED).exists():
            raise AccountingRefused(_("A later transfer exists: cancel it first, so that entry numbers stay "
                                      "continuous."))
        entries = JournalEntry.objects.filter(transfer=transfer)
        for journal, fiscal_year, first in entries.values_list("journal", "fiscal_year").annotate(
                first=Min("number")):
            JournalCounter.objects.filter(organisation=by.organisation, journal=journal,
                                          fiscal_year=fiscal_year).update(last_number=first - 1)
        EntryLine.objects.filter(lettered_by=transfer).update(lettering="", lettering_date=None, lettered_by=None)
        EntryLine.objects.filter(entry__transfer=transfer)._raw_delete(EntryLine.objects.db)
        entries._raw_delete(JournalEntry.objects.db)
        transfer.state, transfer.cancelled_at = TransferState.CANCELLED, timezone.now()
        transfer.save(update_fields=["state", "cancelled_at"])
        audit_record(actor=by, subject=transfer, action="accounting.transfer_cancel",
                     after={"entries": transfer.entries_count})
    return transfer


def transfer_close(*, by: Membership, transfer_id: int) -> Transfer:
    """Close a transfer: its entries can never be cancelled any more."""
    require_right(by, Right.RECORD_PAYMENTS)
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer_id, organisation=by.organisation)
        if transfer.state != TransferState.OPEN:
            raise AccountingRefused(_("%(transfer)s is not open."), transfer=str(transfer))
        transfer.state, transfer.closed_at = TransferState.CLOSED, timezone.now()
        transfer.save(update_fields=["state", "closed_at"])
        audit_record(actor=by, subject=transfer, action="accounting.transfer_close")
    return transfer
