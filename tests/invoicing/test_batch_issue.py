"""Issuing drafts in batch (`documents_issue`): the same documents as one by one, for less work."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from facturier.archive.models import ArchiveEntry
from facturier.archive.verification import archive_verify
from facturier.audit.models import Event
from facturier.config.rows import answers_held, any_row
from facturier.invoicing.gate import RulesRefused
from facturier.invoicing.mapping import document_to_invoice
from facturier.invoicing.models import Document, State
from facturier.invoicing.services import (
    ARCHIVE_CHUNK,
    NotIssuable,
    credit_note_create,
    document_issue,
    documents_issue,
    draft_create,
)
from facturier.invoicing.states import IllegalTransition

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
SERVICE = [{"name": "Service", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}]
OUT_OF_SCOPE = [{"name": "Débours", "quantity": Decimal("1"), "unit_price": Decimal("50.00"), "vat_category": "O",
                 "vat_rate": None, "exemption_reason": "Hors champ"}]  # BR-O-02: the seller has a VAT id


def _drafts(owner, org, n, lines):
    return [draft_create(by=owner, customer_id=org.customer.pk, lines=lines).pk for _ in range(n)]


FROZEN = ("state", "number", "number_value", "issue_date", "due_date", "seller_snapshot", "buyer_snapshot",
          "payable", "amount_due", "tax_total", "vat_breakdown", "issued_by_id")


def test_a_batch_issues_the_same_documents_as_one_by_one_with_consecutive_numbers(owner, org, lines):
    one = document_issue(by=owner, document_id=_drafts(owner, org, 1, lines)[0], issue_date=DAY)
    ids = _drafts(owner, org, 3, lines)
    outcome = documents_issue(by=owner, document_ids=ids, issue_date=DAY)
    assert outcome.refused == []
    assert [d.pk for d in outcome.issued] == ids
    assert [d.number for d in outcome.issued] == ["FA-2026-000002", "FA-2026-000003", "FA-2026-000004"]
    one = Document.objects.get(pk=one.pk)
    for pk in ids:
        batch = Document.objects.get(pk=pk)
        assert {f: getattr(batch, f) for f in FROZEN if "number" not in f} == \
               {f: getattr(one, f) for f in FROZEN if "number" not in f}
        # the engine invoice as it is archived and sent: the same but for its number
        assert document_to_invoice(batch).lines == document_to_invoice(one).lines
        assert document_to_invoice(batch).buyer == document_to_invoice(one).buyer
        assert Event.objects.filter(action="document.issue", subject_id=str(pk)).count() == 1


def test_a_draft_the_rules_refuse_stays_a_draft_and_the_others_are_issued(owner, org):
    good_1, bad, good_2 = _drafts(owner, org, 1, SERVICE) + _drafts(owner, org, 1, OUT_OF_SCOPE) + \
        _drafts(owner, org, 1, SERVICE)
    outcome = documents_issue(by=owner, document_ids=[good_1, bad, good_2], issue_date=DAY)
    assert [d.pk for d in outcome.issued] == [good_1, good_2]
    [(refused_id, error)] = outcome.refused
    assert refused_id == bad and isinstance(error, RulesRefused) and "BR-O-02" in error.rule_ids
    assert Document.objects.get(pk=bad).state == State.DRAFT and not Document.objects.get(pk=bad).number
    assert sorted(Document.objects.exclude(state=State.DRAFT).values_list("number_value", flat=True)) == [1, 2]


def test_an_issued_document_or_an_unknown_id_in_a_batch_is_refused_with_its_reason(owner, org, other_org):
    issued = document_issue(by=owner, document_id=_drafts(owner, org, 1, SERVICE)[0], issue_date=DAY)
    foreign = _drafts(other_org.owner, other_org, 1, SERVICE)[0]  # another tenant's draft: as if absent
    fresh = _drafts(owner, org, 1, SERVICE)[0]
    outcome = documents_issue(by=owner, document_ids=[issued.pk, foreign, fresh, fresh], issue_date=DAY)
    assert [d.pk for d in outcome.issued] == [fresh]  # asked twice, issued once
    (first, e1), (second, e2) = outcome.refused
    assert first == issued.pk and isinstance(e1, IllegalTransition) and "already issued" in e1.message
    assert second == foreign and isinstance(e2, NotIssuable) and str(foreign) in e2.message
    with translation.override("fr"):
        assert e2.message == f"Brouillon introuvable ({foreign})."
    assert Document.objects.get(pk=foreign).state == State.DRAFT


def test_a_credit_note_issued_in_a_batch_refers_to_its_invoice_and_reduces_what_it_owes(owner, org, issued):
    credit = credit_note_create(by=owner, invoice_id=issued.pk)
    other = _drafts(owner, org, 1, SERVICE)[0]
    outcome = documents_issue(by=owner, document_ids=[credit.pk, other], issue_date=DAY)
    assert outcome.refused == []
    credit_note = Document.objects.get(pk=credit.pk)
    [preceding] = document_to_invoice(credit_note).preceding_invoices
    assert preceding.reference == issued.number
    issued.refresh_from_db()
    assert issued.amount_due == 0 and issued.credited_amount == issued.payable


def test_a_future_date_refuses_the_whole_batch(owner, org):
    ids = _drafts(owner, org, 2, SERVICE)
    with pytest.raises(NotIssuable):
        documents_issue(by=owner, document_ids=ids, issue_date=dt.date.today() + dt.timedelta(days=2))
    assert not Document.objects.exclude(state=State.DRAFT).exists()


def test_a_batch_asks_once_whether_anyone_listens_instead_of_once_per_document(owner, org, lines):
    from facturier.api.models import WebhookEndpoint

    ids = _drafts(owner, org, 6, SERVICE)
    with CaptureQueriesContext(connection) as batch:
        documents_issue(by=owner, document_ids=ids, issue_date=DAY)
    asked = [q["sql"] for q in batch.captured_queries if "api_webhookendpoint" in q["sql"]]
    assert len(asked) == 1
    one = _drafts(owner, org, 2, SERVICE)
    with CaptureQueriesContext(connection) as single:
        for pk in one:
            document_issue(by=owner, document_id=pk, issue_date=DAY)
    assert len([q for q in single.captured_queries if "api_webhookendpoint" in q["sql"]]) == 2
    # outside a batch the answer is never kept: another process may add an endpoint at any time
    with CaptureQueriesContext(connection) as outside:
        assert not any_row(WebhookEndpoint, organisation_id=org.pk, enabled=True)
        assert not any_row(WebhookEndpoint, organisation_id=org.pk, enabled=True)
        with answers_held():
            assert not any_row(WebhookEndpoint, organisation_id=org.pk, enabled=True)
            assert not any_row(WebhookEndpoint, organisation_id=org.pk, enabled=True)
            assert not any_row(WebhookEndpoint, organisation_id=org.pk, enabled=False)  # another question
    assert len(outside.captured_queries) == 4


def test_a_batch_reads_far_fewer_rows_per_document_than_one_by_one(owner, org, lines):
    ids = _drafts(owner, org, 10, lines)
    with CaptureQueriesContext(connection) as batch:
        documents_issue(by=owner, document_ids=ids, issue_date=DAY)
    singles = _drafts(owner, org, 2, lines)
    with CaptureQueriesContext(connection) as single:
        document_issue(by=owner, document_id=singles[0], issue_date=DAY)
    # per document: lock+read, lines, allowances, number, update, audit event and its journal record
    # (and, inside the test's transaction, a savepoint and its release each); once per batch: what is read
    # before the locks, whether a PA connection asks the directory for the buyers' addresses, and which
    # buyers are public ones whose Chorus Pro structure may need reading again
    assert len(batch.captured_queries) <= 10 * 11 + 12
    assert len(batch.captured_queries) < 10 * len(single.captured_queries) * 0.75


def test_a_batch_archives_every_document_it_issued_in_tasks_of_a_chunk_each(org, owner, settings,
                                                                            django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from facturier.archive.services import _archive_tasks_waiting
    from facturier.archive.tasks import archive_documents

    organisation = org
    ids = _drafts(owner, organisation, ARCHIVE_CHUNK + 3, SERVICE)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        outcome = documents_issue(by=owner, document_ids=ids)
    assert len(outcome.issued) == len(ids)
    queued = list(DBTaskResult.objects.filter(task_path=archive_documents.module_path).order_by("enqueued_at"))
    assert [row.args_kwargs["kwargs"]["document_ids"] for row in queued] == [ids[:ARCHIVE_CHUNK], ids[ARCHIVE_CHUNK:]]
    assert _archive_tasks_waiting() >= set(ids)  # the recovery job does not queue them a second time
    # the worker runs them: every document archived once, the journal chain and the archive verify
    archive_documents.call(document_ids=ids[:2])
    archive_documents.call(document_ids=ids)
    archive_documents.call(document_ids=ids[:2])  # run twice: nothing archived twice
    assert ArchiveEntry.objects.filter(document_id__in=ids).count() == 2 * len(ids)
    assert archive_verify(organisation).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_batches_give_numbers_without_gap_or_duplicate(make_organisation):
    organisation = make_organisation("concurrentbatch")
    owner = organisation.owner
    drafts = _drafts(owner, organisation, 120, SERVICE)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def issuer(share: list[int]) -> None:
        try:
            start.wait()
            outcome = documents_issue(by=owner, document_ids=share)
            assert outcome.refused == []
        except BaseException as e:  # noqa: BLE001 (reported by the main thread)
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=issuer, args=(drafts[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    issued = Document.objects.filter(organisation=organisation).order_by("number_value")
    assert [d.number_value for d in issued] == list(range(1, 121))
    assert {d.state for d in issued} == {State.ISSUED}
    assert organisation.series.get(code="FA").next_number == 121
    assert archive_verify(organisation).ok  # every audit event chained, every document archived
