"""Two people record the full payment of the same invoice at the same moment (PostgreSQL row locks)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import translation

from facturier.invoicing.models import Document, Payment, State
from facturier.invoicing.services import document_issue, draft_create
from facturier.invoicing.settlement import OverpaymentUnconfirmed, payment_record


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_full_payments_record_one_and_ask_confirmation_for_the_other(make_organisation, lines):
    organisation = make_organisation("paying")
    owner = organisation.owner
    draft = draft_create(by=owner, customer_id=organisation.customer.pk, lines=lines)
    invoice = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def pay() -> None:
        try:
            translation.activate("en")
            start.wait()
            outcomes.append(payment_record(by=owner, document_id=invoice.pk, date=dt.date(2026, 3, 10),
                                           amount=invoice.payable))
        except BaseException as e:  # noqa: BLE001 (judged by the main thread)
            outcomes.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    refusals = [o for o in outcomes if isinstance(o, OverpaymentUnconfirmed)]
    assert len(refusals) == 1 and len([o for o in outcomes if isinstance(o, Payment)]) == 1, outcomes
    assert "already settled" in refusals[0].message
    stored = Document.objects.get(pk=invoice.pk)
    assert (stored.state, stored.paid_amount, stored.amount_due) == (State.PAID, invoice.payable, 0)
    assert Payment.objects.filter(document=invoice).count() == 1
