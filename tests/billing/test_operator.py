"""Period ends: the operator's statement and its invoice per subscriber, through the ordinary pipeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from facturier.billing.models import PeriodUsage
from facturier.billing.operator_billing import operator_invoice, periods_close, usage_statement
from facturier.billing.services import meter, operator_organisation_set

from .conftest import at

DAY = dt.date(2026, 3, 10)
AFTER = dt.date(2026, 4, 2)  # the period 28 Feb – 30 Mar has ended


@pytest.fixture
def operator(other_org):
    operator_organisation_set(by=None, organisation=other_org)
    return other_org


def test_a_period_end_invoices_base_and_tranches_to_the_subscriber_as_a_customer_of_the_operator(
        org, operator, plans, subscribe, django_capture_on_commit_callbacks):
    subscription = subscribe(org, plans["pro"])
    meter(organisation_id=org.pk, count=950, at=at(DAY))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        closed = periods_close(today=AFTER)
    assert len(closed) == 1 and callbacks
    usage = PeriodUsage.objects.get(pk=closed[0])
    assert (usage.count, usage.tranche, usage.amount) == (950, 2, Decimal("189.00"))  # 49 + 2 × 70
    invoice = usage.invoice
    assert invoice is not None and invoice.organisation == operator and invoice.state == "issued"
    assert invoice.tax_exclusive == Decimal("189.00")
    assert [(line.name, line.quantity) for line in invoice.lines.order_by("position")] == [
        ("Abonnement « Intégral »", 1), ("Tranches de 900 factures", 2)]  # the customer's language
    subscription.refresh_from_db()
    assert subscription.customer.organisation == operator and subscription.customer.siren == "884123456"
    assert invoice.customer == subscription.customer
    # The operator got its statement, a CSV attached.
    statement = next(m for m in mail.outbox if m.to == ["owner@globex.test"])
    assert statement.subject == "Relevé de consommation : 1 période clôturée"  # the operator's language
    assert "950" in statement.attachments[0][1] and "189.00" in statement.attachments[0][1]


def test_closing_twice_invoices_once(org, operator, plans, subscribe, django_capture_on_commit_callbacks):
    subscribe(org, plans["pro"])
    meter(organisation_id=org.pk, count=20, at=at(DAY))
    with django_capture_on_commit_callbacks(execute=True):
        first = periods_close(today=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        again = periods_close(today=AFTER)
    usage = PeriodUsage.objects.get(pk=first[0])
    assert operator_invoice(usage_id=usage.pk) == usage.invoice
    assert again == [] and operator.documents.filter(state="issued").count() == 1


def test_a_free_period_is_closed_but_not_invoiced(org, operator, plans, subscribe, django_capture_on_commit_callbacks):
    subscribe(org, plans["free"])
    meter(organisation_id=org.pk, count=10, at=at(DAY))
    with django_capture_on_commit_callbacks(execute=True):
        closed = periods_close(today=AFTER)
    usage = PeriodUsage.objects.get(pk=closed[0])
    assert (usage.tranche, usage.amount, usage.invoice) == (0, Decimal("0.00"), None)
    assert not operator.documents.exists()


def test_a_period_without_any_document_still_closes_and_bills_the_base(org, operator, plans, subscribe,
                                                                      django_capture_on_commit_callbacks):
    subscribe(org, plans["pro"])
    with django_capture_on_commit_callbacks(execute=True):
        closed = periods_close(today=AFTER)
    usage = PeriodUsage.objects.get(pk=closed[0])
    assert (usage.count, usage.amount, usage.invoice.tax_exclusive) == (0, Decimal("49.00"), Decimal("49.00"))


def test_the_operators_invoice_passes_the_referee_with_the_french_rules(org, operator, plans, subscribe, referee,
                                                                         tmp_path, django_capture_on_commit_callbacks):
    from facturier.documents.services import facturx_of

    subscribe(org, plans["pro"])
    meter(organisation_id=org.pk, count=11, at=at(DAY))
    with django_capture_on_commit_callbacks(execute=True):
        closed = periods_close(today=AFTER)
    invoice = PeriodUsage.objects.get(pk=closed[0]).invoice
    path = tmp_path / "operator.pdf"
    path.write_bytes(facturx_of(invoice).data)
    verdict = referee([path], "--fr")[str(path)]
    assert verdict["passed"], referee.fatal_findings(verdict)


def test_the_statement_lists_every_subscription_with_count_tranche_amount_and_renewal(org, other_org, plans,
                                                                                      subscribe):
    subscribe(org, plans["pro"])
    subscribe(other_org, plans["free"])
    meter(organisation_id=org.pk, count=911, at=at(DAY))
    rows = {r.slug: r for r in usage_statement()}
    assert (rows["acme"].count, rows["acme"].tranche, rows["acme"].amount) == (911, 2, Decimal("189.00"))
    assert rows["acme"].next_renewal == dt.date(2026, 3, 31)
    assert (rows["globex"].count, rows["globex"].tranche, rows["globex"].amount) == (0, 0, Decimal("0.00"))
    assert [r.slug for r in usage_statement(plan_id=plans["free"].pk)] == ["globex"]
    assert [r.slug for r in usage_statement(search="acm")] == ["acme"]
