"""Gapless numbering under real concurrency: PostgreSQL row locks, eight issuers at once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from facturier.invoicing.models import Document, State
from facturier.invoicing.services import document_issue, draft_create

ISSUERS = 8
DOCUMENTS = 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_issuers_give_numbers_1_to_400_without_gap_or_duplicate(make_organisation):
    organisation = make_organisation("concurrent")
    owner = organisation.owner
    # Real drafts (totals and VAT computed by the service): the issue gate refuses inconsistent ones.
    service = [{"name": "Service", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}]
    drafts = [draft_create(by=owner, customer_id=organisation.customer.pk, lines=service).pk
              for _ in range(DOCUMENTS)]

    errors: list[BaseException] = []
    start = threading.Barrier(ISSUERS)

    def issuer(share: list[int]) -> None:
        try:
            start.wait()
            for pk in share:
                document_issue(by=owner, document_id=pk)
        except BaseException as e:  # noqa: BLE001 (reported by the main thread)
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=issuer, args=(drafts[i::ISSUERS],)) for i in range(ISSUERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    numbers = sorted(Document.objects.filter(organisation=organisation).values_list("number_value", flat=True))
    assert numbers == list(range(1, DOCUMENTS + 1))
    assert not Document.objects.filter(organisation=organisation).exclude(state=State.ISSUED).exists()
    assert organisation.series.get(code="FA").next_number == DOCUMENTS + 1
